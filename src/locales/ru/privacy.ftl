# Answers that must not tell a person anything about a lead that is not theirs, and the notices of
# the conversation's bounds (create-bot.ts, conversations/lead.ts).

# The phone someone gave belongs to a recent lead another Telegram account handed in (another person,
# or an agent). Neither "already registered" nor its number: only that we will call, which is true.
lead-received-neutral = Спасибо! Ваши данные получены. Мы позвоним вам по номеру { $phone } в ближайшее время.

# The conversation kept too many answers (e.g. the application system refused the name again and
# again): it starts over at the first question, which follows this notice.
conversation-restarted = Этот разговор получился слишком длинным. Давайте начнём заново.
# The conversation's stored state grew past its byte limit: it is ended, and the person may start again.
conversation-dropped = Этот разговор получился слишком длинным, и я его завершил. Чтобы оставить заявку, нажмите /start.
