"""Texts of /send, the confirmation card and /request."""

TEXTS: dict[str, dict[str, str]] = {
    # --- /send and its guided conversation ---
    "send.ask_who": {
        "en": "Who do you want to pay? Send their @username (or /cancel).",
        "fr": "Qui voulez-vous payer ? Envoyez son @nom_utilisateur (ou /cancel).",
    },
    "send.ask_amount": {
        "en": "How much? For example 12.50 (or /cancel).",
        "fr": "Combien ? Par exemple 12,50 (ou /cancel).",
    },
    "send.ask_note": {
        "en": "Add a note for the payment, or /skip (or /cancel).",
        "fr": "Ajoutez une note au paiement, ou /skip (ou /cancel).",
    },
    "send.try_again": {"en": "Try again, or /cancel.", "fr": "Réessayez, ou /cancel."},
    "send.cancelled": {
        "en": "Cancelled. Nothing was sent.",
        "fr": "Annulé. Rien n'a été envoyé.",
    },
    "send.nothing_to_cancel": {
        "en": "There's nothing to cancel.",
        "fr": "Il n'y a rien à annuler.",
    },
    # --- the confirmation card, in each state ---
    # In the payer's private chat the card speaks to them; in a group it says who pays whom.
    "card.pending": {
        "en": "Send <b>{amount}</b> to {recipient}{memo}?\n"
        "The money is reserved until you confirm (expires in {minutes} min).",
        "fr": "Envoyer <b>{amount}</b> à {recipient}{memo} ?\n"
        "L'argent est réservé jusqu'à votre confirmation (expire dans {minutes} min).",
    },
    "card.pending.group": {
        "en": "{sender} pays {recipient} <b>{amount}</b>{memo}\n"
        "The money is reserved until {sender} confirms (expires in {minutes} min).",
        "fr": "{sender} paie <b>{amount}</b> à {recipient}{memo}\n"
        "L'argent est réservé jusqu'à la confirmation de {sender} (expire dans {minutes} min).",
    },
    "card.posted": {
        "en": "✅ You paid <b>{amount}</b> to {recipient}{memo}\n"
        "Paid on {when}\nReference: <code>{ref}</code>",
        "fr": "✅ Vous avez payé <b>{amount}</b> à {recipient}{memo}\n"
        "Payé le {when}\nRéférence : <code>{ref}</code>",
    },
    "card.posted.group": {
        "en": "✅ {sender} paid {recipient} <b>{amount}</b>{memo}\n"
        "Paid on {when}\nReference: <code>{ref}</code>",
        "fr": "✅ {sender} a payé <b>{amount}</b> à {recipient}{memo}\n"
        "Payé le {when}\nRéférence : <code>{ref}</code>",
    },
    "card.voided": {
        "en": "Cancelled: you didn't send <b>{amount}</b> to {recipient}{memo}; "
        "the reserved money is back in your balance.",
        "fr": "Annulé : vous n'avez pas envoyé <b>{amount}</b> à {recipient}{memo} ; "
        "l'argent réservé est de retour sur votre solde.",
    },
    "card.voided.group": {
        "en": "Cancelled: {sender} didn't send <b>{amount}</b> to {recipient}{memo}.",
        "fr": "Annulé : {sender} n'a pas envoyé <b>{amount}</b> à {recipient}{memo}.",
    },
    "card.expired": {
        "en": "Expired: you didn't confirm <b>{amount}</b> to {recipient}{memo} in time, so "
        "nothing was sent and the reserved money is back in your balance. Send it again "
        "with /send.",
        "fr": "Expiré : vous n'avez pas confirmé à temps <b>{amount}</b> à {recipient}{memo}, "
        "rien n'a donc été envoyé et l'argent réservé est de retour sur votre solde. "
        "Renvoyez-le avec /send.",
    },
    "card.expired.group": {
        "en": "Expired: {sender} didn't confirm <b>{amount}</b> to {recipient}{memo} in time; "
        "nothing was sent.",
        "fr": "Expiré : {sender} n'a pas confirmé à temps <b>{amount}</b> à "
        "{recipient}{memo} ; rien n'a été envoyé.",
    },
    "card.first_payment": {
        "en": "⚠️ You've never paid {recipient} ({name}): check it's them.",
        "fr": "⚠️ Vous n'avez encore jamais payé {recipient} ({name}) : vérifiez que c'est "
        "bien cette personne.",
    },
    "card.just_sent": {
        "en": "⚠️ You just sent them this same amount: is this a second payment?",
        "fr": "⚠️ Vous venez de lui envoyer ce même montant : s'agit-il d'un second paiement ?",
    },
    "card.request_still_open": {
        "en": "{requester}'s request is still open: pay it or decline it when you like.",
        "fr": "La demande de {requester} reste ouverte : payez-la ou refusez-la quand vous voulez.",
    },
    "card.confirm_button": {"en": "Confirm", "fr": "Confirmer"},
    "card.cancel_button": {"en": "Cancel", "fr": "Annuler"},
    "card.invalid": {
        "en": "This button is not valid.",
        "fr": "Ce bouton n'est pas valide.",
    },
    "card.not_yours": {
        "en": "Only the person paying can press these buttons.",
        "fr": "Seule la personne qui paie peut appuyer sur ces boutons.",
    },
    "card.request_closed": {
        "en": "This request was declined already, so nothing was paid; the reserved money is "
        "released.",
        "fr": "Cette demande a déjà été refusée, rien n'a donc été payé ; l'argent réservé "
        "est libéré.",
    },
    "card.confirm_unavailable": {
        "en": "Not confirmed yet: I can't reach the payment service. Press Confirm again in a "
        "moment; "
        "the payment will go through at most once.",
        "fr": "Pas encore confirmé : je n'arrive pas à joindre le service de paiement. Appuyez "
        "de nouveau "
        "sur Confirmer dans un instant ; le paiement ne passera qu'une seule fois.",
    },
    "card.cancel_unavailable": {
        "en": "Not cancelled yet: I can't reach the payment service. Press Cancel again in a "
        "moment; otherwise the reserved money is released when the card expires.",
        "fr": "Pas encore annulé : je n'arrive pas à joindre le service de paiement. Appuyez "
        "de nouveau "
        "sur Annuler dans un instant ; sinon l'argent réservé sera libéré à l'expiration.",
    },
    "card.confirmed_answer": {"en": "Payment sent.", "fr": "Paiement envoyé."},
    "card.cancelled_answer": {
        "en": "Cancelled; nothing was sent.",
        "fr": "Annulé ; rien n'a été envoyé.",
    },
    "card.your_balance": {
        "en": "Your balance: <b>{available}</b>",
        "fr": "Votre solde : <b>{available}</b>",
    },
    "card.your_balance_reserved": {
        "en": "Your balance: <b>{available}</b> available, {reserved} reserved for payments "
        "waiting for confirmation",
        "fr": "Votre solde : <b>{available}</b> disponibles, {reserved} réservés pour des "
        "paiements en attente de confirmation",
    },
    "card.received": {
        "en": "💸 {sender} sent you <b>{amount}</b>{memo}\nReference: <code>{ref}</code>",
        "fr": "💸 {sender} vous a envoyé <b>{amount}</b>{memo}\nRéférence : <code>{ref}</code>",
    },
    # --- /request ---
    "request.usage": {
        "en": "Say who and how much: <code>/request @name 20 dinner</code> "
        "(or reply to their message with <code>/request 20 dinner</code>).",
        "fr": "Indiquez qui et combien : <code>/request @nom 20 dîner</code> "
        "(ou répondez à son message avec <code>/request 20 dîner</code>).",
    },
    "request.ask_amount": {
        "en": "How much do you want to ask {payer} for? For example 12.50 (or /cancel).",
        "fr": "Combien voulez-vous demander à {payer} ? Par exemple 12,50 (ou /cancel).",
    },
    "request.cancelled": {
        "en": "Cancelled. Nothing was requested.",
        "fr": "Annulé. Rien n'a été demandé.",
    },
    "request.received": {
        "en": "💌 {requester} asks you for <b>{amount}</b>{memo}.",
        "fr": "💌 {requester} vous demande <b>{amount}</b>{memo}.",
    },
    "request.sent": {
        "en": "Request sent to {payer} for <b>{amount}</b>{memo}. I'll tell you when they answer.",
        "fr": "Demande envoyée à {payer} : <b>{amount}</b>{memo}. "
        "Je vous préviendrai de sa réponse.",
    },
    "request.undeliverable": {
        "en": "I couldn't deliver your request: {payer} has blocked me or closed our chat. "
        "Nothing was requested.",
        "fr": "Je n'ai pas pu transmettre votre demande : {payer} m'a bloqué ou a fermé notre "
        "conversation. Rien n'a été demandé.",
    },
    "request.pay_button": {"en": "Pay {amount}", "fr": "Payer {amount}"},
    "request.decline_button": {"en": "Decline", "fr": "Refuser"},
    "request.not_yours": {
        "en": "Only the person asked can answer this request.",
        "fr": "Seule la personne sollicitée peut répondre à cette demande.",
    },
    "request.already.paid": {
        "en": "This request is paid already.",
        "fr": "Cette demande est déjà payée.",
    },
    "request.already.declined": {
        "en": "This request was declined.",
        "fr": "Cette demande a été refusée.",
    },
    "request.already.cancelled": {
        "en": "This request is no longer open.",
        "fr": "Cette demande n'est plus ouverte.",
    },
    "request.unpayable": {
        "en": "This request can no longer be paid: its payment was cancelled. Nothing was sent.",
        "fr": "Cette demande ne peut plus être payée : son paiement a été annulé. Rien n'a été "
        "envoyé.",
    },
    "request.declined_answer": {"en": "Declined.", "fr": "Refusé."},
    "request.you_declined": {
        "en": "You declined {requester}'s request for <b>{amount}</b>{memo}.",
        "fr": "Vous avez refusé la demande de {requester} de <b>{amount}</b>{memo}.",
    },
    "request.outcome.paid": {
        "en": "✅ {payer} paid your request: <b>{amount}</b>{memo}",
        "fr": "✅ {payer} a payé votre demande : <b>{amount}</b>{memo}",
    },
    "request.outcome.declined": {
        "en": "{payer} declined your request for <b>{amount}</b>{memo}.",
        "fr": "{payer} a refusé votre demande de <b>{amount}</b>{memo}.",
    },
    "request.outcome.cancelled": {
        "en": "{payer} did not confirm your request for <b>{amount}</b>{memo} in time, so it "
        "lapsed. Send a new /request if you still need it.",
        "fr": "{payer} n'a pas confirmé à temps votre demande de <b>{amount}</b>{memo} : "
        "elle a expiré. Envoyez une nouvelle /request si besoin.",
    },
    "request.outcome.released": {
        "en": "The payment for your request to {payer} for <b>{amount}</b>{memo} was cancelled: "
        "the money reserved for it was released and nothing was paid.",
        "fr": "Le paiement de votre demande de <b>{amount}</b>{memo} à {payer} a été annulé : "
        "l'argent réservé a été libéré et rien n'a été payé.",
    },
}
