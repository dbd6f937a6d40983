"""Texts of the chat's polish (issue 17): amounts and names read right, cards that speak to
the reader, receipts, replies to plain text."""

TEXTS: dict[str, dict[str, str]] = {
    # --- reading what people type ---
    "polish.missing_at": {
        "en": "Usernames start with @: did you mean <code>{command} @{name} {amount}</code>?",
        "fr": "Les noms d'utilisateur commencent par @ : vouliez-vous dire "
        "<code>{command} @{name} {amount}</code> ?",
    },
    # --- receipts' buttons ---
    "receipt.send_again_button": {"en": "Send again", "fr": "Renvoyer"},
    "receipt.request_back_button": {"en": "Request back", "fr": "Redemander"},
    "receipt.thanks_button": {"en": "Say thanks", "fr": "Dire merci"},
    "receipt.send_back_button": {"en": "Send back", "fr": "Rendre"},
    "receipt.not_yours": {
        "en": "This button is for the person this receipt was sent to.",
        "fr": "Ce bouton est réservé à la personne qui a reçu ce reçu.",
    },
    "receipt.thanks": {
        "en": "🙏 {recipient} says thanks for your payment of <b>{amount}</b>{memo}.",
        "fr": "🙏 {recipient} vous remercie pour votre paiement de <b>{amount}</b>{memo}.",
    },
    "receipt.thanks_sent": {
        "en": "Thanks sent to {sender}.",
        "fr": "Remerciement envoyé à {sender}.",
    },
    "receipt.thanks_already": {
        "en": "You've thanked them for this payment already.",
        "fr": "Vous avez déjà remercié pour ce paiement.",
    },
    "receipt.thanks_undeliverable": {
        "en": "I couldn't pass your thanks on: they have closed our chat.",
        "fr": "Je n'ai pas pu transmettre votre remerciement : cette personne a fermé notre "
        "conversation.",
    },
    # --- plain text in the private chat ---
    "chat.help": {
        "en": "To pay someone, send <code>/send @name 12.50 note</code>; to ask for money, "
        "<code>/request @name 12.50</code>. /help lists everything I can do.",
        "fr": "Pour payer quelqu'un, envoyez <code>/send @nom 12,50 note</code> ; pour "
        "demander de l'argent, <code>/request @nom 12,50</code>. /help liste tout ce que "
        "je sais faire.",
    },
    "chat.looks_like": {
        "en": "Did you mean <code>{command}</code>? Tap to prepare the payment; you'll "
        "confirm it on the next card.",
        "fr": "Vouliez-vous dire <code>{command}</code> ? Touchez pour préparer le paiement ; "
        "vous le confirmerez sur la carte suivante.",
    },
    "chat.looks_like_request": {
        "en": "Did you mean <code>{command}</code>? Send it with the slash.",
        "fr": "Vouliez-vous dire <code>{command}</code> ? Envoyez-la avec la barre oblique.",
    },
    "chat.send_button": {"en": "Send {amount} to @{name}", "fr": "Envoyer {amount} à @{name}"},
}
