# Told once to a chat that sent more at once than the bot takes in from one chat (runtime/chat-gate.ts).

flood-dropped = Слишком много сообщений сразу: я ещё отвечаю на предыдущие, а новые пропускаю. Дождитесь моих ответов и пришлите ещё раз то, на что я не ответил.
