# Answers that must not tell a person anything about a lead that is not theirs, and the notices of
# the conversation's bounds (create-bot.ts, conversations/lead.ts).

# The phone someone gave belongs to a recent lead another Telegram account handed in (another person,
# or an agent). Neither "already registered" nor its number: only that we will call, which is true.
lead-received-neutral = Thank you! We have your details and will call you at { $phone } shortly.

# The conversation kept too many answers (e.g. the application system refused the name again and
# again): it starts over at the first question, which follows this notice.
conversation-restarted = This conversation has become too long. Let us start again.
# The conversation's stored state grew past its byte limit: it is ended, and the person may start again.
conversation-dropped = This conversation has become too long, so I have ended it. Tap /start to apply.
