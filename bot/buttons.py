"""Every button's callback-data prefix, in one place, so no two features can claim the same
one. A button's data is a prefix and an opaque reference, never trusted: each press is
checked again against the ledger."""

from __future__ import annotations

# A payment's confirmation card (bot.cards): p:c:<transfer ref>, p:x:<transfer ref>
CARD_CONFIRM = "p:c:"
CARD_CANCEL = "p:x:"
# A payment request, to its payer (bot.request): r:p:<request ref>, r:d:<request ref>
REQUEST_PAY = "r:p:"
REQUEST_DECLINE = "r:d:"
# An admin's confirmation card (bot.admin_cards): a:c:<card id>, a:x:<card id>
ADMIN_CARD = "a:"
# An inline cheque (bot.cheques): q:a:<cheque id> accept, q:x:<cheque id> cancel;
# an escrow offer after /send to someone new: q:e:<chat id>:<message id>
CHEQUE_ACCEPT = "q:a:"
CHEQUE_CANCEL = "q:x:"
CHEQUE_ESCROW = "q:e:"
# A red envelope's Open (bot.envelopes): v:o:<envelope id>
ENVELOPE_OPEN = "v:o:"
# A payment link's Revoke (bot.links): k:r:<link id>
LINK_REVOKE = "k:r:"
# /history's pages (bot.history): h:<offset>
HISTORY_PAGE = "h:"
# /language's choices (bot.language): l:<code>
LANGUAGE = "l:"

# Money in and out (bot.funding): f:t:/f:x:<token> a top-up's card, f:w:/f:y:<token> a
# payout's, f:m: the [Top up] button under /balance, f:a:<minor units> an amount it offers
FUNDING = "f:"
TOPUP_CONFIRM, TOPUP_CANCEL = "f:t:", "f:x:"
PAYOUT_CONFIRM, PAYOUT_CANCEL = "f:w:", "f:y:"
TOPUP_MENU, TOPUP_AMOUNT = "f:m:", "f:a:"
# A receipt's buttons (bot.receipts): c:a: send again, c:r: request back (the payer's),
# c:t: say thanks, c:b: send back (the recipient's), each with the transfer ref
RECEIPT_AGAIN = "c:a:"
RECEIPT_REQUEST_BACK = "c:r:"
RECEIPT_THANKS = "c:t:"
RECEIPT_SEND_BACK = "c:b:"
# Plain text's suggestion (bot.chat): t:s:<username>:<minor units>
CHAT_SEND = "t:s:"
# /requests (bot.requests_view): o:r:<request ref> remind, o:w:<request ref> withdraw
REQUESTS_REMIND = "o:r:"
REQUESTS_WITHDRAW = "o:w:"
# The guided /send's choices (bot.send): g:w:<user id>, g:a:<minor units>, g:s (skip note)
PICK_WHO = "g:w:"
PICK_AMOUNT = "g:a:"
PICK_SKIP = "g:s"

ALL = (
    CARD_CONFIRM,
    CARD_CANCEL,
    REQUEST_PAY,
    REQUEST_DECLINE,
    ADMIN_CARD,
    HISTORY_PAGE,
    LANGUAGE,
    FUNDING,
    RECEIPT_AGAIN,
    RECEIPT_REQUEST_BACK,
    RECEIPT_THANKS,
    RECEIPT_SEND_BACK,
    CHAT_SEND,
    REQUESTS_REMIND,
    REQUESTS_WITHDRAW,
    PICK_WHO,
    PICK_AMOUNT,
    PICK_SKIP,
    CHEQUE_ACCEPT,
    CHEQUE_CANCEL,
    CHEQUE_ESCROW,
    LINK_REVOKE,
    ENVELOPE_OPEN,
)
