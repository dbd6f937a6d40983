"""Texts of red envelopes (/envelope)."""

TEXTS: dict[str, dict[str, str]] = {
    "menu.envelope": {
        "en": "A red envelope for a group to open",
        "fr": "Une enveloppe rouge à ouvrir dans un groupe",
    },
    "envelope.text": {
        "en": "🧧 {sender}'s red envelope: <b>{total}</b> in {count} shares ({mode}){memo}\n"
        "Opened {opened}/{count}{lines}\n"
        "Draw committed to: <code>{commitment}</code>",
        "fr": "🧧 Enveloppe rouge de {sender} : <b>{total}</b> en {count} parts ({mode}){memo}\n"
        "Ouvertes {opened}/{count}{lines}\n"
        "Tirage engagé : <code>{commitment}</code>",
    },
    "envelope.mode.random": {"en": "random", "fr": "au hasard"},
    "envelope.mode.equal": {"en": "equal", "fr": "égales"},
    "envelope.line": {"en": "{who}: {amount}", "fr": "{who} : {amount}"},
    "envelope.over.emptied": {
        "en": "All opened. Seed: <code>{seed}</code> (check the draw: see the README).",
        "fr": "Tout est ouvert. Graine : <code>{seed}</code> "
        "(vérifier le tirage : voir le README).",
    },
    "envelope.over.returned": {
        "en": "Over: <b>{returned}</b> went back to {sender}. Seed: <code>{seed}</code> "
        "(check the draw: see the README).",
        "fr": "Terminé : <b>{returned}</b> est revenu à {sender}. Graine : <code>{seed}</code> "
        "(vérifier le tirage : voir le README).",
    },
    "envelope.button.open": {"en": "Open 🧧", "fr": "Ouvrir 🧧"},
    "envelope.answer.got": {"en": "🧧 You got {amount}!", "fr": "🧧 Vous avez reçu {amount} !"},
    "envelope.answer.had": {
        "en": "You opened this envelope already: you got {amount}.",
        "fr": "Vous avez déjà ouvert cette enveloppe : vous avez reçu {amount}.",
    },
    "envelope.answer.empty": {
        "en": "This envelope is empty.",
        "fr": "Cette enveloppe est vide.",
    },
    "envelope.answer.own": {
        "en": "You can't open your own envelope.",
        "fr": "Vous ne pouvez pas ouvrir votre propre enveloppe.",
    },
    "envelope.answer.start": {
        "en": "Start the bot first to open envelopes.",
        "fr": "Démarrez d'abord le bot pour ouvrir les enveloppes.",
    },
    "envelope.told.opener": {
        "en": "🧧 You got <b>{amount}</b> from {sender}'s red envelope{memo}\n"
        "Reference: <code>{ref}</code>",
        "fr": "🧧 Vous avez reçu <b>{amount}</b> de l'enveloppe rouge de {sender}{memo}\n"
        "Référence : <code>{ref}</code>",
    },
    "envelope.told.returned": {
        "en": "Your red envelope{memo} is over: <b>{amount}</b> nobody opened is yours again.",
        "fr": "Votre enveloppe rouge{memo} est terminée : <b>{amount}</b> non ouvert vous est "
        "revenu.",
    },
    "envelope.groups_only": {
        "en": "Red envelopes are for groups: use /envelope 10 5 in a group with the bot.",
        "fr": "Les enveloppes rouges sont pour les groupes : utilisez /envelope 10 5 dans un "
        "groupe avec le bot.",
    },
    "envelope.usage": {
        "en": "Write it like /envelope 10 5 (10.00 in 5 random shares), "
        "or /envelope 10 5 equal party.",
        "fr": "Écrivez par exemple /envelope 10 5 (10,00 en 5 parts au hasard), "
        "ou /envelope 10 5 equal fête.",
    },
    "refusal.envelope_bad": {
        "en": "An envelope has 1 to {most} shares, and at least one cent each.",
        "fr": "Une enveloppe a de 1 à {most} parts, et au moins un centime chacune.",
    },
    "refusal.envelope_empty": {
        "en": "This envelope is empty.",
        "fr": "Cette enveloppe est vide.",
    },
    "refusal.envelope_opened": {
        "en": "You opened this envelope already.",
        "fr": "Vous avez déjà ouvert cette enveloppe.",
    },
}
