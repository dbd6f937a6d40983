"""Texts of the per-user rate limit on payment actions."""

TEXTS: dict[str, dict[str, str]] = {
    "ratelimit.slow_down": {
        "en": "You're sending payment commands too fast. Wait a minute and try again.",
        "fr": "Vous envoyez des commandes de paiement trop vite. Attendez une minute et réessayez.",
    },
}
