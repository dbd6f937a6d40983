"""Texts of /history."""

TEXTS: dict[str, dict[str, str]] = {
    "history.empty": {"en": "No transfers yet.", "fr": "Aucun transfert pour l'instant."},
    "history.no_more": {"en": "No older transfers.", "fr": "Pas de transferts plus anciens."},
    "history.title": {
        "en": "<b>Your transfers {first}–{last}</b>",
        "fr": "<b>Vos transferts {first}–{last}</b>",
    },
    "history.newer": {"en": "« Newer", "fr": "« Plus récents"},
    "history.older": {"en": "Older »", "fr": "Plus anciens »"},
    "history.out": {
        "en": "↗️ <b>−{amount}</b> to {who}{memo}{notes}\n<code>{ref}</code> · {date}",
        "fr": "↗️ <b>−{amount}</b> à {who}{memo}{notes}\n<code>{ref}</code> · {date}",
    },
    "history.in": {
        "en": "↘️ <b>+{amount}</b> from {who}{memo}{notes}\n<code>{ref}</code> · {date}",
        "fr": "↘️ <b>+{amount}</b> de {who}{memo}{notes}\n<code>{ref}</code> · {date}",
    },
    "history.unsent": {
        "en": "✖️ {amount} to {who}{memo}{notes}: nothing was sent\n<code>{ref}</code> · {date}",
        "fr": "✖️ {amount} à {who}{memo}{notes} : rien n'a été envoyé\n<code>{ref}</code> · {date}",
    },
    "history.kind.welcome": {"en": "welcome credit", "fr": "crédit de bienvenue"},
    "history.kind.credit": {"en": "top-up", "fr": "recharge"},
    "history.kind.debit": {"en": "debit", "fr": "débit"},
    "history.kind.reversal": {"en": "refund", "fr": "remboursement"},
    "history.state.pending": {"en": "reserved", "fr": "réservé"},
    "history.state.voided": {"en": "cancelled", "fr": "annulé"},
    "history.state.expired": {"en": "expired", "fr": "expiré"},
}
