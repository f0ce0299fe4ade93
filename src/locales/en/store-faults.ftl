# Admin alerts when the bot's database refuses writes (a full disk, a read-only file system, lost
# permissions): one when it starts, one when writes work again. HTML; the detail comes escaped.

alert-store-failing = 🛑 <b>The bot cannot write to its database</b> ({ $detail }). New leads cannot be saved and people are asked to try again later; a lead Brainysoft has already taken is kept in memory and not sent again. Free disk space or fix the permissions of DATA_DIR. /readyz answers 503 until writes work.
alert-store-recovered = 🟢 <b>The database takes writes again</b> after { $duration }. { $failures } { $failures ->
    [one] write
   *[other] writes
} failed meanwhile; what was held in memory is stored now.
