"""/send in every form people try, and the short guided conversation when parts are missing.

    /send @alice 12.50 lunch        /send 12,50 @alice        /send@xmoney_bot @alice 5
    (a reply to bob's message) /send 5 thanks                 /send <text mention> 5
    /send  ->  who?  ->  how much?  ->  a note? (/skip)  ->  the confirmation card; /cancel ends

Every check happens before money moves; each failure is one message saying what to do next.
In a group, a failure that tells a figure or anything about someone's account is said to the
sender privately, and the group hears one neutral line (``bot.common.refuse``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import ForceReply, Message, MessageEntity, Update, User
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import buttons, cards, cheques
from bot.common import (
    BotApplication,
    Context,
    Markup,
    Refusal,
    answer,
    explain,
    is_private,
    keyboard,
    lang,
    ledger_of,
    refuse,
    reply_unknown_command,
)
from bot.outbox import payments_of
from bot.people import (
    USERNAME,
    by_user,
    by_username,
    check_recipient,
    registered_sender,
    reply_author,
)
from bot.render import money
from bot.texts import t
from ledger import Person, parse_amount, split_amount
from ledger.errors import LedgerError, MemoTooLong
from ledger.money import names_a_currency
from ledger.payments.service import check_note

COMMANDS = [("send", "menu.send")]
PICK_WHO, PICK_AMOUNT, PICK_SKIP = buttons.PICK_WHO, buttons.PICK_AMOUNT, buttons.PICK_SKIP
# What other features do with a text that answers no /send conversation, and with a /cancel
# that ends none (bot_data lists, filled by their register(), tried in order): a /request
# waiting for its amount, the private chat's reply to plain text. Each returns True when it
# took the update.
TEXT_FALLBACKS = "text_fallbacks"
CANCEL_FALLBACKS = "cancel_fallbacks"
Fallback = Callable[[Update, Context], Awaitable[bool]]

WHO, AMOUNT, NOTE = "who", "amount", "note"  # what the guided conversation asks next
CONVERSATION_TIMEOUT = timedelta(minutes=10)  # an abandoned conversation ends by itself
_NAME = "send"
_MENTION = "\x00"  # stands in for a text mention inside the command's text
_TOKEN = re.compile(r"\s*(\S+)")


@dataclass
class Draft:
    """A payment being put together: whatever parts are known so far."""

    recipient: Person | None = None
    amount: int | None = None
    note: str = ""
    sender: Person | None = field(default=None, repr=False)


# --- reading the command -----------------------------------------------------------------


def command_rest(message: Message) -> tuple[str, User | None]:
    """The text after the command, with a text mention replaced by a marker, and the user it
    mentions. Entity offsets count UTF-16 code units, as Telegram's do."""
    text = message.text or ""
    units = text.encode("utf-16-le")
    command = (message.entities or ())[0]
    start = (command.offset + command.length) * 2
    for entity in message.entities or ():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.offset * 2 >= start:
            begin, end = entity.offset * 2, (entity.offset + entity.length) * 2
            rest = units[start:begin] + f" {_MENTION} ".encode("utf-16-le") + units[end:]
            return rest.decode("utf-16-le"), entity.user
    return units[start:].decode("utf-16-le"), None


def _next_token(text: str) -> tuple[str | None, str]:
    match = _TOKEN.match(text)
    return (match.group(1), text[match.end() :]) if match else (None, "")


def _names_someone(token: str | None) -> bool:
    return token is not None and (token.startswith("@") or token == _MENTION)


def split_parts(rest: str) -> tuple[str | None, str | None, str]:
    """(who, amount, note) from the words after /send; who and amount come in either order.
    A currency next to the amount belongs to it ("5 USD lunch", "JPY 100"), so that another
    currency is refused instead of becoming the note."""
    first, after_first = _next_token(rest)
    if _names_someone(first):
        amount, tail = split_amount(after_first, longest=True)
        return first, amount, tail.strip()
    amount, after_amount = split_amount(rest, longest=True)
    second, after_second = _next_token(after_amount)
    if _names_someone(second):
        return second, amount, after_second.strip()
    return None, amount, after_amount.strip()


def _check_missing_at(message: Message, first: str, rest: str) -> None:
    """``/send bob 5``: a name where the amount should be, then an amount. The problem is
    the missing @, not an unreadable amount: say so, with the command as it was meant."""
    name = USERNAME.fullmatch(first)
    amount, _ = split_amount(rest, longest=True)
    if name is None or first.startswith("@") or names_a_currency(first) or amount is None:
        return
    if not any("0" <= ch <= "9" for ch in amount):
        return
    command = (message.text or "").split(maxsplit=1)[0].split("@")[0]
    raise Refusal("polish.missing_at", command=command, name=name.group(1), amount=amount)


async def read_draft(context: Context, message: Message, sender: Person) -> Draft:
    """Everything /send says, checked; raises a Refusal or the ledger's typed error."""
    ledger = ledger_of(context)
    rest, mentioned = command_rest(message)
    who, amount_text, note = split_parts(rest)
    if who is None and amount_text is not None:
        _check_missing_at(message, amount_text, note)
    draft = Draft(note=note, sender=sender)
    if who == _MENTION and mentioned is not None:
        draft.recipient = await by_user(context, mentioned)
    elif who is not None:
        draft.recipient = await by_username(context, who, sender.id)
    elif (author := reply_author(message)) is not None:
        draft.recipient = await by_user(context, author)
    if amount_text is not None:
        draft.amount = parse_amount(amount_text, ledger.currency)
    check_note(note)
    return draft


# --- the command -------------------------------------------------------------------------


async def send(update: Update, context: Context) -> None:
    """Starts a payment from /send: a card at once, or a question for what is missing."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    try:
        sender = await registered_sender(context, user)
        draft = await read_draft(context, message, sender)
        if draft.recipient is not None:
            check_recipient(context, sender.id, draft.recipient)
    except (Refusal, LedgerError) as error:
        if not await _escrow(update, context, error):
            await refuse(update, context, error)
        return
    if draft.recipient is not None and draft.amount is not None:
        # A /send in full replaces a conversation in progress, as a new /send restarts it.
        await ledger_of(context).shared.end_conversation(message.chat_id, user.id, _NAME)
        await _offer(update, context, draft)
        return
    await _ask(message, context, user.id, WHO if draft.recipient is None else AMOUNT, draft)


async def _escrow(update: Update, context: Context, error: Exception) -> bool:
    """/send @dave 5 when dave never started the bot: privately, offered as a cheque held in
    escrow (bot.cheques); whether it was. In a group the refusal stands (discreet)."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    if not isinstance(error, Refusal) or error.key not in ("people.unknown", "people.not_started"):
        return False
    who, amount_text, note = split_parts(command_rest(message)[0])
    if not is_private(update) or who is None or not who.startswith("@") or amount_text is None:
        return False
    try:
        sender = await registered_sender(context, user)
        amount = parse_amount(amount_text, ledger_of(context).currency)
        refusal = explain(lang(context), error, ledger_of(context).currency)
        await cheques.offer_escrow(update, context, sender, who[1:], amount, note, refusal)
    except (Refusal, LedgerError) as refused:
        await refuse(update, context, refused)
    return True


async def _offer(update: Update, context: Context, draft: Draft) -> None:
    """Hold the money and show the card (the hold's key is this message, so a redelivered
    update finds the same hold and shows no second card)."""
    message = update.effective_message
    assert message is not None
    assert draft.sender and draft.recipient and draft.amount
    try:
        held = await cards.hold(
            context,
            draft.sender,
            draft.recipient,
            draft.amount,
            draft.note,
            key=f"send:{message.chat_id}:{message.message_id}",
        )
    except (Refusal, LedgerError) as error:
        await refuse(update, context, error)
        return
    await cards.show(context, held, reply_to=message)


# --- the guided conversation -------------------------------------------------------------
# Its state and draft live in the database (``SharedState``, table ``conversations``), keyed
# by chat and user: an answer reaching any worker finds them, and a conversation left
# unanswered ends by itself after CONVERSATION_TIMEOUT (its row is then dropped).


async def _keep(context: Context, message: Message, user_id: int, state: str, draft: Draft) -> None:
    await ledger_of(context).shared.keep_conversation(
        message.chat_id,
        user_id,
        _NAME,
        state,
        {
            "recipient": draft.recipient.id if draft.recipient else None,
            "amount": draft.amount,
            "note": draft.note,
        },
        CONVERSATION_TIMEOUT,
    )


async def _draft_of(context: Context, user: User, saved: dict[str, Any]) -> Draft:
    """The saved draft with its people as the directory has them now."""
    directory = ledger_of(context).directory
    recipient = await directory.get(saved["recipient"]) if saved["recipient"] else None
    return Draft(
        recipient=recipient,
        amount=saved["amount"],
        note=saved["note"],
        sender=await registered_sender(context, user),
    )


async def _ask(message: Message, context: Context, user_id: int, state: str, draft: Draft) -> None:
    """Ask for the next missing part; in a private chat with buttons to tap instead of
    typing (recent people, amount chips, Skip note), in groups as a forced reply, so the
    answer reaches the bot despite privacy mode. The conversation is saved before the
    question goes out."""
    await _keep(context, message, user_id, state, draft)
    markup: Any = ForceReply(selective=True)
    if message.chat.type == "private":
        markup = await _choices(context, state, draft)
    await message.reply_text(t(lang(context), f"send.ask_{state}"), reply_markup=markup)


RECENT_PEOPLE = 5  # the recent people the guided flow offers
_RECENT_SCAN = 50  # how far back in the sender's history they are looked for
_CHIPS = (5, 10, 20, 50)  # amount chips, in whole units of the currency


async def _choices(context: Context, state: str, draft: Draft) -> Markup | None:
    """The buttons under a question of the guided flow (None: nothing to offer)."""
    reader = lang(context)
    if draft.sender is None:
        return None
    if state == NOTE:
        return keyboard([(t(reader, "send.skip_note_button"), PICK_SKIP)])
    ledger = ledger_of(context)
    account = await ledger.account_of(draft.sender.id)
    recent = [] if account is None else (await ledger.history(account, limit=_RECENT_SCAN)).items
    payments = [i for i in recent if i.transfer.kind == "payment" and i.counterparty_owner]
    if state == WHO:
        people: list[Person] = []
        for item in payments:
            seen = {p.id for p in people}
            if item.transfer.state != "posted" or item.counterparty_owner in seen:
                continue
            person = await ledger.directory.get(item.counterparty_owner or 0)
            if person is not None and person.registered and not person.is_bot:
                people.append(person)
            if len(people) == RECENT_PEOPLE:
                break
        if not people:
            return None
        return keyboard([(_label(p), f"{PICK_WHO}{p.id}") for p in people])
    currency = ledger.currency
    amounts = [c * 10**currency.exponent for c in _CHIPS]
    assert draft.recipient is not None
    last = next(
        (
            i.transfer.amount
            for i in payments
            if i.direction == "out" and i.counterparty_owner == draft.recipient.id
        ),
        None,
    )
    if last is not None and last not in amounts:
        amounts = [last, *amounts[:-1]]
    chips = [(money(reader, a, currency, code=False), f"{PICK_AMOUNT}{a}") for a in amounts]
    return keyboard(chips)


def _label(person: Person) -> str:
    return "@" + person.username if person.username else person.name


async def _continue(update: Update, context: Context, draft: Draft) -> None:
    """After an answer: ask for the amount if missing, then for a note unless the command
    already gave one."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    if draft.amount is None:
        await _ask(message, context, user.id, AMOUNT, draft)
    elif draft.note:
        await _finish(update, context, draft)
    else:
        await _ask(message, context, user.id, NOTE, draft)


async def answer_text(update: Update, context: Context) -> None:
    """A text that may answer the guided conversation of its sender in this chat."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and message.text is not None and user is not None
    found = await ledger_of(context).shared.conversation(message.chat_id, user.id, _NAME)
    if found is None:  # no conversation (or it timed out): a text is no answer to /send
        fallbacks: list[Fallback] = context.bot_data.get("text_fallbacks", [])
        for fallback in fallbacks:
            if await fallback(update, context):
                return
        return
    state, saved = found
    try:
        draft = await _draft_of(context, user, saved)
    except Refusal as error:
        await ledger_of(context).shared.end_conversation(message.chat_id, user.id, _NAME)
        await refuse(update, context, error)
        return
    if state == WHO:
        await answer_who(update, context, draft)
    elif state == AMOUNT:
        await answer_amount(update, context, draft)
    else:
        await answer_note(update, context, draft)


async def answer_who(update: Update, context: Context, draft: Draft) -> None:
    """Takes the recipient in the guided conversation."""
    message = update.effective_message
    assert message is not None and message.text is not None
    assert draft.sender is not None
    mentions = [e.user for e in message.entities or () if e.type == MessageEntity.TEXT_MENTION]
    try:
        if mentions and mentions[0] is not None:
            recipient = await by_user(context, mentions[0])
        else:
            recipient = await by_username(context, message.text, draft.sender.id)
        check_recipient(context, draft.sender.id, recipient)
        if draft.amount is not None:
            await payments_of(context.bot_data).check_send(
                draft.sender.id, recipient.id, draft.amount
            )
    except (Refusal, LedgerError) as error:
        await _retry(update, context, error)
        return
    draft.recipient = recipient
    await _continue(update, context, draft)


async def answer_amount(update: Update, context: Context, draft: Draft) -> None:
    """Takes the amount in the guided conversation and checks it can be sent."""
    message = update.effective_message
    assert message is not None and message.text is not None
    assert draft.sender is not None and draft.recipient is not None
    try:
        amount = parse_amount(message.text, ledger_of(context).currency)
        await payments_of(context.bot_data).check_send(draft.sender.id, draft.recipient.id, amount)
    except (Refusal, LedgerError) as error:
        await _retry(update, context, error)
        return
    draft.amount = amount
    await _continue(update, context, draft)


async def answer_note(update: Update, context: Context, draft: Draft) -> None:
    """Takes the note and shows the card."""
    message = update.effective_message
    assert message is not None and message.text is not None
    note = message.text.strip()
    try:
        check_note(note)
    except MemoTooLong as error:
        await _retry(update, context, error)
        return
    draft.note = note
    await _finish(update, context, draft)


async def skip_note(update: Update, context: Context) -> None:
    """Shows the card without a note (only when the conversation asks for one)."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    found = await ledger_of(context).shared.conversation(message.chat_id, user.id, _NAME)
    if found is None or found[0] != NOTE:
        await reply_unknown_command(update, context)
        return
    try:
        draft = await _draft_of(context, user, found[1])
    except Refusal as error:
        await refuse(update, context, error)
        return
    await _finish(update, context, draft)


async def _picked(update: Update, context: Context, state: str) -> Draft | None:
    """The draft a button of the guided flow is about, when its conversation is asking
    what the button answers; otherwise the press is answered here and None returned."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    message = query.message
    chat_id = message.chat.id if message is not None else user.id
    found = await ledger_of(context).shared.conversation(chat_id, user.id, _NAME)
    if found is None or found[0] != state or not isinstance(message, Message):
        await answer(query, t(lang(context), "common.stale_button"))
        return None
    try:
        return await _draft_of(context, user, found[1])
    except Refusal as error:
        await answer(query, explain(lang(context), error, ledger_of(context).currency), alert=True)
        return None


async def picked_who(update: Update, context: Context) -> None:
    """A recent person tapped in the guided conversation."""
    query = update.callback_query
    assert query is not None
    draft = await _picked(update, context, WHO)
    data = (query.data or "").removeprefix(PICK_WHO)
    if draft is None or draft.sender is None:
        return
    ledger = ledger_of(context)
    try:
        recipient = await ledger.directory.get(int(data)) if data.isdigit() else None
        if recipient is None:
            raise Refusal("card.invalid")
        check_recipient(context, draft.sender.id, recipient)
    except (Refusal, LedgerError) as error:
        await answer(query, explain(lang(context), error, ledger.currency), alert=True)
        return
    await answer(query)
    draft.recipient = recipient
    await _continue(update, context, draft)


async def picked_amount(update: Update, context: Context) -> None:
    """An amount chip tapped in the guided conversation (checked as a typed one)."""
    query = update.callback_query
    assert query is not None
    draft = await _picked(update, context, AMOUNT)
    data = (query.data or "").removeprefix(PICK_AMOUNT)
    if draft is None or draft.sender is None or draft.recipient is None:
        return
    ledger = ledger_of(context)
    try:
        if not data.isdigit() or int(data) <= 0:
            raise Refusal("card.invalid")
        amount = int(data)
        await payments_of(context.bot_data).check_send(draft.sender.id, draft.recipient.id, amount)
    except (Refusal, LedgerError) as error:
        await answer(query, explain(lang(context), error, ledger.currency), alert=True)
        return
    await answer(query)
    draft.amount = amount
    await _continue(update, context, draft)


async def picked_skip(update: Update, context: Context) -> None:
    """[Skip note] tapped: the card without a note."""
    query = update.callback_query
    assert query is not None
    draft = await _picked(update, context, NOTE)
    if draft is None:
        return
    await answer(query)
    await _finish(update, context, draft)


async def _finish(update: Update, context: Context, draft: Draft) -> None:
    """The conversation ends (first, so a redelivered last answer finds none) and the card
    is shown."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    await ledger_of(context).shared.end_conversation(message.chat_id, user.id, _NAME)
    await _offer(update, context, draft)


async def _retry(update: Update, context: Context, error: Exception) -> None:
    """Say why an answer was refused (privately in a group, when discreet) and ask again."""
    await refuse(update, context, error, then=t(lang(context), "send.try_again"))


async def cancel(update: Update, context: Context) -> None:
    """Ends the guided conversation (nothing was held, nothing is sent), or says there is
    none."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    ended = await ledger_of(context).shared.end_conversation(message.chat_id, user.id, _NAME)
    if not ended:
        fallbacks: list[Fallback] = context.bot_data.get("cancel_fallbacks", [])
        for fallback in fallbacks:
            if await fallback(update, context):
                return
    await message.reply_text(
        t(lang(context), "send.cancelled" if ended else "send.nothing_to_cancel")
    )


async def forget_job(context: Context) -> None:
    """Drops timed-out conversations and their drafts (on the job queue's schedule)."""
    await ledger_of(context).shared.forget_conversations()


def register(application: BotApplication) -> None:
    interval = application.bot_data["settings"].sweep_interval_seconds
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            forget_job, interval=interval, first=interval, name="conversations-forget"
        )
    new = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("send", send, filters=new))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & new, answer_text))
    application.add_handler(CommandHandler("skip", skip_note, filters=new))
    application.add_handler(CommandHandler("cancel", cancel, filters=new))
    application.add_handler(CallbackQueryHandler(picked_who, pattern="^" + PICK_WHO))
    application.add_handler(CallbackQueryHandler(picked_amount, pattern="^" + PICK_AMOUNT))
    application.add_handler(CallbackQueryHandler(picked_skip, pattern="^" + PICK_SKIP))
