"""Texts of the admin commands, their confirmation cards and the notices people get."""

TEXTS: dict[str, dict[str, str]] = {
    # --- the admin command menu (only in admins' private chats) ---
    "menu.admin_user": {"en": "Admin: someone's account", "fr": "Admin : le compte de quelqu'un"},
    "menu.admin_tx": {"en": "Admin: one transfer", "fr": "Admin : un transfert"},
    "menu.admin_freeze": {"en": "Admin: freeze an account", "fr": "Admin : geler un compte"},
    "menu.admin_unfreeze": {
        "en": "Admin: unfreeze an account",
        "fr": "Admin : dégeler un compte",
    },
    "menu.admin_credit": {"en": "Admin: top up an account", "fr": "Admin : créditer un compte"},
    "menu.admin_debit": {"en": "Admin: debit an account", "fr": "Admin : débiter un compte"},
    "menu.admin_reverse": {
        "en": "Admin: reverse a transfer",
        "fr": "Admin : contre-passer un transfert",
    },
    "menu.admin_audit": {"en": "Admin: latest admin actions", "fr": "Admin : dernières actions"},
    "menu.admin_stats": {
        "en": "Admin: figures and ledger check",
        "fr": "Admin : chiffres et contrôle du registre",
    },
    "menu.admin_limits": {
        "en": "Admin: show or set limits",
        "fr": "Admin : voir ou fixer les limites",
    },
    # --- how each command is written ---
    "admin.usage.freeze": {
        "en": "Write it like <code>/freeze @name reason</code> (or reply to their message "
        "with <code>/freeze reason</code>).",
        "fr": "Écrivez-la comme <code>/freeze @nom motif</code> (ou répondez à son message "
        "avec <code>/freeze motif</code>).",
    },
    "admin.usage.unfreeze": {
        "en": "Write it like <code>/unfreeze @name</code>, optionally followed by a reason.",
        "fr": "Écrivez-la comme <code>/unfreeze @nom</code>, éventuellement suivi d'un motif.",
    },
    "admin.usage.credit": {
        "en": "Write it like <code>/credit @name 10.00 reason</code>.",
        "fr": "Écrivez-la comme <code>/credit @nom 10,00 motif</code>.",
    },
    "admin.usage.debit": {
        "en": "Write it like <code>/debit @name 5.00 reason</code>.",
        "fr": "Écrivez-la comme <code>/debit @nom 5,00 motif</code>.",
    },
    "admin.usage.reverse": {
        "en": "Write it like <code>/reverse REFERENCE reason</code>; the reference is on the "
        "receipt and in /user.",
        "fr": "Écrivez-la comme <code>/reverse RÉFÉRENCE motif</code> ; la référence figure "
        "sur le reçu et dans /user.",
    },
    "admin.usage.user": {
        "en": "Write it like <code>/user @name</code> or <code>/user 123456789</code>.",
        "fr": "Écrivez-la comme <code>/user @nom</code> ou <code>/user 123456789</code>.",
    },
    "admin.usage.tx": {
        "en": "Write it like <code>/tx REFERENCE</code>.",
        "fr": "Écrivez-la comme <code>/tx RÉFÉRENCE</code>.",
    },
    "admin.usage.audit": {
        "en": "Write it like <code>/audit</code> or <code>/audit 20</code> (at most {maximum}).",
        "fr": "Écrivez-la comme <code>/audit</code> ou <code>/audit 20</code> (au plus {maximum}).",
    },
    "admin.usage.limits": {
        "en": "Write it like <code>/limits</code> to see them, or <code>/limits max 500</code> "
        "or <code>/limits daily 2000</code>, optionally followed by a reason.",
        "fr": "Écrivez-la comme <code>/limits</code> pour les voir, ou "
        "<code>/limits max 500</code> ou <code>/limits daily 2000</code>, éventuellement "
        "suivi d'un motif.",
    },
    # --- refusals ---
    "admin.refusal.reason_required": {
        "en": "Give a reason: it goes on the record and to the person concerned. {usage}",
        "fr": "Donnez un motif : il est consigné et communiqué à la personne concernée. {usage}",
    },
    "admin.refusal.unknown_username": {
        "en": "Nobody called @{username} has used the bot. Check the spelling, or use their "
        "numeric id.",
        "fr": "Personne du nom de @{username} n'a utilisé le bot. Vérifiez l'orthographe, ou "
        "utilisez son identifiant numérique.",
    },
    "admin.refusal.unknown_id": {
        "en": "Nobody with the id {id} has used the bot or has an account.",
        "fr": "Personne avec l'identifiant {id} n'a utilisé le bot ni n'a de compte.",
    },
    "admin.refusal.two_numbers": {
        "en": "“{numbers}” is two numbers in a row; I read only one amount and nothing was "
        "done. In a reply the person is the author of the message and the first number is "
        "the amount. Start the reason with a word. {usage}",
        "fr": "« {numbers} » : deux nombres à la suite ; je ne lis qu'un montant, et rien "
        "n'a été fait. En réponse à un message, la personne est son auteur et le premier "
        "nombre est le montant. Commencez le motif par un mot. {usage}",
    },
    "admin.refusal.yourself": {
        "en": "You can't do this to your own account; ask another admin.",
        "fr": "Vous ne pouvez pas faire cela sur votre propre compte ; demandez à un autre admin.",
    },
    "admin.refusal.own_transfer": {
        "en": "You paid or were paid by transfer {ref}, so you can't act on it; "
        "ask another admin. Nothing changed.",
        "fr": "Vous êtes partie au transfert {ref} (vous l'avez payé ou reçu) : vous ne pouvez "
        "pas agir dessus ; demandez à un autre admin. Rien n'a changé.",
    },
    "admin.refusal.bot": {
        "en": "That is a bot; bots have no accounts.",
        "fr": "C'est un bot ; les bots n'ont pas de compte.",
    },
    "admin.refusal.already_frozen": {
        "en": "{name}'s account is frozen already. Nothing changed.",
        "fr": "Le compte de {name} est déjà gelé. Rien n'a changé.",
    },
    "admin.refusal.not_frozen": {
        "en": "{name}'s account is not frozen. Nothing changed.",
        "fr": "Le compte de {name} n'est pas gelé. Rien n'a changé.",
    },
    "admin.refusal.debit_funds": {
        "en": "{name} has only {available} available, so {amount} can't be debited "
        "(an account never goes below zero). Debit at most {available}.",
        "fr": "{name} n'a que {available} disponible, {amount} ne peut donc pas être débité "
        "(un compte ne passe jamais sous zéro). Débitez au plus {available}.",
    },
    "admin.refusal.reverse_funds": {
        "en": "Can't reverse: the recipient {name} has only {available} available and the "
        "reversal needs {amount}. Nothing changed.",
        "fr": "Contre-passation impossible : le destinataire {name} n'a que {available} "
        "disponible et il faut {amount}. Rien n'a changé.",
    },
    "admin.refusal.reverse_reversal": {
        "en": "Transfer {ref} is itself a reversal and can't be reversed. Nothing changed.",
        "fr": "Le transfert {ref} est lui-même une contre-passation et ne peut pas être "
        "contre-passé. Rien n'a changé.",
    },
    "admin.refusal.not_posted": {
        "en": "Transfer {ref} is {state}, not completed, so there is nothing to reverse.",
        "fr": "Le transfert {ref} est {state}, pas effectué : il n'y a rien à contre-passer.",
    },
    "admin.refusal.insufficient_funds": {
        "en": "Not enough money in the account: {available} available, {amount} needed. "
        "Nothing changed.",
        "fr": "Pas assez d'argent sur le compte : {available} disponible, il faut {amount}. "
        "Rien n'a changé.",
    },
    "admin.refusal.no_account": {
        "en": "That account does not exist. Nothing changed.",
        "fr": "Ce compte n'existe pas. Rien n'a changé.",
    },
    "admin.refusal.conflict": {
        "en": "This command was already used for a different action. Send a new command.",
        "fr": "Cette commande a déjà servi à une autre action. Envoyez une nouvelle commande.",
    },
    # --- the confirmation card ---
    "admin.summary.freeze": {
        "en": "freeze {name}'s account",
        "fr": "geler le compte de {name}",
    },
    "admin.summary.credit": {
        "en": "credit <b>{amount}</b> to {name}, more than the maximum of one payment",
        "fr": "créditer <b>{amount}</b> à {name}, plus que le maximum d'un paiement",
    },
    "admin.summary.debit": {
        "en": "debit <b>{amount}</b> from {name}",
        "fr": "débiter <b>{amount}</b> du compte de {name}",
    },
    "admin.summary.reverse": {
        "en": "reverse transfer <code>{ref}</code>: {name} gives <b>{amount}</b> back to {sender}",
        "fr": "contre-passer le transfert <code>{ref}</code> : {name} rend <b>{amount}</b> "
        "à {sender}",
    },
    "admin.card.open": {
        "en": "⚠️ Please confirm: {summary}{reason}\n"
        "Only you can press; this card expires in {minutes} min.",
        "fr": "⚠️ Confirmez, s'il vous plaît : {summary}{reason}\n"
        "Vous seul pouvez appuyer ; cette carte expire dans {minutes} min.",
    },
    "admin.card.done": {
        "en": "✅ Done: {summary}{reason}\n{outcome}",
        "fr": "✅ Fait : {summary}{reason}\n{outcome}",
    },
    "admin.card.failed": {
        "en": "❌ Not done: {summary}{reason}\n{outcome}",
        "fr": "❌ Pas fait : {summary}{reason}\n{outcome}",
    },
    "admin.card.cancelled": {
        "en": "Cancelled: {summary}{reason}\nNothing was done.",
        "fr": "Annulé : {summary}{reason}\nRien n'a été fait.",
    },
    "admin.card.expired": {
        "en": "Expired: {summary}{reason}\nNothing was done; run the command again if needed.",
        "fr": "Expiré : {summary}{reason}\nRien n'a été fait ; relancez la commande si besoin.",
    },
    "admin.button.confirm": {"en": "Confirm", "fr": "Confirmer"},
    "admin.button.cancel": {"en": "Cancel", "fr": "Annuler"},
    "admin.press.unknown": {
        "en": "This card expired or is no longer valid; nothing was done. Run the command again.",
        "fr": "Cette carte a expiré ou n'est plus valable ; rien n'a été fait. "
        "Relancez la commande.",
    },
    "admin.press.not_yours": {
        "en": "Only the admin who asked can press these buttons. Nothing was done.",
        "fr": "Seul l'admin qui l'a demandé peut appuyer sur ces boutons. Rien n'a été fait.",
    },
    "admin.press.expired": {
        "en": "This card expired; nothing was done. Run the command again.",
        "fr": "Cette carte a expiré ; rien n'a été fait. Relancez la commande.",
    },
    "admin.press.done": {
        "en": "Already done: this card acts only once; nothing more happened.",
        "fr": "Déjà fait : cette carte n'agit qu'une fois ; rien de plus ne s'est passé.",
    },
    "admin.press.cancelled": {
        "en": "This card was cancelled; nothing was done.",
        "fr": "Cette carte a été annulée ; rien n'a été fait.",
    },
    "admin.press.failed": {
        "en": "This card was refused by the ledger already; nothing was done. "
        "Run the command again if needed.",
        "fr": "Le registre a déjà refusé cette carte ; rien n'a été fait. "
        "Relancez la commande si besoin.",
    },
    "admin.press.cancelled_answer": {
        "en": "Cancelled; nothing was done.",
        "fr": "Annulé ; rien n'a été fait.",
    },
    "admin.press.unavailable": {
        "en": "Not done yet: I can't reach the ledger. Press Confirm again in a moment; "
        "it will act at most once.",
        "fr": "Pas encore fait : je n'arrive pas à joindre le registre. Appuyez de nouveau sur "
        "Confirmer dans un instant ; l'action n'aura lieu qu'une fois.",
    },
    "admin.press.done_answer": {"en": "Done.", "fr": "Fait."},
    # --- receipts for the admin ---
    "admin.done.freeze": {
        "en": "Open holds released: {holds}. They were told, with the reason.",
        "fr": "Réservations en cours libérées : {holds}. La personne a été prévenue, avec "
        "le motif.",
    },
    "admin.done.moved": {
        "en": "Reference: <code>{ref}</code>. Their balance now: <b>{available}</b>.",
        "fr": "Référence : <code>{ref}</code>. Son solde désormais : <b>{available}</b>.",
    },
    "admin.done.freeze_untold": {
        "en": "Open holds released: {holds}. The ledger could not be read just after, so "
        "they were not told yet.",
        "fr": "Réservations en cours libérées : {holds}. Le registre n'a pas pu être relu "
        "juste après, la personne n'a donc pas encore été prévenue.",
    },
    "admin.done.written": {
        "en": "Reference: <code>{ref}</code>. The ledger could not be read just after, so "
        "nobody was told yet; see /tx {ref}.",
        "fr": "Référence : <code>{ref}</code>. Le registre n'a pas pu être relu juste après, "
        "personne n'a donc encore été prévenu ; voir /tx {ref}.",
    },
    "admin.done.reverse": {
        "en": "Reversal: <code>{ref}</code>. Both parties were told.",
        "fr": "Contre-passation : <code>{ref}</code>. Les deux parties ont été prévenues.",
    },
    "admin.done.unfreeze": {
        "en": "✅ {name}'s account is active again; they were told.",
        "fr": "✅ Le compte de {name} est de nouveau actif ; la personne a été prévenue.",
    },
    "admin.done.credit": {
        "en": "✅ Credited <b>{amount}</b> to {name}.\n{outcome}",
        "fr": "✅ <b>{amount}</b> crédité à {name}.\n{outcome}",
    },
    # --- what the people concerned are told ---
    "admin.notice.frozen": {
        "en": "🔒 Your account was frozen by the X Money team. Reason: {reason}\n"
        "You can't send or receive money for now. Questions? Ask {support}.",
        "fr": "🔒 Votre compte a été gelé par l'équipe X Money. Motif : {reason}\n"
        "Vous ne pouvez plus envoyer ni recevoir d'argent pour l'instant. Des questions ? "
        "Adressez-vous à {support}.",
    },
    "admin.notice.holds_released": {
        "en": "Your payments waiting for confirmation were released ({holds}); nothing was sent.",
        "fr": "Vos paiements réservés ont été libérés ({holds}) ; rien n'a été envoyé.",
    },
    "admin.notice.unfrozen": {
        "en": "🔓 Your account is active again{optional_reason}. You can send and receive money.",
        "fr": "🔓 Votre compte est de nouveau actif{optional_reason}. Vous pouvez envoyer et "
        "recevoir de l'argent.",
    },
    "admin.notice.credited": {
        "en": "💰 The X Money team credited <b>{amount}</b> to your account. Reason: {reason}\n"
        "Your balance: <b>{available}</b>",
        "fr": "💰 L'équipe X Money a crédité <b>{amount}</b> sur votre compte. Motif : {reason}\n"
        "Votre solde : <b>{available}</b>",
    },
    "admin.notice.debited": {
        "en": "The X Money team debited <b>{amount}</b> from your account. Reason: {reason}\n"
        "Your balance: <b>{available}</b>",
        "fr": "L'équipe X Money a débité <b>{amount}</b> de votre compte. Motif : {reason}\n"
        "Votre solde : <b>{available}</b>",
    },
    "admin.notice.reversed_taken": {
        "en": "↩️ The X Money team undid transfer <code>{ref}</code>: <b>{amount}</b> you "
        "received went back to the sender. Reason: {reason}\nYour balance: <b>{available}</b>",
        "fr": "↩️ L'équipe X Money a annulé le transfert <code>{ref}</code> : les "
        "<b>{amount}</b> reçus sont retournés à l'expéditeur. Motif : {reason}\n"
        "Votre solde : <b>{available}</b>",
    },
    "admin.notice.reversed_back": {
        "en": "↩️ The X Money team undid transfer <code>{ref}</code>: <b>{amount}</b> you "
        "sent came back to you. Reason: {reason}\nYour balance: <b>{available}</b>",
        "fr": "↩️ L'équipe X Money a annulé le transfert <code>{ref}</code> : les "
        "<b>{amount}</b> envoyés vous ont été rendus. Motif : {reason}\n"
        "Votre solde : <b>{available}</b>",
    },
    # --- /user ---
    "admin.yes": {"en": "yes", "fr": "oui"},
    "admin.no": {"en": "no", "fr": "non"},
    "admin.nobody": {"en": "the system", "fr": "le système"},
    "admin.user.head": {
        "en": "👤 {name} ({full_name}) · id <code>{id}</code> · started the bot: {registered}",
        "fr": "👤 {name} ({full_name}) · id <code>{id}</code> · a démarré le bot : {registered}",
    },
    "admin.user.no_account": {"en": "No account yet.", "fr": "Pas encore de compte."},
    "admin.user.status.active": {"en": "Status: active", "fr": "Statut : actif"},
    "admin.user.status.frozen": {"en": "Status: <b>FROZEN</b>", "fr": "Statut : <b>GELÉ</b>"},
    "admin.user.figures": {
        "en": "Available: <b>{available}</b> · on hold: {on_hold}\n"
        "Sent today: {sent} of the {daily} daily limit · per transfer at most {maximum}",
        "fr": "Disponible : <b>{available}</b> · réservé : {on_hold}\n"
        "Envoyé aujourd'hui : {sent} sur la limite quotidienne de {daily} · au plus {maximum} "
        "par transfert",
    },
    "admin.user.no_transfers": {"en": "No transfers yet.", "fr": "Aucun transfert."},
    "admin.user.transfers": {
        "en": "\n<b>Last {count} transfers</b>",
        "fr": "\n<b>{count} derniers transferts</b>",
    },
    "admin.user.out": {
        "en": "↗️ −{amount} to {who}{memo} · {kind} · {state}\n<code>{ref}</code> · {date}",
        "fr": "↗️ −{amount} à {who}{memo} · {kind} · {state}\n<code>{ref}</code> · {date}",
    },
    "admin.user.in": {
        "en": "↘️ +{amount} from {who}{memo} · {kind} · {state}\n<code>{ref}</code> · {date}",
        "fr": "↘️ +{amount} de {who}{memo} · {kind} · {state}\n<code>{ref}</code> · {date}",
    },
    "admin.kind.payment": {"en": "payment", "fr": "paiement"},
    "admin.kind.credit": {"en": "top-up", "fr": "recharge"},
    "admin.kind.debit": {"en": "debit", "fr": "débit"},
    "admin.kind.welcome": {"en": "welcome credit", "fr": "crédit de bienvenue"},
    "admin.kind.reversal": {"en": "reversal", "fr": "contre-passation"},
    "admin.state.pending": {"en": "on hold", "fr": "réservé"},
    "admin.state.posted": {"en": "completed", "fr": "effectué"},
    "admin.state.voided": {"en": "cancelled", "fr": "annulé"},
    "admin.state.expired": {"en": "expired", "fr": "expiré"},
    # --- /tx ---
    "admin.tx.head": {
        "en": "🧾 Transfer <code>{ref}</code> · {kind} · <b>{state}</b>",
        "fr": "🧾 Transfert <code>{ref}</code> · {kind} · <b>{state}</b>",
    },
    "admin.tx.parties": {
        "en": "<b>{amount}</b> from {sender} to {recipient}",
        "fr": "<b>{amount}</b> de {sender} à {recipient}",
    },
    "admin.tx.memo": {"en": "Note: <i>{memo}</i>", "fr": "Note : <i>{memo}</i>"},
    "admin.tx.created": {"en": "Created {date} by {actor}", "fr": "Créé le {date} par {actor}"},
    "admin.tx.expires": {"en": "Hold expiry: {date}", "fr": "Fin de la réservation : {date}"},
    "admin.tx.resolved": {
        "en": "Settled ({state}) {date} by {actor}",
        "fr": "Réglé ({state}) le {date} par {actor}",
    },
    "admin.tx.reverses": {
        "en": "↩️ Reverses transfer <code>{ref}</code>",
        "fr": "↩️ Contre-passe le transfert <code>{ref}</code>",
    },
    "admin.tx.reversed_by": {
        "en": "↩️ Reversed by <code>{ref}</code> on {date}",
        "fr": "↩️ Contre-passé par <code>{ref}</code> le {date}",
    },
    # --- /audit ---
    "admin.audit.empty": {"en": "No admin actions yet.", "fr": "Aucune action d'admin."},
    "admin.audit.head": {
        "en": "<b>Latest {count} admin actions</b>",
        "fr": "<b>{count} dernières actions d'admin</b>",
    },
    "admin.audit.line": {
        "en": "{date} · {actor} · <b>{action}</b>{target}{details}{reason}",
        "fr": "{date} · {actor} · <b>{action}</b>{target}{details}{reason}",
    },
    "admin.action.freeze": {"en": "freeze", "fr": "gel"},
    "admin.action.unfreeze": {"en": "unfreeze", "fr": "dégel"},
    "admin.action.limits": {"en": "limits", "fr": "limites"},
    "admin.action.credit.posted": {"en": "credit", "fr": "crédit"},
    "admin.action.debit.posted": {"en": "debit", "fr": "débit"},
    "admin.action.reversal.posted": {"en": "reversal", "fr": "contre-passation"},
    # --- /stats ---
    "admin.stats.figures": {
        "en": "<b>X Money</b>\nUsers: {users} ({frozen} frozen) · ledger accounts: {accounts}\n"
        "Total issued: <b>{issued}</b>\nPayments today: {count}, volume <b>{volume}</b>\n"
        "Holds open: {pending}",
        "fr": "<b>X Money</b>\nUtilisateurs : {users} ({frozen} gelés) · comptes du registre : "
        "{accounts}\nTotal émis : <b>{issued}</b>\nPaiements aujourd'hui : {count}, volume "
        "<b>{volume}</b>\nRéservations en cours : {pending}",
    },
    "admin.stats.healthy": {
        "en": "✅ Ledger check: all invariants hold ({accounts} accounts, {transfers} transfers).",
        "fr": "✅ Contrôle du registre : tous les invariants sont respectés ({accounts} "
        "comptes, {transfers} transferts).",
    },
    "admin.stats.broken": {
        "en": "❌ Ledger check: {count} invariant(s) broken:",
        "fr": "❌ Contrôle du registre : {count} invariant(s) violé(s) :",
    },
    "admin.stats.problem": {"en": "• <code>{problem}</code>", "fr": "• <code>{problem}</code>"},
    # --- /limits ---
    "admin.limits.show": {
        "en": "Per-transfer maximum: <b>{maximum}</b>\nDaily sending limit: <b>{daily}</b>\n"
        "(defaults from settings: {default_maximum} and {default_daily})\n"
        "Change them with <code>/limits max 500</code> or <code>/limits daily 2000</code>.",
        "fr": "Maximum par transfert : <b>{maximum}</b>\nLimite d'envoi quotidienne : "
        "<b>{daily}</b>\n(valeurs par défaut des réglages : {default_maximum} et "
        "{default_daily})\nModifiez-les avec <code>/limits max 500</code> ou "
        "<code>/limits daily 2000</code>.",
    },
    "admin.limits.set": {
        "en": "✅ Limits changed; /send and the ledger enforce them from now on.",
        "fr": "✅ Limites modifiées ; /send et le registre les appliquent dès maintenant.",
    },
    "admin.limits.max_above_daily": {
        "en": "Note: the per-transfer maximum is above the daily limit, so the daily limit "
        "is what stops a single payment.",
        "fr": "Remarque : le maximum par transfert dépasse la limite quotidienne ; c'est donc "
        "la limite quotidienne qui borne un paiement.",
    },
}
