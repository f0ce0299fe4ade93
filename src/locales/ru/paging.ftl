# Длинные списки для администраторов идут страницами (каждая в пределах 4096 символов Telegram) с кнопками « ».
paging-previous = « { $page }
paging-next = { $page } »
paging-position = страница { $page } из { $pages }

# /stats называет первые источники каждого периода; полный список источников за неделю — по кнопке.
stats-sources-more = ещё { $count }
stats-all-sources = 📋 Все источники
sources-header = 📋 <b>Источники за 7 дней</b>: { $sources }, заявок: { $leads }
sources-empty = 📋 За 7 дней заявок не было.
