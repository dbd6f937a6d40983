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
    # --- /requests ---
    "menu.requests": {"en": "Open requests, in and out", "fr": "Demandes en cours"},
    "requests.none": {
        "en": "You have no open requests. Ask someone with <code>/request @name 20</code>.",
        "fr": "Vous n'avez aucune demande en cours. Demandez avec <code>/request @nom 20</code>.",
    },
    "requests.title": {"en": "<b>Open requests</b>", "fr": "<b>Demandes en cours</b>"},
    "requests.outgoing": {
        "en": "• You asked {payer} for <b>{amount}</b>{memo}",
        "fr": "• Vous avez demandé <b>{amount}</b> à {payer}{memo}",
    },
    "requests.incoming": {
        "en": "• {requester} asks you for <b>{amount}</b>{memo}",
        "fr": "• {requester} vous demande <b>{amount}</b>{memo}",
    },
    "requests.until": {"en": " (open until {until})", "fr": " (ouverte jusqu'au {until})"},
    "requests.remind_button": {"en": "Remind {payer}", "fr": "Relancer {payer}"},
    "requests.withdraw_button": {"en": "Withdraw {amount}", "fr": "Retirer {amount}"},
    "requests.reminder": {
        "en": "🔔 Reminder: {requester} asks you for <b>{amount}</b>{memo}.",
        "fr": "🔔 Rappel : {requester} vous demande <b>{amount}</b>{memo}.",
    },
    "requests.reminded": {"en": "Reminder sent to {payer}.", "fr": "Rappel envoyé à {payer}."},
    "requests.reminder_undeliverable": {
        "en": "I couldn't deliver the reminder: they have closed our chat.",
        "fr": "Je n'ai pas pu transmettre le rappel : cette personne a fermé notre conversation.",
    },
    "requests.withdrawn_answer": {"en": "Request withdrawn.", "fr": "Demande retirée."},
    "requests.withdrawn": {
        "en": "{requester} withdrew their request for <b>{amount}</b>{memo}: nothing to pay.",
        "fr": "{requester} a retiré sa demande de <b>{amount}</b>{memo} : rien à payer.",
    },
    "requests.lapsed": {
        "en": "Your request to {payer} for <b>{amount}</b>{memo} lapsed without an answer. "
        "Send a new /request if you still need it.",
        "fr": "Votre demande de <b>{amount}</b>{memo} à {payer} a expiré sans réponse. "
        "Envoyez une nouvelle /request si besoin.",
    },
    "send.skip_note_button": {"en": "Skip note", "fr": "Pas de note"},
    # --- /statement ---
    "menu.statement": {"en": "A month's statement (CSV)", "fr": "Relevé du mois (CSV)"},
    "statement.bad_month": {
        "en": "“{text}” is not a month. Write it like <code>/statement 2026-11</code>, or "
        "just /statement for this month.",
        "fr": "« {text} » n'est pas un mois. Écrivez-le comme <code>/statement 2026-11</code>, "
        "ou simplement /statement pour ce mois-ci.",
    },
    "statement.caption": {
        "en": "Your statement for {month}: {count} transfer(s), amounts in {currency}.",
        "fr": "Votre relevé de {month} : {count} transfert(s), montants en {currency}.",
    },
    "statement.filename": {"en": "statement-{month}.csv", "fr": "releve-{month}.csv"},
    "statement.column.date": {"en": "Date (UTC)", "fr": "Date (UTC)"},
    "statement.column.reference": {"en": "Reference", "fr": "Référence"},
    "statement.column.counterparty": {"en": "With", "fr": "Avec"},
    "statement.column.amount": {"en": "Amount", "fr": "Montant"},
    "statement.column.note": {"en": "Note", "fr": "Note"},
    "statement.column.state": {"en": "State", "fr": "État"},
    "statement.state.posted": {"en": "paid", "fr": "payé"},
    "statement.state.pending": {"en": "reserved", "fr": "réservé"},
    "statement.state.voided": {"en": "cancelled", "fr": "annulé"},
    "statement.state.expired": {"en": "expired", "fr": "expiré"},
    "statement.sent_privately": {
        "en": "I've sent you your statement in a private message.",
        "fr": "Je vous ai envoyé votre relevé en message privé.",
    },
    "support.default": {
        "en": "the team that runs this bot",
        "fr": "l'équipe qui gère ce bot",
    },
    # --- /timezone ---
    "menu.timezone": {"en": "Your time zone", "fr": "Votre fuseau horaire"},
    "timezone.current": {
        "en": "Times are shown in {zone}. Change it with <code>/timezone Europe/Paris</code> "
        "(any IANA name, or UTC).",
        "fr": "Les heures sont affichées en {zone}. Changez-le avec "
        "<code>/timezone Europe/Paris</code> (tout nom IANA, ou UTC).",
    },
    "timezone.set": {
        "en": "Time zone set: {zone}. It is now {now}.",
        "fr": "Fuseau horaire choisi : {zone}. Il est {now}.",
    },
    "timezone.unknown": {
        "en": "I don't know the time zone “{text}”. Write it like "
        "<code>/timezone Europe/Paris</code> or <code>/timezone America/New_York</code>.",
        "fr": "Je ne connais pas le fuseau horaire « {text} ». Écrivez-le comme "
        "<code>/timezone Europe/Paris</code> ou <code>/timezone America/Montreal</code>.",
    },
}
