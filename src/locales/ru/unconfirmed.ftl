# A lead Brainysoft answered 2xx to without naming it (empty, not JSON, too big, cut off, no id): it may
# have been created, so it is never sent again automatically; a specialist checks it.

lead-unconfirmed = Спасибо! Ваши данные сохранены. Система заявок не прислала подтверждение, поэтому специалист проверит вашу заявку вручную и свяжется с вами по номеру { $phone }. Повторно оставлять заявку не нужно.
agent-unconfirmed = ⚠️ { $name }, { $phone } — Brainysoft не подтвердил заявку и мог её создать; контакт сохранён, администратор проверит его. Повторно не отправляйте
alert-lead-unconfirmed = ⚠️ <b>Заявка #{ $id } не подтверждена Brainysoft</b> ({ $phone }, { $source }): { $reason }. Brainysoft мог её создать, поэтому повторно она не отправляется. Найдите номер в Brainysoft; если заявки там нет — /retry { $id }. /pending — что ждёт.
