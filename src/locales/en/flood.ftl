# Told once to a chat that sent more at once than the bot takes in from one chat (runtime/chat-gate.ts).

flood-dropped = Too many messages at once: I am still answering the earlier ones and skip the new ones. Wait for my answers, then send again whatever I did not answer.
