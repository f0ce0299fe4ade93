# Call-center agents: one line per contact they hand in, a summary per batch, agent management for admins.
# Lead numbers are passed as strings (Fluent would group digits); names and labels come escaped from the bot.

agent-created = ✅ { $name }, { $phone } — заявка № <b>{ $number }</b>
agent-duplicate = ↩️ { $name }, { $phone } — уже зарегистрирован: заявка № <b>{ $number }</b>
agent-duplicate-pending = ↩️ { $name }, { $phone } — уже получен ранее и ждёт регистрации в Brainysoft
agent-queued = ⏳ { $name }, { $phone } — Brainysoft недоступен, контакт сохранён в очереди; номер заявки пришлю, когда она будет зарегистрирована
agent-crm-refused = ❌ { $name }, { $phone } — Brainysoft не принял { $field ->
    [firstName] имя
   *[mobilePhone] номер телефона
}
agent-rejected = ❌ { $name }, { $phone } — Brainysoft отклонил заявку; она сохранена для администратора
agent-refused = ❌ { $label } — { $why }
agent-refusal = { $kind ->
    [no-phone] нет номера телефона
    [several-phones] в строке несколько номеров, нужен один
    [no-name] нет имени
   *[phone] { $reason ->
        [letters] в номере есть буквы
        [too-short] в номере не хватает цифр
        [too-long] в номере лишние цифры
        [not-mobile] номер не мобильный
        [country-not-allowed] номера этой страны ({ $country }) не принимаются
        [empty] нет номера телефона
       *[invalid] такого номера не существует
    }
}
agent-summary = Итого { $total } { $total ->
    [one] контакт
    [few] контакта
   *[many] контактов
}: создано — { $created }{ $duplicates ->
    [0] {""}
   *[other] , уже были — { $duplicates }
}{ $queued ->
    [0] {""}
   *[other] , в очереди — { $queued }
}{ $refused ->
    [0] {""}
   *[other] , отклонено — { $refused }
}

agent-delivered-later = ✅ { $name }, { $phone } — заявка зарегистрирована: № <b>{ $number }</b>
agent-failed-later = ❌ { $name }, { $phone } — заявку не удалось зарегистрировать в Brainysoft; она сохранена для администратора

agents-list = Агенты из настроек (AGENT_IDS): { $configured }
    Добавлены в чате: { $added }
    Добавить: /agent_add ID, убрать: /agent_remove ID
agents-none = нет
agent-admin-usage = Укажите числовой Telegram ID пользователя, например: /{ $command } 123456789. Свой ID человек может узнать у @userinfobot.
agent-admin-added = Пользователь { $id } теперь агент: его контакты сразу становятся заявками.
agent-admin-already = Пользователь { $id } уже агент.
agent-admin-is-admin = Пользователь { $id } — администратор (ADMIN_IDS): он и так может всё, что делают агенты.
agent-admin-configured = Пользователь { $id } — агент из настроек (AGENT_IDS): убрать его можно только там.
agent-admin-removed = Пользователь { $id } больше не агент.
agent-admin-not-agent = Пользователь { $id } не был агентом.

help-agent =
    Вы — агент колл-центра: контакты, которые вы мне пересылаете, сразу становятся заявками в Brainysoft.

    • Перешлите карточку контакта или поделитесь ею из телефонной книги — можно сразу несколько.
    • Или напишите строки «имя + телефон», по одной на человека, например:
    Иван +7 977 620-07-77
    89161234567, Анна

    На каждый контакт я отвечу строкой с номером заявки или причиной отказа, а в конце — итогом.
    /start — пройти путь клиента самому, /cancel — выйти из него.
