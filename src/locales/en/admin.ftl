# Admins: /logs, /stats, /pending, /retry, /export and the alerts. Lead numbers and ids come as strings.
# Texts are HTML; anything that came from people or from Brainysoft is escaped by the bot.

admin-no-such-command = There is no such command. To apply for a loan, tap /start.

unit-seconds = { $n } s
unit-minutes = { $n } min
unit-hours = { $n } h
unit-days = { $n } d

source-customer = customer
source-agent = agent { $id }
source-link = link { $link }
actor-customer = customer
actor-agent = agent { $id }
actor-admin = admin { $id }
actor-system = bot

logs-usage = Usage: /logs [N] [errors | leads | agent ID], for example /logs 50 errors or /logs agent 123456789.
logs-filter = { $filter ->
    [errors] errors
    [leads] leads
    [agent] agent { $id }
   *[all] all
}
logs-header = 📜 <b>Events</b> ({ $filter }), newest first: { $from }–{ $to } of the last { $count }
logs-empty = 📜 No events yet ({ $filter }).
logs-newer = « Newer
logs-older = Older »
logs-kind = { $kind ->
    [received] 📥 received
    [delivered] ✅ delivered
    [queued] ⏳ queued
    [duplicate] 🔁 duplicate
    [rejected] ⛔ rejected
    [failed] ❌ failed
    [retried] 🔄 sent again
    [crm-error] ⚠️ Brainysoft error
    [crm-ok] Brainysoft call
    [error] 🐞 bot error
    [outage] 🔌 Brainysoft not answering
    [auth-failure] 🔑 Brainysoft refuses the credentials
    [recovered] 🟢 Brainysoft answers again
    [export] 📤 export
   *[other] { $kind }
}
# Details the journal stores as codes and numbers (journal.ts CodedDetail), worded when read.
logs-detail-field = Brainysoft refused the { $field ->
    [firstName] name
   *[other] phone
}
logs-detail-gave-up = gave up after { $attempts } { $attempts ->
    [one] attempt
   *[other] attempts
}: { $reason }
logs-detail-recovered = after { $duration }, { $failures } failed { $failures ->
    [one] call
   *[other] calls
}
logs-detail-alert-undelivered = alert to admin { $admin } not delivered: { $error }
logs-detail-export = { $leads } { $leads ->
    [one] lead
   *[other] leads
}, { $days } { $days ->
    [one] day
   *[other] days
}, phones { $full ->
    [yes] full
   *[no] masked
}

stats-today = Today
stats-week = Last 7 days
stats-period = 📊 <b>{ $title }</b>: { $leads } { $leads ->
    [one] lead
   *[other] leads
}
    ✅ { $delivered } delivered · ⏳ { $waiting } waiting · ❌ { $failed } failed · ⛔ { $rejected } rejected · 🔁 { $duplicates } { $duplicates ->
    [one] duplicate
   *[other] duplicates
}
stats-success = Delivered to Brainysoft: { $percent }% of the finished ones
stats-success-none = Delivered to Brainysoft: none finished yet
stats-sources = Sources: { $list }
stats-source-item = { $source } — { $count }
stats-latency = Brainysoft: p50 { $p50 } ms, p95 { $p95 } ms ({ $calls } { $calls ->
    [one] call
   *[other] calls
})
stats-latency-none = Brainysoft: no calls
stats-queue = 📬 <b>Queue</b>: { $pending } waiting; { $failed } failed for good (/pending)
stats-queue-oldest = 📬 <b>Queue</b>: { $pending } waiting, the oldest for { $oldest }; { $failed } failed for good (/pending)
stats-chart-caption = Leads per day, last 7 days: green delivered, amber waiting, red failed or rejected.

pending-empty = ✅ Nothing is waiting: every lead is in Brainysoft.
pending-header = ⏳ Waiting: { $waiting } · ❌ failed: { $failed } · ⛔ rejected: { $rejected }
pending-line = <b>#{ $id }</b> { $state ->
    [pending] ⏳
    [failed] ❌
   *[rejected] ⛔
} { $age } ago · { $attempts } { $attempts ->
    [one] attempt
   *[other] attempts
}{ $error ->
    [none] {""}
   *[other] {" "}· { $error }
}
pending-footer = /retry ID sends one again, /retry all sends every waiting and failed lead.
pending-retry-all = 🔄 Send all again

retry-usage = Usage: /retry ID (several separated by spaces) or /retry all.
retry-none = Nothing to send: no lead is waiting or failed.
retry-not-found = There is no lead #{ $id }.
retry-not-needed = Lead #{ $id } needs nothing: { $state ->
    [delivered] it is in Brainysoft as No. { $number }.
   *[other] its state is { $state }.
}
retry-started = 🔄 Sending { $count } { $count ->
    [one] lead
   *[other] leads
} to Brainysoft…
retry-one-done = Lead #{ $id }: { $state ->
    [delivered] ✅ delivered, No. <b>{ $number }</b>.
    [pending] ⏳ still waiting ({ $error }); it will be tried again.
    [failed] ❌ failed ({ $error }).
   *[rejected] ⛔ Brainysoft refused it ({ $error }).
}
retry-done = Sent again: { $count }. ✅ Delivered: { $delivered } · ⏳ still waiting: { $waiting } · ❌ failed or rejected: { $failed }.
retry-one-sending = Lead #{ $id } is still on its way to Brainysoft; /pending and /logs will show how it ends.
retry-so-far = Sent again: { $count }. So far ✅ delivered: { $delivered } · ⏳ still waiting: { $waiting } · ❌ failed or rejected: { $failed }; 🔄 still on the way: { $sending } (/pending and /logs will show how they end).

export-usage = Usage: /export [days] [full], for example /export 30. Phones are masked unless you add “full”.
export-empty = No leads in the last { $days } { $days ->
    [one] day
   *[other] days
}.
export-caption = { $count } { $count ->
    [one] lead
   *[other] leads
}, last { $days } { $days ->
    [one] day
   *[other] days
}; { $full ->
    [yes] full phones and names: keep this file safe.
   *[no] phones masked (/export { $days } full for full ones).
}

alert-crm-down = ⚠️ <b>Brainysoft is not answering</b> ({ $detail }). Leads are saved and will be sent when it is back; waiting now: { $pending }.
alert-crm-still-down = ⚠️ Brainysoft is still not answering, for { $duration } now ({ $failures } failed { $failures ->
    [one] call
   *[other] calls
} since the last message; { $detail }). Waiting: { $pending }.
alert-crm-auth = ⛔ <b>Brainysoft refuses the bot's credentials</b> ({ $detail }). Check BRAINYSOFT_TOKEN (or the login, password and customer key). Leads are saved; waiting now: { $pending }.
alert-crm-auth-still = ⛔ Brainysoft still refuses the credentials, for { $duration } now ({ $failures } failed { $failures ->
    [one] call
   *[other] calls
} since the last message; { $detail }). Waiting: { $pending }.
alert-crm-recovered = 🟢 <b>Brainysoft answers again</b> after { $duration }. { $failures } failed { $failures ->
    [one] call
   *[other] calls
} during the outage. { $pending ->
    [0] Nothing is waiting any more.
    [one] The one waiting lead is being sent now.
   *[other] The { $pending } waiting leads are being sent now.
}

alert-lead-failed = ❌ <b>Lead #{ $id } { $state ->
    [failed] could not be delivered
   *[rejected] was refused by Brainysoft
}</b> ({ $phone }, { $source }): { $reason }. /retry { $id } sends it again, /pending lists what waits.
alert-leads-failed-more = ❌ { $count } more { $count ->
    [one] lead
   *[other] leads
} failed in the last { $duration }. /pending lists them, /retry all sends them again.

help-admin =
    You are an admin. Everything agents do (contact cards and "name + phone" lines become leads) works for you too, and also:

    /stats — leads today and this week, sources, queue, Brainysoft latency, a chart
    /logs [N] [errors|leads|agent ID] — the latest events
    /pending — leads waiting for Brainysoft, and failed ones
    /retry ID or /retry all — send leads again
    /export [days] [full] — leads as a CSV file
    /agents, /agent_add ID, /agent_remove ID — agents

    When Brainysoft stops answering or refuses the credentials, I send you one message, and another when it recovers.
