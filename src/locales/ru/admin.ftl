# Администраторы: /logs, /stats, /pending, /retry, /export и оповещения. Номера заявок и id приходят строками.
# Тексты в HTML; всё, что пришло от людей или от Brainysoft, бот экранирует.

admin-no-such-command = Такой команды нет. Чтобы оставить заявку на заём, нажмите /start.

unit-seconds = { $n } с
unit-minutes = { $n } мин
unit-hours = { $n } ч
unit-days = { $n } дн

source-customer = клиент
source-agent = агент { $id }
source-link = ссылка { $link }
actor-customer = клиент
actor-agent = агент { $id }
actor-admin = админ { $id }
actor-system = бот

logs-usage = Формат: /logs [N] [errors | leads | agent ID], например /logs 50 errors или /logs agent 123456789.
logs-filter = { $filter ->
    [errors] ошибки
    [leads] заявки
    [agent] агент { $id }
   *[all] все
}
logs-header = 📜 <b>События</b> ({ $filter }), сначала новые: { $from }–{ $to } из последних { $count }
logs-empty = 📜 Событий пока нет ({ $filter }).
logs-newer = « Новее
logs-older = Раньше »
logs-kind = { $kind ->
    [received] 📥 принята
    [delivered] ✅ передана
    [queued] ⏳ в очереди
    [duplicate] 🔁 повтор
    [rejected] ⛔ отклонена
    [failed] ❌ не передана
    [retried] 🔄 отправлена повторно
    [crm-error] ⚠️ ошибка Brainysoft
    [crm-ok] запрос к Brainysoft
    [error] 🐞 ошибка бота
    [outage] 🔌 Brainysoft не отвечает
    [auth-failure] 🔑 Brainysoft не принимает учётные данные
    [recovered] 🟢 Brainysoft снова отвечает
    [export] 📤 выгрузка
   *[other] { $kind }
}
# Подробности, которые журнал хранит кодом и числами (journal.ts CodedDetail), словами — при чтении.
logs-detail-field = Brainysoft не принял { $field ->
    [firstName] имя
   *[other] телефон
}
logs-detail-gave-up = попытки прекращены после { $attempts } { $attempts ->
    [one] попытки
   *[other] попыток
}: { $reason }
logs-detail-recovered = после перерыва в { $duration }, неудачных запросов: { $failures }
logs-detail-alert-undelivered = оповещение админу { $admin } не доставлено: { $error }
logs-detail-export = заявок: { $leads }, дней: { $days }, телефоны { $full ->
    [yes] полностью
   *[no] скрыты
}

stats-today = Сегодня
stats-week = За 7 дней
stats-period = 📊 <b>{ $title }</b>: { $leads } { $leads ->
    [one] заявка
    [few] заявки
   *[many] заявок
}
    ✅ { $delivered } передано · ⏳ { $waiting } ждут · ❌ { $failed } не передано · ⛔ { $rejected } отклонено · 🔁 { $duplicates } { $duplicates ->
    [one] повтор
    [few] повтора
   *[many] повторов
}
stats-success = Передано в Brainysoft: { $percent }% завершённых
stats-success-none = Передано в Brainysoft: завершённых пока нет
stats-sources = Источники: { $list }
stats-source-item = { $source } — { $count }
stats-latency = Brainysoft: p50 { $p50 } мс, p95 { $p95 } мс ({ $calls } { $calls ->
    [one] запрос
    [few] запроса
   *[many] запросов
})
stats-latency-none = Brainysoft: запросов не было
stats-queue = 📬 <b>Очередь</b>: ждут { $pending }; окончательно не переданы { $failed } (/pending)
stats-queue-oldest = 📬 <b>Очередь</b>: ждут { $pending }, самая старая — { $oldest }; окончательно не переданы { $failed } (/pending)
stats-chart-caption = Заявки по дням за 7 дней: зелёный — переданы, жёлтый — ждут, красный — не переданы или отклонены.

pending-empty = ✅ Ничего не ждёт: все заявки в Brainysoft.
pending-header = ⏳ Ждут: { $waiting } · ❌ не переданы: { $failed } · ⛔ отклонены: { $rejected }
pending-line = <b>#{ $id }</b> { $state ->
    [pending] ⏳
    [failed] ❌
   *[rejected] ⛔
} { $age } назад · { $attempts } { $attempts ->
    [one] попытка
    [few] попытки
   *[many] попыток
}{ $error ->
    [none] {""}
   *[other] {" "}· { $error }
}
pending-footer = /retry ID — отправить одну ещё раз, /retry all — все ждущие и не переданные.
pending-retry-all = 🔄 Отправить все ещё раз

retry-usage = Формат: /retry ID (можно несколько через пробел) или /retry all.
retry-none = Отправлять нечего: ждущих и не переданных заявок нет.
retry-not-found = Заявки #{ $id } нет.
retry-not-needed = С заявкой #{ $id } ничего делать не нужно: { $state ->
    [delivered] она в Brainysoft под № { $number }.
   *[other] её состояние — { $state }.
}
retry-started = 🔄 Отправляю в Brainysoft: { $count } { $count ->
    [one] заявка
    [few] заявки
   *[many] заявок
}…
retry-one-done = Заявка #{ $id }: { $state ->
    [delivered] ✅ передана, № <b>{ $number }</b>.
    [pending] ⏳ всё ещё ждёт ({ $error }); будет новая попытка.
    [failed] ❌ не передана ({ $error }).
   *[rejected] ⛔ Brainysoft её отклонил ({ $error }).
}
retry-done = Отправлено повторно: { $count }. ✅ Передано: { $delivered } · ⏳ всё ещё ждут: { $waiting } · ❌ не переданы или отклонены: { $failed }.
retry-one-sending = Заявка #{ $id } ещё в пути в Brainysoft; чем закончится, покажут /pending и /logs.
retry-so-far = Отправлено повторно: { $count }. Пока ✅ передано: { $delivered } · ⏳ всё ещё ждут: { $waiting } · ❌ не переданы или отклонены: { $failed }; 🔄 ещё в пути: { $sending } (чем закончится, покажут /pending и /logs).

export-usage = Формат: /export [дней] [full], например /export 30. Телефоны скрыты, если не добавить «full».
export-empty = За { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
} заявок нет.
export-caption = { $count } { $count ->
    [one] заявка
    [few] заявки
   *[many] заявок
} за { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
}; { $full ->
    [yes] полные телефоны и имена: храните файл бережно.
   *[no] телефоны скрыты (/export { $days } full — полностью).
}

alert-crm-down = ⚠️ <b>Brainysoft не отвечает</b> ({ $detail }). Заявки сохранены и уйдут, когда он заработает; сейчас ждут: { $pending }.
alert-crm-still-down = ⚠️ Brainysoft всё ещё не отвечает, уже { $duration } ({ $failures } неудачных запросов с прошлого сообщения; { $detail }). Ждут: { $pending }.
alert-crm-auth = ⛔ <b>Brainysoft не принимает учётные данные бота</b> ({ $detail }). Проверьте BRAINYSOFT_TOKEN (или логин, пароль и customer key). Заявки сохранены; сейчас ждут: { $pending }.
alert-crm-auth-still = ⛔ Brainysoft всё ещё не принимает учётные данные, уже { $duration } ({ $failures } неудачных запросов с прошлого сообщения; { $detail }). Ждут: { $pending }.
alert-crm-recovered = 🟢 <b>Brainysoft снова отвечает</b> после перерыва в { $duration }. Неудачных запросов за это время: { $failures }. { $pending ->
    [0] Ждущих заявок больше нет.
   *[other] Ждущие заявки ({ $pending }) отправляются сейчас.
}

alert-lead-failed = ❌ <b>Заявка #{ $id } { $state ->
    [failed] не передана
   *[rejected] отклонена Brainysoft
}</b> ({ $phone }, { $source }): { $reason }. /retry { $id } — отправить ещё раз, /pending — что ждёт.
alert-leads-failed-more = ❌ Ещё { $count } { $count ->
    [one] заявка не передана
    [few] заявки не переданы
   *[many] заявок не передано
} за последние { $duration }. /pending — список, /retry all — отправить ещё раз.

help-admin =
    Вы — администратор. Всё, что умеют агенты (контакты и строки «имя + телефон» становятся заявками), доступно и вам, а также:

    /stats — заявки за сегодня и неделю, источники, очередь, задержки Brainysoft, график
    /logs [N] [errors|leads|agent ID] — последние события
    /pending — заявки, ждущие Brainysoft, и неудачные
    /retry ID или /retry all — отправить заявки ещё раз
    /export [дни] [full] — заявки в CSV-файле
    /agents, /agent_add ID, /agent_remove ID — агенты

    Когда Brainysoft перестаёт отвечать или не принимает учётные данные, я пришлю вам одно сообщение, и ещё одно — когда всё восстановится.
