"""Texts of payment links (/link, /links) and paying through one."""

TEXTS: dict[str, dict[str, str]] = {
    "menu.link": {
        "en": "A link (and QR code) to get paid",
        "fr": "Un lien (et QR code) pour être payé",
    },
    "menu.links": {"en": "Your payment links", "fr": "Vos liens de paiement"},
    "link.made": {
        "en": "🔗 Pay me{what}{memo}: {link}\n{kind}, valid until {until} UTC. "
        "Anyone who opens it or scans the code gets a card to confirm.",
        "fr": "🔗 Payez-moi{what}{memo} : {link}\n{kind}, valable jusqu'au {until} UTC. "
        "Qui l'ouvre ou scanne le code reçoit une carte à confirmer.",
    },
    "link.kind.single": {"en": "Single use", "fr": "Usage unique"},
    "link.kind.reusable": {"en": "Reusable", "fr": "Réutilisable"},
    "link.any_amount": {"en": "any amount", "fr": "montant libre"},
    "link.button.revoke": {"en": "Revoke", "fr": "Révoquer"},
    "link.button.revoke_n": {"en": "Revoke {n}", "fr": "Révoquer {n}"},
    "link.revoked": {
        "en": "Revoked: this link can no longer be paid.",
        "fr": "Révoqué : ce lien ne peut plus être payé.",
    },
    "link.not_yours": {
        "en": "Only the link's owner can revoke it.",
        "fr": "Seul le propriétaire du lien peut le révoquer.",
    },
    "link.none": {
        "en": "You have no payment links that can still be paid. Make one with /link 5 lunch.",
        "fr": "Vous n'avez aucun lien de paiement encore valable. "
        "Créez-en un avec /link 5 déjeuner.",
    },
    "link.list": {"en": "Your payment links:\n{lines}", "fr": "Vos liens de paiement :\n{lines}"},
    "link.line": {
        "en": "{n}. {what}{memo} · {kind} · until {until} UTC\n{link}",
        "fr": "{n}. {what}{memo} · {kind} · jusqu'au {until} UTC\n{link}",
    },
    "link.ask_amount": {
        "en": "How much do you want to pay {owner}{memo}? Reply with an amount, for example "
        "12.50.\n(Link: {link})",
        "fr": "Combien voulez-vous payer à {owner}{memo} ? Répondez avec un montant, par exemple "
        "12,50.\n(Lien : {link})",
    },
    "link.reply_again": {
        "en": "Reply to my question with the amount.",
        "fr": "Répondez à ma question avec le montant.",
    },
    "refusal.link_closed": {
        "en": "This payment link can't be paid any more.",
        "fr": "Ce lien de paiement ne peut plus être payé.",
    },
    "link.closed.revoked": {
        "en": "This payment link was revoked by its owner.",
        "fr": "Ce lien de paiement a été révoqué par son propriétaire.",
    },
    "link.closed.expired": {
        "en": "This payment link has expired.",
        "fr": "Ce lien de paiement a expiré.",
    },
    "link.closed.used": {
        "en": "This payment link was used already (it was for one payment).",
        "fr": "Ce lien de paiement a déjà servi (il était pour un seul paiement).",
    },
    "link.closed.busy": {
        "en": "Someone is paying this link right now. Try again in a few minutes.",
        "fr": "Quelqu'un paie ce lien en ce moment. Réessayez dans quelques minutes.",
    },
    "link.closed.unknown": {
        "en": "This payment link is not valid.",
        "fr": "Ce lien de paiement n'est pas valide.",
    },
    "link.usage": {
        "en": "Write it like /link 5 lunch (or /link lunch to let the payer choose; "
        "/link reusable 5 coffee for a link that can be paid many times).",
        "fr": "Écrivez par exemple /link 5 déjeuner (ou /link déjeuner pour laisser le payeur "
        "choisir ; /link réutilisable 5 café pour un lien payable plusieurs fois).",
    },
}
