# Lead numbers are passed as strings: Fluent would group digits ("1 000"), and a lead number is an identifier.
# Texts are sent with parse_mode HTML: variables that come from people are escaped by the bot.

start-greeting = Hello! I will help you apply for a loan: all I need is your first name and phone number, it takes less than a minute.
consent-ask = Before we continue, please read the <a href="{ $url }">personal data processing notice</a> and accept it with the button below.
consent-accept = ✅ I agree
consent-accepted = Thank you, your consent is recorded.
consent-required = I cannot take your application without your consent to process your data. Tap “I agree” under the message above, or /cancel to leave.

name-ask = What is your first name? Type it{ $suggested ->
    [yes] {" "}or tap the button below.
   *[no] .
}
name-ask-again = The application system did not accept the name. Please type your first name again.
name-refused = { $reason ->
    [empty] The name cannot be empty. Please type your first name.
    [too-long] That name is too long: 50 characters at most. Please type just your first name.
    [command] I am waiting for your first name. Please type it as a normal message.
    [phone] That looks like a phone number, but I need your first name now. What is your name?
    [link] A link cannot be a name. Please type your first name.
   *[no-letters] A name needs letters. Please type your first name.
}

phone-ask = Nice to meet you, { $name }! Now share your phone number with the “{ phone-button }” button below, or type it, for example: +7 977 620-07-77.
phone-ask-again = The application system did not accept the phone number. Share it with the button below or type it again.
phone-button = 📱 Share my number
phone-foreign-contact = That is someone else's contact. Please share your own number with the “{ phone-button }” button, or type it.
phone-refused = { $reason ->
    [letters] A phone number can only contain digits. For example: +7 977 620-07-77.
    [too-short] That number is missing some digits. Please check it and type it in full, for example: +7 977 620-07-77.
    [too-long] That number has too many digits. Please check it and type it again, for example: +7 977 620-07-77.
    [not-mobile] That is not a mobile number. We need a mobile number we can call you on.
    [country-not-allowed] Sorry, we do not work with numbers from this country ({ $country }). Please give a number from the country you live in.
    [empty] Please type your phone number or share it with the button below.
   *[invalid] That number does not exist. Please check it and type it again, for example: +7 977 620-07-77.
}

lead-created = Done! Your application No. <b>{ $number }</b> is registered. We will call you at { $phone } shortly.
lead-duplicate = Your application with the number { $phone } is already registered: No. <b>{ $number }</b>. There is no need to apply again; we will contact you soon.
lead-duplicate-pending = We already have your application with the number { $phone } and it is being registered. I will send its number here as soon as it has one.
lead-queued = Thank you! Your details are saved. The application system is slow to respond right now, so your application will be registered a little later: I will send its number here. You do not need to do anything else.
lead-delivered-later = Your application is registered: No. <b>{ $number }</b>. We will call you at { $phone } shortly.
lead-rejected = Sorry, the application system could not accept your application for technical reasons. It is not your fault: our staff have been told, they will sort it out and contact you at { $phone }.
lead-failed-later = Sorry, we could not register your application automatically. Your details are saved and a member of staff will contact you at { $phone }.
lead-limit-reached = You have already sent several applications today. We will certainly contact you; you can send a new one tomorrow.

input-not-understood = I did not understand that message.
cancel-done = All right, the application is cancelled. Tap /start to begin again.
cancel-nothing = There is nothing to cancel right now. Tap /start to apply.
help =
    I help you apply for a loan: I ask for your first name and phone number, pass them to the company, and you get your application number.

    /start — apply (or start over)
    /cancel — cancel the current application
    /help — this help

    If you are in the middle of answering, just carry on where you left off.
fallback-pointer = To apply for a loan, tap /start.
group-pointer = Applications are taken in a private chat only: write to me directly.
error-generic = Sorry, something went wrong on our side. Please try again a little later or tap /start.
rate-limited = You are sending messages too often. Please wait a moment.
