# A contact card whose vCard is too large to be an address book's card (the limit is passed in KB).

agent-vcard-too-large = карточка контакта слишком большая (больше { $limitKb } КБ), я её не читаю; пришлите имя и номер строкой
