"""The wallet page (a Telegram Mini App) and the /wallet command. ``page.*`` texts are shown by
the page itself as plain text (never as markup); ``{name}`` placeholders are filled there."""

TEXTS = {
    "menu.wallet": {"en": "Your wallet, as a page", "fr": "Votre portefeuille, en page"},
    "wallet.open": {
        "en": "Your wallet: balance, chart, history and payments on one page.",
        "fr": "Votre portefeuille : solde, graphique, historique et paiements sur une page.",
    },
    "wallet.button": {"en": "Open the wallet", "fr": "Ouvrir le portefeuille"},
    "wallet.menu_button": {"en": "Wallet", "fr": "Portefeuille"},
    "wallet.not_set_up": {
        "en": "The wallet page is not set up on this bot; /balance and /history work.",
        "fr": "La page du portefeuille n'est pas activée sur ce bot ; /balance et /history "
        "fonctionnent.",
    },
    "page.title": {"en": "Wallet", "fr": "Portefeuille"},
    "page.available": {"en": "Available", "fr": "Disponible"},
    "page.held": {"en": "Reserved", "fr": "Réservé"},
    "page.chart": {"en": "Balance, last 30 days", "fr": "Solde, 30 derniers jours"},
    "page.history": {"en": "History", "fr": "Historique"},
    "page.filter_all": {"en": "All", "fr": "Tout"},
    "page.filter_sent": {"en": "Sent", "fr": "Envoyés"},
    "page.filter_received": {"en": "Received", "fr": "Reçus"},
    "page.filter_requests": {"en": "Requests", "fr": "Demandes"},
    "page.filter_cheques": {"en": "Cheques", "fr": "Chèques"},
    "page.search": {"en": "Search a person or a note", "fr": "Chercher une personne ou une note"},
    "page.older": {"en": "Older", "fr": "Plus anciens"},
    "page.newer": {"en": "Newer", "fr": "Plus récents"},
    "page.empty": {"en": "Nothing here yet.", "fr": "Rien pour l'instant."},
    "page.to": {"en": "to {who}", "fr": "à {who}"},
    "page.from": {"en": "from {who}", "fr": "de {who}"},
    "page.cheque_to": {"en": "cheque to {who}", "fr": "chèque à {who}"},
    "page.cheque_from": {"en": "cheque from {who}", "fr": "chèque de {who}"},
    "page.cheque_open": {"en": "open cheque", "fr": "chèque ouvert"},
    "page.envelope_share": {"en": "red envelope share", "fr": "part d'enveloppe rouge"},
    "page.envelope_to": {
        "en": "red envelope share to {who}",
        "fr": "part d'enveloppe rouge à {who}",
    },
    "page.envelope_from": {"en": "red envelope from {who}", "fr": "enveloppe rouge de {who}"},
    "page.state_pending": {"en": "reserved", "fr": "réservé"},
    "page.state_voided": {"en": "cancelled", "fr": "annulé"},
    "page.state_expired": {"en": "expired", "fr": "expiré"},
    "page.requests": {"en": "Requests to pay", "fr": "Demandes à payer"},
    "page.no_requests": {"en": "No request waiting.", "fr": "Aucune demande en attente."},
    "page.asks": {"en": "{who} asks {amount}", "fr": "{who} demande {amount}"},
    "page.pay": {"en": "Pay", "fr": "Payer"},
    "page.decline": {"en": "Decline", "fr": "Refuser"},
    "page.send": {"en": "Send money", "fr": "Envoyer de l'argent"},
    "page.recipient": {"en": "To (@username)", "fr": "À (@pseudo)"},
    "page.amount": {"en": "Amount", "fr": "Montant"},
    "page.note": {"en": "Note (optional)", "fr": "Note (facultative)"},
    "page.review": {"en": "Review", "fr": "Vérifier"},
    "page.confirm_send": {
        "en": "Send {amount} to {who}?",
        "fr": "Envoyer {amount} à {who} ?",
    },
    "page.confirm_pay": {"en": "Pay {amount} to {who}?", "fr": "Payer {amount} à {who} ?"},
    "page.confirm": {"en": "Confirm", "fr": "Confirmer"},
    "page.cancel": {"en": "Cancel", "fr": "Annuler"},
    "page.sent": {
        "en": "Paid {amount} to {who}. The receipt is in your chat with the bot.",
        "fr": "{amount} payés à {who}. Le reçu est dans votre conversation avec le bot.",
    },
    "page.declined": {"en": "Request declined.", "fr": "Demande refusée."},
    "page.open_in_telegram": {
        "en": "Open this page from the bot in Telegram (its menu button or /wallet).",
        "fr": "Ouvrez cette page depuis le bot dans Telegram (son bouton de menu ou /wallet).",
    },
    "page.session_over": {
        "en": "This page has been open too long: close it and open it again from the bot.",
        "fr": "Cette page est ouverte depuis trop longtemps : fermez-la et rouvrez-la depuis "
        "le bot.",
    },
    "page.failed": {
        "en": "Something went wrong; nothing was paid. Try again in a moment.",
        "fr": "Un problème est survenu ; rien n'a été payé. Réessayez dans un instant.",
    },
    "page.bad_request": {
        "en": "This page sent something the bot cannot read; nothing was done.",
        "fr": "Cette page a envoyé quelque chose que le bot ne sait pas lire ; rien n'a été fait.",
    },
}
