"""Plain text in the private chat is never met with silence: a payment typed without its
slash ("send bob 5", "pay @bob 5 lunch") gets the command it looks like, with a button that
makes its card; anything else a short pointer to /help.

The button's data is ``t:s:<username>:<minor units>`` (``bot.buttons``); the press reads the
person and amount again and goes through the same checks as /send (nothing moves before the
card's Confirm).
"""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler

from bot import buttons, cards
from bot.common import Context, Refusal, answer, explain, keyboard, lang, ledger_of
from bot.people import USERNAME, by_username, check_recipient, registered_sender
from bot.render import money
from bot.texts import t
from ledger import parse_amount, split_amount
from ledger.errors import LedgerError

SUGGEST_SEND = buttons.CHAT_SEND
# "send", "pay" and their French forms, then a person, then an amount (and maybe a note).
_LOOKS_LIKE_SEND = re.compile(
    r"\s*/?(?:send|pay|give|envoyer|envoie|envoyez|payer|paie|payez)\s+(\S+)\s+(.+)",
    re.IGNORECASE | re.DOTALL,
)
_LOOKS_LIKE_REQUEST = re.compile(
    r"\s*/?(?:request|ask|demander|demande|demandez)\s+(\S+)\s+(.+)",
    re.IGNORECASE | re.DOTALL,
)
_DATA = re.compile(r"([A-Za-z][A-Za-z0-9_]{0,31}):([1-9][0-9]{0,18})")


async def plain_text(update: Update, context: Context) -> bool:
    """Answers a text in the private chat that answers no question (a text fallback of
    ``bot.send``): the command it looks like, or /help. False elsewhere: in a group, and
    for a forwarded message, which is something to read, not something said to the bot."""
    message = update.effective_message
    assert message is not None and message.text is not None
    if message.chat.type != "private" or message.forward_origin is not None:
        return False
    reader = lang(context)
    for pattern, command in ((_LOOKS_LIKE_SEND, "/send"), (_LOOKS_LIKE_REQUEST, "/request")):
        found = pattern.fullmatch(message.text)
        if found is not None and await _suggest(message, context, command, *found.groups()):
            return True
    await message.reply_text(t(reader, "chat.help"))
    return True


async def _suggest(
    message: Message, context: Context, command: str, person: str, rest: str
) -> bool:
    """Say which command ``person`` and ``rest`` look like; False when they are no person
    and amount."""
    name = USERNAME.fullmatch(person)
    amount_text, note = split_amount(rest, longest=True)
    if name is None or amount_text is None:
        return False
    reader, currency = lang(context), ledger_of(context).currency
    try:
        amount = parse_amount(amount_text, currency)
    except LedgerError:
        return False
    username = name.group(1)
    written = f"{command} @{username} {amount_text}" + (f" {note.strip()}" if note.strip() else "")
    text = t(reader, "chat.looks_like", command=written)
    markup = None
    if command == "/send":
        label = t(reader, "chat.send_button", amount=money(reader, amount, currency), name=username)
        markup = keyboard([(label, f"{SUGGEST_SEND}{username}:{amount}")])
    else:
        text = t(reader, "chat.looks_like_request", command=written)
    await message.reply_text(text, reply_markup=markup)  # type: ignore[arg-type]
    return True


async def send_suggested(update: Update, context: Context) -> None:
    """Makes the card the suggestion's button offers, as /send would."""
    query = update.callback_query
    assert query is not None
    reader = lang(context)
    found = _DATA.fullmatch((query.data or "").removeprefix(SUGGEST_SEND))
    if found is None or not isinstance(query.message, Message):
        await answer(query, t(reader, "card.invalid"))
        return
    username, amount = found.group(1), int(found.group(2))
    try:
        sender = await registered_sender(context, query.from_user)
        recipient = await by_username(context, username, sender.id)
        check_recipient(context, sender.id, recipient)
        held = await cards.hold(context, sender, recipient, amount, "", key=f"chat:{query.id}")
    except (Refusal, LedgerError) as error:
        await answer(query, explain(reader, error, ledger_of(context).currency), alert=True)
        return
    await answer(query)
    await cards.show(context, held, reply_to=query.message)


def register(application: Application) -> None:
    application.bot_data.setdefault("text_fallbacks", []).append(plain_text)
    application.add_handler(CallbackQueryHandler(send_suggested, pattern="^" + SUGGEST_SEND))
