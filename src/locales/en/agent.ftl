# Call-center agents: one line per contact they hand in, a summary per batch, agent management for admins.
# Lead numbers are passed as strings (Fluent would group digits); names and labels come escaped from the bot.

agent-created = ✅ { $name }, { $phone } — lead No. <b>{ $number }</b>
agent-duplicate = ↩️ { $name }, { $phone } — already registered: lead No. <b>{ $number }</b>
agent-duplicate-pending = ↩️ { $name }, { $phone } — already received earlier and waiting to be registered in Brainysoft
agent-queued = ⏳ { $name }, { $phone } — Brainysoft is unavailable, the contact is queued; I will send the lead number once it is registered
agent-crm-refused = ❌ { $name }, { $phone } — Brainysoft did not accept the { $field ->
    [firstName] name
   *[mobilePhone] phone number
}
agent-rejected = ❌ { $name }, { $phone } — Brainysoft rejected the lead; it is kept for an admin
agent-refused = ❌ { $label } — { $why }
agent-refusal = { $kind ->
    [no-phone] no phone number
    [several-phones] several numbers on one line, one is needed
    [no-name] no name
   *[phone] { $reason ->
        [letters] the number contains letters
        [too-short] the number is missing digits
        [too-long] the number has too many digits
        [not-mobile] not a mobile number
        [country-not-allowed] numbers from this country ({ $country }) are not accepted
        [empty] no phone number
       *[invalid] no such number exists
    }
}
agent-summary = { $total } { $total ->
    [one] contact
   *[other] contacts
}: { $created } created{ $duplicates ->
    [0] {""}
    [one] , 1 duplicate
   *[other] , { $duplicates } duplicates
}{ $queued ->
    [0] {""}
   *[other] , { $queued } queued
}{ $refused ->
    [0] {""}
   *[other] , { $refused } refused
}

agent-delivered-later = ✅ { $name }, { $phone } — lead registered: No. <b>{ $number }</b>
agent-failed-later = ❌ { $name }, { $phone } — the lead could not be registered in Brainysoft; it is kept for an admin

agents-list = Agents from the settings (AGENT_IDS): { $configured }
    Added in the chat: { $added }
    Add: /agent_add ID, remove: /agent_remove ID
agents-none = none
agent-admin-usage = Give the person's numeric Telegram ID, for example: /{ $command } 123456789. People can find their ID with @userinfobot.
agent-admin-added = User { $id } is now an agent: their contacts become leads right away.
agent-admin-already = User { $id } is already an agent.
agent-admin-is-admin = User { $id } is an admin (ADMIN_IDS) and can already do everything agents do.
agent-admin-configured = User { $id } is an agent from the settings (AGENT_IDS) and can only be removed there.
agent-admin-removed = User { $id } is no longer an agent.
agent-admin-not-agent = User { $id } was not an agent.

help-agent =
    You are a call-center agent: contacts you send me become leads in Brainysoft straight away.

    • Forward a contact card or share one from your address book — several at once is fine.
    • Or type lines of "name + phone", one person per line, for example:
    Ivan +7 977 620-07-77
    89161234567, Anna

    I answer each contact with a line: the lead number or why it was refused, then a summary.
    /start — go through the customer flow yourself, /cancel — leave it.
