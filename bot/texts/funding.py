"""Texts of money in and out: /card, /topup, /withdraw, Telegram Payments, /refund."""

TEXTS: dict[str, dict[str, str]] = {
    "menu.topup": {"en": "Add money to your balance", "fr": "Ajouter de l'argent à votre solde"},
    "menu.withdraw": {"en": "Send money to your card", "fr": "Envoyer de l'argent sur votre carte"},
    "menu.card": {"en": "Link a (test) card", "fr": "Lier une carte (de test)"},
    "menu.refund": {"en": "Refund a top-up", "fr": "Rembourser une recharge"},
    "funding.private": {
        "en": "Top-ups and withdrawals happen in our private chat: send it to me there.",
        "fr": "Les recharges et les retraits se font dans notre conversation privée : "
        "envoyez-la-moi là.",
    },
    "funding.payment_delayed": {
        "en": "Your payment of {amount} was received. I can't reach the ledger right now, so "
        "it will be added to your balance in a moment; you will get a message then.",
        "fr": "Votre paiement de {amount} a bien été reçu. Je n'arrive pas à joindre le "
        "registre pour l'instant : il sera ajouté à votre solde dans un instant, et vous "
        "recevrez un message.",
    },
    # /card
    "funding.card.usage": {
        "en": "Link a card like this: <code>/card 4242 4242 4242 4242 12/29</code> "
        "(a test number: this card processor is emulated and moves no real money).",
        "fr": "Liez une carte ainsi : <code>/card 4242 4242 4242 4242 12/29</code> "
        "(un numéro de test : ce processeur de cartes est émulé et ne déplace aucun argent réel).",
    },
    "funding.card.private": {
        "en": "Card numbers only in our private chat, please: I deleted your message.",
        "fr": "Les numéros de carte uniquement en privé, s'il vous plaît : j'ai supprimé votre "
        "message.",
    },
    "funding.card.none": {
        "en": "No card linked. Link one with <code>/card 4242 4242 4242 4242 12/29</code>.",
        "fr": "Aucune carte liée. Liez-en une avec <code>/card 4242 4242 4242 4242 12/29</code>.",
    },
    "funding.card.linked": {
        "en": "Your linked card: Visa •••• {last4}. Send /card with another number to replace it.",
        "fr": "Votre carte liée : Visa •••• {last4}. Envoyez /card avec un autre numéro pour la "
        "remplacer.",
    },
    "funding.card.done": {
        "en": "✅ Visa •••• {last4} (expires {expiry}) is linked. I kept only its last four "
        "digits, and deleted your message. /topup and /withdraw use it.",
        "fr": "✅ Visa •••• {last4} (expire {expiry}) est liée. Je n'ai gardé que ses quatre "
        "derniers chiffres, et j'ai supprimé votre message. /topup et /withdraw l'utilisent.",
    },
    "funding.card_refused.number_invalid": {
        "en": "That card number is not valid (check the digits). Nothing was linked.",
        "fr": "Ce numéro de carte n'est pas valide (vérifiez les chiffres). Rien n'a été lié.",
    },
    "funding.card_refused.not_test_card": {
        "en": "This card processor is emulated: use a test number such as 4242 4242 4242 4242, "
        "never a real card. Nothing was kept.",
        "fr": "Ce processeur de cartes est émulé : utilisez un numéro de test comme "
        "4242 4242 4242 4242, jamais une vraie carte. Rien n'a été gardé.",
    },
    "funding.card_refused.expiry_invalid": {
        "en": "Give the expiry as MM/YY, for example 12/29. Nothing was linked.",
        "fr": "Donnez l'expiration au format MM/AA, par exemple 12/29. Rien n'a été lié.",
    },
    "funding.card_refused.expired": {
        "en": "That card has expired. Nothing was linked.",
        "fr": "Cette carte a expiré. Rien n'a été lié.",
    },
    # declines
    "funding.decline.insufficient_funds": {
        "en": "❌ Your card was declined: insufficient funds. Nothing was charged or credited.",
        "fr": "❌ Votre carte a été refusée : fonds insuffisants. Rien n'a été débité ni crédité.",
    },
    "funding.decline.expired_card": {
        "en": "❌ Your card was declined: card expired. Nothing was charged or credited.",
        "fr": "❌ Votre carte a été refusée : carte expirée. Rien n'a été débité ni crédité.",
    },
    "funding.decline.card_declined": {
        "en": "❌ Your card was declined by its bank. Nothing was charged or credited.",
        "fr": "❌ Votre carte a été refusée par sa banque. Rien n'a été débité ni crédité.",
    },
    "funding.decline.processing_error": {
        "en": "❌ The card processor had an error. Nothing was charged or credited; try again.",
        "fr": "❌ Le processeur de cartes a eu une erreur. Rien n'a été débité ni crédité ; "
        "réessayez.",
    },
    # limits and refusals
    "funding.limit.topup": {
        "en": "That is over your daily top-up limit ({limit}): you can add {remaining} more today.",
        "fr": "C'est au-delà de votre plafond quotidien de recharge ({limit}) : vous pouvez "
        "encore ajouter {remaining} aujourd'hui.",
    },
    "funding.limit.payout": {
        "en": "That is over your daily withdrawal limit ({limit}): you can withdraw {remaining} "
        "more today.",
        "fr": "C'est au-delà de votre plafond quotidien de retrait ({limit}) : vous pouvez "
        "encore retirer {remaining} aujourd'hui.",
    },
    "refusal.funding.no_card": {
        "en": "Link a card first: <code>/card 4242 4242 4242 4242 12/29</code>.",
        "fr": "Liez d'abord une carte : <code>/card 4242 4242 4242 4242 12/29</code>.",
    },
    "refusal.funding.closed": {
        "en": "This is no longer open: nothing was done.",
        "fr": "Ceci n'est plus ouvert : rien n'a été fait.",
    },
    "refusal.funding.not_found": {
        "en": "I did not make this invoice, or it was changed: nothing was charged.",
        "fr": "Je n'ai pas émis cette facture, ou elle a été modifiée : rien n'a été débité.",
    },
    "refusal.funding.not_refundable": {
        "en": "{ref} is not a top-up: only top-ups are refunded (use /reverse for payments).",
        "fr": "{ref} n'est pas une recharge : seules les recharges se remboursent (/reverse "
        "pour les paiements).",
    },
    "refusal.funding.refund_spent": {
        "en": "Not refunded: the money of {ref} ({amount}) was spent; its owner has {available} "
        "left.",
        "fr": "Non remboursé : l'argent de {ref} ({amount}) a été dépensé ; il reste {available} "
        "à son titulaire.",
    },
    # /topup
    "funding.topup.usage": {
        "en": "How much? For example <code>/topup 50</code>.",
        "fr": "Combien ? Par exemple <code>/topup 50</code>.",
    },
    "funding.topup_button": {"en": "➕ Top up", "fr": "➕ Recharger"},
    "funding.topup.how_much": {
        "en": "How much do you want to add? (Or send <code>/topup 35</code> for another amount.)",
        "fr": "Combien voulez-vous ajouter ? (Ou envoyez <code>/topup 35</code> pour un autre "
        "montant.)",
    },
    "funding.topup.card": {
        "en": "⚠️ Add <b>{amount}</b> to your balance from Visa •••• {last4}?\n"
        "(Emulated card: no real money moves.)",
        "fr": "⚠️ Ajouter <b>{amount}</b> à votre solde depuis la Visa •••• {last4} ?\n"
        "(Carte émulée : aucun argent réel ne bouge.)",
    },
    "funding.topped_up": {
        "en": "✅ {amount} added to your balance. Reference <code>{ref}</code>.\n"
        "Your balance: {available}",
        "fr": "✅ {amount} ajoutés à votre solde. Référence <code>{ref}</code>.\n"
        "Votre solde : {available}",
    },
    "funding.cancelled": {
        "en": "Cancelled: {amount} did not move.",
        "fr": "Annulé : {amount} n'a pas bougé.",
    },
    "funding.expired": {
        "en": "This card expired: nothing moved. Send the command again.",
        "fr": "Cette carte a expiré : rien n'a bougé. Renvoyez la commande.",
    },
    "funding.paid_already": {
        "en": "This invoice was paid already: nothing more is charged.",
        "fr": "Cette facture a déjà été payée : rien de plus n'est débité.",
    },
    "funding.frozen": {
        "en": "Your account is frozen, so money can't be added to it or taken out. Contact the "
        "operators.",
        "fr": "Votre compte est gelé : on ne peut ni y ajouter ni en retirer de l'argent. "
        "Contactez les opérateurs.",
    },
    "funding.not_yours": {
        "en": "This was made for someone else: nothing was done. Ask for your own with /topup.",
        "fr": "Ceci a été fait pour quelqu'un d'autre : rien n'a été fait. Demandez le vôtre "
        "avec /topup.",
    },
    "funding.already": {"en": "Already done.", "fr": "Déjà fait."},
    "funding.invoice.title": {"en": "X Money top-up", "fr": "Recharge X Money"},
    "funding.invoice.description": {
        "en": "{amount} added to your X Money balance.",
        "fr": "{amount} ajoutés à votre solde X Money.",
    },
    "funding.invoice.label": {"en": "Top-up", "fr": "Recharge"},
    "funding.invoice.refused": {
        "en": "Telegram Payments can't take that amount (too small or too large for it). "
        "Nothing was charged; try another amount.",
        "fr": "Telegram Payments ne peut pas prendre ce montant (trop petit ou trop grand). "
        "Rien n'a été débité ; essayez un autre montant.",
    },
    # /withdraw
    "funding.withdraw.usage": {
        "en": "How much? For example <code>/withdraw 20</code>.",
        "fr": "Combien ? Par exemple <code>/withdraw 20</code>.",
    },
    "funding.withdraw.card": {
        "en": "⚠️ Send <b>{amount}</b> from your balance to Visa •••• {last4}?",
        "fr": "⚠️ Envoyer <b>{amount}</b> de votre solde vers la Visa •••• {last4} ?",
    },
    "funding.withdraw.held": {
        "en": "⏳ {amount} is on its way to Visa •••• {last4} (reference <code>{ref}</code>). "
        "I'll tell you when it arrives.\nAvailable now: {available}",
        "fr": "⏳ {amount} est en route vers la Visa •••• {last4} (référence <code>{ref}</code>). "
        "Je vous dirai quand il arrive.\nDisponible : {available}",
    },
    # what the outbox says
    "funding.notice.topup_credited": {
        "en": "✅ {amount} added to your balance ({memo}). Reference <code>{ref}</code>.\n"
        "Your balance: {available}",
        "fr": "✅ {amount} ajoutés à votre solde ({memo}). Référence <code>{ref}</code>.\n"
        "Votre solde : {available}",
    },
    "funding.notice.payout_settled": {
        "en": "✅ {amount} arrived on your card ({memo}). Reference <code>{ref}</code>.\n"
        "Your balance: {available}",
        "fr": "✅ {amount} sont arrivés sur votre carte ({memo}). Référence <code>{ref}</code>.\n"
        "Votre solde : {available}",
    },
    "funding.notice.payout_returned": {
        "en": "↩️ Your card ({memo}) could not receive {amount}: the money is back in your "
        "balance. Reference <code>{ref}</code>.\nYour balance: {available}",
        "fr": "↩️ Votre carte ({memo}) n'a pas pu recevoir {amount} : l'argent est revenu sur "
        "votre solde. Référence <code>{ref}</code>.\nVotre solde : {available}",
    },
    # /refund
    "funding.refund.usage": {
        "en": "Usage: <code>/refund &lt;reference&gt; &lt;reason&gt;</code>",
        "fr": "Usage : <code>/refund &lt;référence&gt; &lt;motif&gt;</code>",
    },
    "funding.refund.done": {
        "en": "Refunded {ref}: {amount} reversed by <code>{reversal}</code>; its owner was told.",
        "fr": "{ref} remboursée : {amount} contre-passés par <code>{reversal}</code> ; son "
        "titulaire a été prévenu.",
    },
    "funding.refund.provider": {
        "en": "It was paid through Telegram Payments: refund the charge in the payment "
        "provider's dashboard too (the ledger's side is done).",
        "fr": "Elle a été payée par Telegram Payments : remboursez aussi le paiement dans le "
        "tableau de bord du prestataire (le côté du registre est fait).",
    },
    "funding.refund.stars": {
        "en": "Telegram gave the stars back to the payer (refundStarPayment).",
        "fr": "Telegram a rendu les étoiles au payeur (refundStarPayment).",
    },
    "funding.refund.stars_failed": {
        "en": "The ledger's side is done, but Telegram did not give the stars back: {reason}. "
        "Send the same /refund again to retry that part.",
        "fr": "Le côté du registre est fait, mais Telegram n'a pas rendu les étoiles : "
        "{reason}. Renvoyez le même /refund pour réessayer cette partie.",
    },
    # /limits and /stats
    "funding.limits.show": {
        "en": "Daily top-up limit: <b>{topup}</b>\nDaily withdrawal limit: <b>{payout}</b>\n"
        "(change them with <code>/limits topup 2000</code> or <code>/limits payout 500</code>)",
        "fr": "Plafond quotidien de recharge : <b>{topup}</b>\nPlafond quotidien de retrait : "
        "<b>{payout}</b>\n(modifiez-les avec <code>/limits topup 2000</code> ou "
        "<code>/limits payout 500</code>)",
    },
    "funding.limits.usage": {
        "en": "Write it like <code>/limits topup 2000</code> or <code>/limits payout 500</code>, "
        "optionally followed by a reason.",
        "fr": "Écrivez-la comme <code>/limits topup 2000</code> ou "
        "<code>/limits payout 500</code>, éventuellement suivi d'un motif.",
    },
    "funding.stats.day": {
        "en": "Today: top-ups {topups} (<b>{topped_up}</b>) · payouts {payouts} "
        "(<b>{paid_out}</b>) · refunds {refunds} (<b>{refunded}</b>)",
        "fr": "Aujourd'hui : recharges {topups} (<b>{topped_up}</b>) · retraits {payouts} "
        "(<b>{paid_out}</b>) · remboursements {refunds} (<b>{refunded}</b>)",
    },
    "funding.stats.books_ok": {
        "en": "✅ Money in and out: issued {issued} + topped up {topped_up} − paid out "
        "{paid_out} − refunded {refunded} = {users} held by users.",
        "fr": "✅ Entrées et sorties : émis {issued} + rechargé {topped_up} − retiré "
        "{paid_out} − remboursé {refunded} = {users} détenus par les utilisateurs.",
    },
    "funding.stats.books_broken": {
        "en": "❌ Money in and out does not add up: issued {issued} + topped up {topped_up} − "
        "paid out {paid_out} − refunded {refunded} ≠ {users} held by users.",
        "fr": "❌ Les entrées et sorties ne tombent pas juste : émis {issued} + rechargé "
        "{topped_up} − retiré {paid_out} − remboursé {refunded} ≠ {users} détenus par les "
        "utilisateurs.",
    },
    # names of the kinds
    "history.kind.topup": {"en": "card top-up", "fr": "recharge par carte"},
    "history.kind.payout": {"en": "to your card", "fr": "vers votre carte"},
    "admin.kind.topup": {"en": "top-up", "fr": "recharge"},
    "admin.kind.payout": {"en": "payout", "fr": "retrait"},
}
