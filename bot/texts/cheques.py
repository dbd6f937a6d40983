"""Texts of inline cheques, escrow for people who never started the bot, and claims."""

TEXTS: dict[str, dict[str, str]] = {
    # --- the inline query's results ---
    "inline.help.title": {
        "en": "Type an amount, then @who and a note",
        "fr": "Tapez un montant, puis @qui et une note",
    },
    "inline.help.description": {
        "en": "For example: 12.50 @bob lunch (or 12.50 lunch for whoever accepts first)",
        "fr": "Par exemple : 12,50 @bob déjeuner (ou 12,50 déjeuner pour le premier qui accepte)",
    },
    "inline.offer.named": {
        "en": "Send {amount} to @{username}",
        "fr": "Envoyer {amount} à @{username}",
    },
    "inline.offer.open": {
        "en": "Send {amount} to whoever accepts first",
        "fr": "Envoyer {amount} au premier qui accepte",
    },
    "inline.offer.description": {
        "en": "The money is held until it is accepted, cancelled or expires ({hours}).",
        "fr": "L'argent est réservé jusqu'à l'acceptation, l'annulation ou l'expiration ({hours}).",
    },
    "inline.refused.title": {
        "en": "This can't be sent",
        "fr": "Impossible d'envoyer ceci",
    },
    "inline.start_button": {
        "en": "Start the bot to pay",
        "fr": "Démarrer le bot pour payer",
    },
    "inline.start_first": {
        "en": "You have no account yet: start the bot first.",
        "fr": "Vous n'avez pas encore de compte : démarrez d'abord le bot.",
    },
    # --- the cheque, as everyone in the chat sees it ---
    "cheque.open.named": {
        "en": "💸 {sender} is sending <b>{amount}</b> to @{username}{memo}\n"
        "Only @{username} can accept it; it expires in {hours}.",
        "fr": "💸 {sender} envoie <b>{amount}</b> à @{username}{memo}\n"
        "Seul @{username} peut l'accepter ; il expire dans {hours}.",
    },
    "cheque.open.any": {
        "en": "💸 {sender} is sending <b>{amount}</b>{memo}\n"
        "The first person to press Accept receives it; it expires in {hours}.",
        "fr": "💸 {sender} envoie <b>{amount}</b>{memo}\n"
        "La première personne qui appuie sur Accepter le reçoit ; il expire dans {hours}.",
    },
    "cheque.preparing": {
        "en": "💸 {sender} is sending <b>{amount}</b>{memo}…",
        "fr": "💸 {sender} envoie <b>{amount}</b>{memo}…",
    },
    "cheque.paid": {
        "en": "✅ {sender} sent <b>{amount}</b> to {acceptor}{memo}\nReference: <code>{ref}</code>",
        "fr": "✅ {sender} a envoyé <b>{amount}</b> à {acceptor}{memo}\n"
        "Référence : <code>{ref}</code>",
    },
    "cheque.cancelled": {
        "en": "Cancelled: {sender}'s cheque of <b>{amount}</b>{memo} was not paid; "
        "the money went back.",
        "fr": "Annulé : le chèque de <b>{amount}</b>{memo} de {sender} n'a pas été payé ; "
        "l'argent lui est revenu.",
    },
    "cheque.expired": {
        "en": "Expired: {sender}'s cheque of <b>{amount}</b>{memo} was not accepted in time; "
        "the money went back.",
        "fr": "Expiré : le chèque de <b>{amount}</b>{memo} de {sender} n'a pas été accepté "
        "à temps ; l'argent lui est revenu.",
    },
    "cheque.void": {
        "en": "This cheque was never held, so it can pay nothing. Send a new one.",
        "fr": "Ce chèque n'a jamais été réservé : il ne peut rien payer. Envoyez-en un nouveau.",
    },
    "cheque.refused": {
        "en": "This cheque could not be made; nothing was held.",
        "fr": "Ce chèque n'a pas pu être fait ; rien n'a été réservé.",
    },
    "cheque.refused_why": {
        "en": "Your cheque could not be made. {reason}",
        "fr": "Votre chèque n'a pas pu être fait. {reason}",
    },
    "cheque.button.accept": {"en": "Accept", "fr": "Accepter"},
    "cheque.button.cancel": {"en": "Cancel", "fr": "Annuler"},
    "cheque.button.claim": {"en": "Claim it in the bot", "fr": "Le réclamer dans le bot"},
    # --- answers to presses ---
    "cheque.answer.accepted": {
        "en": "You received {amount}.",
        "fr": "Vous avez reçu {amount}.",
    },
    "cheque.answer.yours_already": {
        "en": "You accepted this cheque already.",
        "fr": "Vous avez déjà accepté ce chèque.",
    },
    "cheque.answer.taken": {
        "en": "Someone accepted this cheque first.",
        "fr": "Quelqu'un a accepté ce chèque avant vous.",
    },
    "cheque.answer.not_for_you": {
        "en": "This cheque is for @{username}.",
        "fr": "Ce chèque est pour @{username}.",
    },
    "cheque.answer.own": {
        "en": "You can't accept your own cheque; press Cancel to take it back.",
        "fr": "Vous ne pouvez pas accepter votre propre chèque ; appuyez sur Annuler pour le "
        "reprendre.",
    },
    "cheque.answer.not_sender": {
        "en": "Only the sender can cancel this cheque.",
        "fr": "Seul l'expéditeur peut annuler ce chèque.",
    },
    "cheque.answer.cancelled": {
        "en": "Cancelled; the money is yours again.",
        "fr": "Annulé ; l'argent est de nouveau à vous.",
    },
    "cheque.answer.ended": {
        "en": "This cheque has ended.",
        "fr": "Ce chèque est terminé.",
    },
    "cheque.answer.unheld": {
        "en": "This cheque was never held: nothing can be paid.",
        "fr": "Ce chèque n'a jamais été réservé : rien ne peut être payé.",
    },
    "cheque.answer.claim": {
        "en": "Open the bot to claim it.",
        "fr": "Ouvrez le bot pour le réclamer.",
    },
    # --- what the outbox tells each party ---
    "cheque.told.sender": {
        "en": "✅ {acceptor} accepted your cheque: <b>{amount}</b>{memo}\n"
        "Reference: <code>{ref}</code>",
        "fr": "✅ {acceptor} a accepté votre chèque : <b>{amount}</b>{memo}\n"
        "Référence : <code>{ref}</code>",
    },
    "cheque.told.acceptor": {
        "en": "💸 You received <b>{amount}</b> from {sender}{memo}\nReference: <code>{ref}</code>",
        "fr": "💸 Vous avez reçu <b>{amount}</b> de {sender}{memo}\nRéférence : <code>{ref}</code>",
    },
    "cheque.told.expired": {
        "en": "Your cheque of <b>{amount}</b>{memo} was not accepted in time; "
        "the money is yours again.",
        "fr": "Votre chèque de <b>{amount}</b>{memo} n'a pas été accepté à temps ; "
        "l'argent est de nouveau à vous.",
    },
    # --- claims on /start ---
    "cheque.claim.unknown": {
        "en": "This claim link is not valid.",
        "fr": "Ce lien de réclamation n'est pas valide.",
    },
    # --- escrow: /send to someone who never started the bot ---
    "escrow.offer": {
        "en": "Or send <b>{amount}</b>{memo} to @{username} as a cheque now: the money is held "
        "for {hours}, they claim it with a link you pass on, and it comes back to you if "
        "they don't.",
        "fr": "Ou envoyez <b>{amount}</b>{memo} à @{username} en chèque dès maintenant : "
        "l'argent est réservé {hours}, la personne le réclame avec un lien que vous lui "
        "transmettez, et il vous revient sinon.",
    },
    "escrow.button.send": {"en": "Send as a cheque", "fr": "Envoyer en chèque"},
    "escrow.button.share": {"en": "Share the cheque", "fr": "Partager le chèque"},
    "escrow.held": {
        "en": "💸 <b>{amount}</b> is held for @{username}{memo}. Pass on this link: "
        "{link}\nIt comes back to you if not claimed within {hours}.",
        "fr": "💸 <b>{amount}</b> est réservé pour @{username}{memo}. Transmettez ce lien : "
        "{link}\nL'argent vous revient s'il n'est pas réclamé sous {hours}.",
    },
    "escrow.share.title": {
        "en": "Your cheque of {amount} for @{username}",
        "fr": "Votre chèque de {amount} pour @{username}",
    },
    "escrow.share.text": {
        "en": "💸 {sender} sent you <b>{amount}</b>{memo}. Claim it here: {link}",
        "fr": "💸 {sender} vous a envoyé <b>{amount}</b>{memo}. Réclamez-le ici : {link}",
    },
    "refusal.cheque_taken": {
        "en": "Someone accepted this cheque first.",
        "fr": "Quelqu'un a accepté ce chèque avant vous.",
    },
    "refusal.cheque_unheld": {
        "en": "This cheque was never held: nothing can be paid.",
        "fr": "Ce chèque n'a jamais été réservé : rien ne peut être payé.",
    },
    "refusal.cheque_not_for_you": {
        "en": "This cheque is not for you.",
        "fr": "Ce chèque ne vous est pas destiné.",
    },
    # --- admins: /tx and /user ---
    "admin.cheque.tx": {
        "en": "{what}: this is its {role}; the cheque is {state} (other transfer: {other})",
        "fr": "{what} : ceci est sa {role} ; le chèque est {state} (autre virement : {other})",
    },
    "admin.cheque.role.hold": {"en": "hold", "fr": "réservation"},
    "admin.cheque.role.payout": {"en": "payout", "fr": "paiement"},
    "admin.cheque.state.open": {"en": "open", "fr": "ouvert"},
    "admin.cheque.state.paid": {"en": "paid", "fr": "payé"},
    "admin.cheque.state.cancelled": {"en": "cancelled", "fr": "annulé"},
    "admin.cheque.state.expired": {"en": "expired", "fr": "expiré"},
    "admin.cheque.state.void": {"en": "never held", "fr": "jamais réservé"},
    "admin.cheque.inline": {"en": "Inline cheque {id}", "fr": "Chèque en ligne {id}"},
    "admin.cheque.escrow": {"en": "Escrow cheque {id}", "fr": "Chèque en séquestre {id}"},
    "admin.cheque.share": {
        "en": "Red envelope {envelope}, share {n}",
        "fr": "Enveloppe rouge {envelope}, part {n}",
    },
    "admin.cheque.user_head": {
        "en": "Cheques and envelope shares (latest {count}):",
        "fr": "Chèques et parts d'enveloppes ({count} derniers) :",
    },
    "admin.cheque.user_line": {
        "en": "• {what}, {direction}: {amount}, {state} · <code>{ref}</code>",
        "fr": "• {what}, {direction} : {amount}, {state} · <code>{ref}</code>",
    },
    "admin.cheque.sent": {"en": "sent", "fr": "envoyé"},
    "admin.cheque.accepted": {"en": "accepted", "fr": "accepté"},
}
