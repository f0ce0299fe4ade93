# A contact card whose vCard is too large to be an address book's card (the limit is passed in KB).

agent-vcard-too-large = the contact card is too large (over { $limitKb } KB), I do not read it; send the name and number as a line of text
