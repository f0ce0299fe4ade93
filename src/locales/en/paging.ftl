# Long admin lists come in pages, each within Telegram's 4096 characters, with « » buttons (page numbers as shown).
paging-previous = « { $page }
paging-next = { $page } »
paging-position = page { $page } of { $pages }

# /stats names the first sources of each period; the full list of the week's sources is behind a button.
stats-sources-more = { $count } more
stats-all-sources = 📋 All sources
sources-header = 📋 <b>Sources</b>, last 7 days: { $sources } { $sources ->
    [one] source
   *[other] sources
}, { $leads } { $leads ->
    [one] lead
   *[other] leads
}
sources-empty = 📋 No leads in the last 7 days.

# /export writes at most so many rows (and stays under Telegram's 50 MB); the caption then says where the file stops.
export-capped = ⚠️ Only the first { $rows } leads fit in one file: up to { $until }. /export with fewer days gives the newer ones.

# The end of a list cut short (/agents names the first hundred of each kind).
list-more = …and { $count } more
