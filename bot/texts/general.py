"""Texts of /start, /help, /balance, /language, the command menu, people and failures."""

TEXTS: dict[str, dict[str, str]] = {
    # --- the command menu (set_my_commands) ---
    "menu.start": {"en": "Open your account", "fr": "Ouvrir votre compte"},
    "menu.help": {"en": "Commands and examples", "fr": "Commandes et exemples"},
    "menu.balance": {"en": "Your balance", "fr": "Votre solde"},
    "menu.send": {"en": "Pay someone", "fr": "Payer quelqu'un"},
    "menu.request": {"en": "Ask someone for money", "fr": "Demander de l'argent"},
    "menu.history": {"en": "Your latest transfers", "fr": "Vos derniers transferts"},
    "menu.language": {"en": "Change language", "fr": "Changer de langue"},
    # --- /start and /help ---
    "start.greeting": {
        "en": "Welcome to X Money, {name}!\nYour balance: <b>{available}</b>.",
        "fr": "Bienvenue sur X Money, {name} !\nVotre solde : <b>{available}</b>.",
    },
    "start.again": {
        "en": "Welcome back, {name}.\nYour balance: <b>{available}</b>.",
        "fr": "Rebonjour, {name}.\nVotre solde : <b>{available}</b>.",
    },
    "start.welcome_credit": {
        "en": "🎁 You received a welcome credit of <b>{amount}</b> to try things out.",
        "fr": "🎁 Vous avez reçu un crédit de bienvenue de <b>{amount}</b> pour essayer.",
    },
    "start.how_to_pay": {
        "en": "How to pay: <code>/send @name 12.50 lunch</code>\n"
        "In a group, reply to someone's message with <code>/send 5 thanks</code>. "
        "Every payment waits for your Confirm. /help lists everything.",
        "fr": "Pour payer : <code>/send @nom 12,50 déjeuner</code>\n"
        "Dans un groupe, répondez au message de quelqu'un avec <code>/send 5 merci</code>. "
        "Chaque paiement attend votre confirmation. /help liste tout.",
    },
    "start.in_group": {
        "en": "To start, open a private chat with me: {link}",
        "fr": "Pour commencer, ouvrez une conversation privée avec moi : {link}",
    },
    "start.invitee_joined": {
        "en": "{name} has started X Money: you can pay them now with /send.",
        "fr": "{name} a rejoint X Money : vous pouvez maintenant lui envoyer de l'argent "
        "avec /send.",
    },
    "start.help": {
        "en": "<b>X Money</b>: pay people right here in the chat.\n\n"
        "/balance: what you have, and what is reserved for payments waiting for you\n"
        "<code>/send @name 12.50 lunch</code>: pay someone (also <code>/send 12,50 @name</code>, "
        "or reply to their message with <code>/send 5 thanks</code>). "
        "Every payment waits for your Confirm.\n"
        "/send alone asks who, how much and a note, step by step; /cancel stops.\n"
        "<code>/request @name 20 dinner</code>: ask someone for money\n"
        "/history: your latest transfers\n"
        "/language: English or français",
        "fr": "<b>X Money</b> : payez vos contacts directement dans la conversation.\n\n"
        "/balance : ce que vous avez, et ce qui est réservé\n"
        "<code>/send @nom 12,50 déjeuner</code> : payer quelqu'un (aussi "
        "<code>/send 12.50 @nom</code>, ou en répondant à son message avec "
        "<code>/send 5 merci</code>). Chaque paiement attend votre confirmation.\n"
        "/send seul demande qui, combien et une note, étape par étape ; /cancel arrête.\n"
        "<code>/request @nom 20 dîner</code> : demander de l'argent\n"
        "/history : vos derniers transferts\n"
        "/language : English ou français",
    },
    # --- /balance ---
    "balance.figures": {
        "en": "Available: <b>{available}</b>\nReserved: {on_hold}",
        "fr": "Disponible : <b>{available}</b>\nRéservé : {on_hold}",
    },
    "balance.frozen": {
        "en": "Your account is frozen: you can't send or receive money. Contact {support}.",
        "fr": "Votre compte est gelé : vous ne pouvez ni envoyer ni recevoir d'argent. "
        "Contactez {support}.",
    },
    # --- /language ---
    "language.choose": {
        "en": "Which language should I use?",
        "fr": "Quelle langue dois-je utiliser ?",
    },
    "language.set": {"en": "Language set: {name}.", "fr": "Langue choisie : {name}."},
    # --- people ---
    "who.system": {"en": "X Money", "fr": "X Money"},
    "people.start_first": {
        "en": "You don't have an account yet: open {link} and press Start, then try again.",
        "fr": "Vous n'avez pas encore de compte : ouvrez {link}, appuyez sur Démarrer, "
        "puis réessayez.",
    },
    "people.bad_username": {
        "en": "“{text}” is not a username. Write it like @alice.",
        "fr": "« {text} » n'est pas un nom d'utilisateur. Écrivez-le comme @alice.",
    },
    "people.is_bot": {
        "en": "Bots can't receive money. Pick a person.",
        "fr": "Les bots ne peuvent pas recevoir d'argent. Choisissez une personne.",
    },
    "people.unknown": {
        "en": "I don't know @{username} yet. Ask them to open X Money with this link, "
        "then try again: {link}",
        "fr": "Je ne connais pas encore @{username}. Demandez-lui d'ouvrir X Money avec ce lien, "
        "puis réessayez : {link}",
    },
    "people.not_started": {
        "en": "{name} hasn't started X Money yet, so they can't receive money. "
        "Send them this link; I'll tell you when they join: {link}",
        "fr": "{name} n'a pas encore ouvert X Money et ne peut donc pas recevoir d'argent. "
        "Envoyez-lui ce lien ; je vous préviendrai de son arrivée : {link}",
    },
    # --- shared replies ---
    "common.unknown_command": {
        "en": "I don't know that command. /help lists what I can do.",
        "fr": "Je ne connais pas cette commande. /help liste ce que je sais faire.",
    },
    "common.stale_button": {
        "en": "This button no longer works.",
        "fr": "Ce bouton ne fonctionne plus.",
    },
    "common.start_privately": {
        "en": "I can't write to you privately yet: open {link} and press Start, then try again.",
        "fr": "Je ne peux pas encore vous écrire en privé : ouvrez {link}, appuyez sur "
        "Démarrer, puis réessayez.",
    },
    "common.told_privately": {
        "en": "I can't do that; I've told you why in a private message.",
        "fr": "Je ne peux pas faire cela ; je vous ai expliqué pourquoi en message privé.",
    },
    "common.forwarded_command": {
        "en": "I don't run forwarded commands. To do this yourself, type the command.",
        "fr": "Je n'exécute pas les commandes transférées. Pour le faire vous-même, tapez la "
        "commande.",
    },
    # --- failures (the global error handler) ---
    "error.failed": {
        "en": "Sorry, something went wrong on my side. Nothing was charged; "
        "please try again in a moment.",
        "fr": "Désolé, quelque chose a échoué de mon côté. Rien n'a été débité ; "
        "réessayez dans un instant.",
    },
    "error.database_unavailable": {
        "en": "I can't reach the payment service right now, so this did not go through. "
        "Nothing was charged; try again in a moment.",
        "fr": "Je n'arrive pas à joindre le service de paiement pour l'instant, l'opération "
        "n'a donc pas "
        "abouti. Rien n'a été débité ; réessayez dans un instant.",
    },
    "error.after_money_moved": {
        "en": "Your payment went through, but something failed afterwards. "
        "Check /history before trying again.",
        "fr": "Votre paiement est passé, mais quelque chose a échoué ensuite. "
        "Consultez /history avant de réessayer.",
    },
}
