# Answers about leads that are already stored (duplicates across chats).

# The same phone is being registered from another chat (another person, or an agent): its number will
# be sent there, not here, so nothing is promised.
lead-duplicate-pending-elsewhere = Заявка с номером { $phone } уже получена и сейчас регистрируется. Повторно оставлять её не нужно: мы свяжемся с вами по этому номеру.
