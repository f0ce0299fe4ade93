# A lead Brainysoft answered 2xx to without naming it (empty, not JSON, too big, cut off, no id): it may
# have been created, so it is never sent again automatically; a specialist checks it.

lead-unconfirmed = Thank you! Your details are saved. The application system did not send a confirmation, so a specialist will check your application by hand and contact you at { $phone }. You do not need to send it again.
agent-unconfirmed = ⚠️ { $name }, { $phone } — Brainysoft did not confirm the lead and may have created it; the contact is saved and an admin will check it. Do not send it again
alert-lead-unconfirmed = ⚠️ <b>Lead #{ $id } was not confirmed by Brainysoft</b> ({ $phone }, { $source }): { $reason }. Brainysoft may have created it, so it is not sent again. Look the number up in Brainysoft; if the lead is not there, /retry { $id }. /pending lists what waits.
