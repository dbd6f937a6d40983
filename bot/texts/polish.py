"""Texts of the chat's polish (issue 17): amounts and names read right, cards that speak to
the reader, receipts, replies to plain text."""

TEXTS: dict[str, dict[str, str]] = {
    # --- reading what people type ---
    "polish.missing_at": {
        "en": "Usernames start with @: did you mean <code>{command} @{name} {amount}</code>?",
        "fr": "Les noms d'utilisateur commencent par @ : vouliez-vous dire "
        "<code>{command} @{name} {amount}</code> ?",
    },
}
