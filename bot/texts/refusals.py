"""What to tell a person when the ledger refuses: one text per ``LedgerError.code`` (with a
suffix where one code needs several texts), each saying what to do next."""

TEXTS: dict[str, dict[str, str]] = {
    # --- amounts ---
    "refusal.amount_invalid": {
        "en": "That's not an amount I can read. Write it like 12.50.",
        "fr": "Je ne sais pas lire ce montant. Écrivez-le comme 12,50.",
    },
    "refusal.amount_empty": {
        "en": "Please give an amount, for example 12.50.",
        "fr": "Indiquez un montant, par exemple 12,50.",
    },
    "refusal.amount_zero": {
        "en": "The amount must be more than zero.",
        "fr": "Le montant doit être supérieur à zéro.",
    },
    "refusal.amount_negative": {
        "en": "The amount can't be negative. To ask someone for money, use /request.",
        "fr": "Le montant ne peut pas être négatif. Pour demander de l'argent, utilisez /request.",
    },
    "refusal.amount_nan": {
        "en": "The amount must be a number, for example 12.50.",
        "fr": "Le montant doit être un nombre, par exemple 12,50.",
    },
    "refusal.amount_exponent": {
        "en": "Write the amount in full (1000), not as an exponent (1e3).",
        "fr": "Écrivez le montant en entier (1000), pas avec un exposant (1e3).",
    },
    "refusal.amount_underscore": {
        "en": "Write the amount without underscores, for example 1000 or 1 000.",
        "fr": "Écrivez le montant sans tiret bas, par exemple 1000 ou 1 000.",
    },
    "refusal.amount_digits": {
        "en": "Write the amount with the digits 0-9.",
        "fr": "Écrivez le montant avec les chiffres 0 à 9.",
    },
    "refusal.amount_both_marks": {
        "en": "Use either a dot or a comma for the decimals, not both (12.50 or 12,50).",
        "fr": "Utilisez soit un point soit une virgule pour les décimales, pas les deux "
        "(12.50 ou 12,50).",
    },
    "refusal.amount_thousands": {
        "en": "A dot or comma followed by three digits (like 1,000) could separate thousands "
        "or decimals, so I don't guess. Write a thousand as 1000, and decimals with fewer "
        "digits, like 1.5 or 1.50.",
        "fr": "Un point ou une virgule suivi de trois chiffres (comme 1,000) peut séparer les "
        "milliers ou les décimales, je ne devine donc pas. Écrivez mille 1000, et les "
        "décimales avec moins de chiffres, comme 1,5 ou 1,50.",
    },
    "refusal.amount_malformed": {
        "en": "That's not an amount I can read; write it like 12.50 or 12,50.",
        "fr": "Je ne sais pas lire ce montant ; écrivez-le comme 12,50 ou 12.50.",
    },
    "refusal.amount_decimals": {
        "en": "Amounts have at most {decimals} decimal places here, and I never round. "
        "Write it like 12.50.",
        "fr": "Les montants ont au plus {decimals} décimales ici, et je n'arrondis jamais. "
        "Écrivez-le comme 12,50.",
    },
    "refusal.amount_decimals.none": {
        "en": "This currency has no decimals; write a whole number.",
        "fr": "Cette devise n'a pas de décimales ; écrivez un nombre entier.",
    },
    "refusal.amount_too_large": {
        "en": "That amount is too large; the most I can handle is {maximum}.",
        "fr": "Ce montant est trop élevé ; le maximum que je peux traiter est {maximum}.",
    },
    "refusal.welcome_cap": {
        "en": "Today's welcome credits are all given out.",
        "fr": "Les crédits de bienvenue du jour sont tous distribués.",
    },
    "refusal.total_too_large": {
        "en": "This would take an account past the largest total I can keep ({maximum}), "
        "so nothing was moved.",
        "fr": "Cela porterait un compte au-delà du plus grand total que je peux tenir "
        "({maximum}) : rien n'a donc bougé.",
    },
    "refusal.amount_currency": {
        "en": "Amounts here are in {expected}, not {given}. Write the amount in {expected}.",
        "fr": "Les montants sont ici en {expected}, pas en {given}. Écrivez le montant "
        "en {expected}.",
    },
    # --- accounts and transfers ---
    "refusal.account_not_found": {
        "en": "I can't find that account. Send /start first.",
        "fr": "Je ne trouve pas ce compte. Envoyez d'abord /start.",
    },
    "refusal.account_frozen.sender": {
        "en": "Your account is frozen, so you can't send money. Contact {support}.",
        "fr": "Votre compte est gelé, vous ne pouvez donc pas envoyer d'argent. "
        "Contactez {support}.",
    },
    "refusal.account_frozen.recipient": {
        # Only the account's owner and the admins learn that an account is frozen.
        "en": "This payment can't be made right now. Nothing was sent.",
        "fr": "Ce paiement ne peut pas être effectué pour l'instant. Rien n'a été envoyé.",
    },
    "refusal.same_account": {
        "en": "You can't send money to yourself. Pick someone else.",
        "fr": "Vous ne pouvez pas vous envoyer de l'argent. Choisissez quelqu'un d'autre.",
    },
    "refusal.insufficient_funds": {
        "en": "Not enough money: you have {available} available and this needs {amount}. "
        "Send less, or wait for money to come in.",
        "fr": "Pas assez d'argent : vous avez {available} disponible et il faut {amount}. "
        "Envoyez moins, ou attendez de recevoir de l'argent.",
    },
    "refusal.over_transfer_max": {
        "en": "That's above the maximum of {maximum} per payment. Send a smaller amount.",
        "fr": "C'est au-dessus du maximum de {maximum} par paiement. Envoyez un montant "
        "plus petit.",
    },
    "refusal.daily_limit": {
        "en": "That would pass your daily sending limit of {limit}; you can still send "
        "{remaining} today. Send less, or wait until tomorrow (UTC).",
        "fr": "Cela dépasserait votre limite d'envoi quotidienne de {limit} ; vous pouvez "
        "encore envoyer {remaining} aujourd'hui. Envoyez moins, ou attendez demain (UTC).",
    },
    "refusal.memo_too_long": {
        "en": "The note can be at most {maximum} characters. Shorten it and try again.",
        "fr": "La note peut contenir au plus {maximum} caractères. Raccourcissez-la et réessayez.",
    },
    "refusal.transfer_not_found": {
        "en": "There is no transfer with reference {ref}.",
        "fr": "Il n'y a pas de transfert avec la référence {ref}.",
    },
    "refusal.outcome_unknown": {
        "en": "I lost the payment service while asking it: this may or may not have gone "
        "through. "
        "Try again in a moment; it will be done at most once.",
        "fr": "J'ai perdu le service de paiement en le lui demandant : c'est peut-être fait, "
        "peut-être "
        "pas. Réessayez dans un instant ; ce sera fait au plus une fois.",
    },
    "refusal.request_closed": {
        "en": "This request is no longer open.",
        "fr": "Cette demande n'est plus ouverte.",
    },
    "refusal.request_not_found": {
        "en": "There is no payment request with reference {ref}.",
        "fr": "Il n'y a pas de demande de paiement avec la référence {ref}.",
    },
    "refusal.not_yours": {
        "en": "Only its sender can do that.",
        "fr": "Seul son émetteur peut faire cela.",
    },
    "refusal.already_resolved": {
        "en": "This payment is settled already.",
        "fr": "Ce paiement est déjà réglé.",
    },
    "refusal.already_resolved.posted": {
        "en": "Already confirmed: this payment went through once; nothing more was sent.",
        "fr": "Déjà confirmé : ce paiement est passé une fois ; rien de plus n'a été envoyé.",
    },
    "refusal.already_resolved.voided": {
        "en": "This payment was cancelled; nothing was sent.",
        "fr": "Ce paiement a été annulé ; rien n'a été envoyé.",
    },
    "refusal.already_resolved.expired": {
        "en": "This payment expired before it was confirmed; nothing was sent. "
        "Send it again with /send.",
        "fr": "Ce paiement a expiré avant d'être confirmé ; rien n'a été envoyé. "
        "Renvoyez-le avec /send.",
    },
    "refusal.not_pending": {
        "en": "Transfer {ref} is not a payment waiting for confirmation.",
        "fr": "Le transfert {ref} n'est pas un paiement en attente de confirmation.",
    },
    "refusal.already_reversed": {
        "en": "Transfer {ref} was reversed already, by {reversal_ref}.",
        "fr": "Le transfert {ref} a déjà été contre-passé, par {reversal_ref}.",
    },
    "refusal.not_reversible": {
        "en": "Transfer {ref} can't be reversed: {why}.",
        "fr": "Le transfert {ref} ne peut pas être contre-passé ({why}).",
    },
    "refusal.idempotency_conflict": {
        "en": "This message already started a different payment. Send a new message instead.",
        "fr": "Ce message a déjà lancé un autre paiement. Envoyez plutôt un nouveau message.",
    },
    "refusal.database_unavailable": {
        "en": "I can't reach the payment service right now, so nothing happened and nothing was "
        "charged. Try again in a moment.",
        "fr": "Je n'arrive pas à joindre le service de paiement pour l'instant : rien ne s'est "
        "passé et "
        "rien n'a été débité. Réessayez dans un instant.",
    },
    "refusal.ledger_error": {
        "en": "This was refused, so nothing was moved. Check the details and try again.",
        "fr": "L'opération a été refusée, rien n'a donc bougé. Vérifiez les détails et réessayez.",
    },
    "refusal.request_refused": {
        "en": "I can't pass a request to them right now. Nothing was requested.",
        "fr": "Je ne peux pas leur transmettre de demande pour le moment. Rien n'a été demandé.",
    },
    "refusal.remind_too_soon": {
        "en": "You reminded them less than a day ago: one reminder a day at most.",
        "fr": "Vous l'avez relancé il y a moins d'un jour : une relance par jour au plus.",
    },
}
