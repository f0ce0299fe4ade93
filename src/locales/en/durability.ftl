# Answers about leads that are already stored (duplicates across chats).

# The same phone is being registered from another chat (another person, or an agent): its number will
# be sent there, not here, so nothing is promised.
lead-duplicate-pending-elsewhere = An application with the number { $phone } has already been received and is being registered. There is no need to apply again: we will contact you at that number.
