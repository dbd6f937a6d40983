"""Reading an admin command: who it is about, an amount, a reason, a transfer reference.

The person acted on is, in this order: a text mention (someone without a username), an
@username, the author of the message the command replies to, or a numeric Telegram id. A reply
wins over a number, so ``/credit 10 thanks`` in reply to bob credits bob 10.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Message, MessageEntity, User

from bot.common import Context, Refusal, lang, ledger_of
from bot.people import USERNAME, by_user, quoted, reply_author
from bot.texts import Html, t
from ledger import Person, Transfer, parse_amount, split_amount
from ledger.models import AMOUNT_MAX
from ledger.payments.service import check_note

REF = re.compile(r"[0-9A-Za-z]{4,16}")
_BARE_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)*[.,]?")
_TOKEN = re.compile(r"\s*(\S+)")


@dataclass(frozen=True)
class Words:
    """What follows an admin command: its text (a text mention cut out) and who it names."""

    text: str
    mentioned: User | None
    replied: User | None


def words_of(message: Message) -> Words:
    """Entity offsets count UTF-16 code units, as Telegram's do."""
    units = (message.text or "").encode("utf-16-le")
    command = (message.entities or ())[0]
    start = (command.offset + command.length) * 2
    mentioned = None
    for entity in message.entities or ():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.offset * 2 >= start:
            begin, end = entity.offset * 2, (entity.offset + entity.length) * 2
            units, mentioned = units[:begin] + " ".encode("utf-16-le") + units[end:], entity.user
            break
    return Words(units[start:].decode("utf-16-le"), mentioned, reply_author(message))


def split(text: str) -> tuple[str | None, str]:
    """The first word of ``text`` and what follows it."""
    match = _TOKEN.match(text)
    return (match.group(1), text[match.end() :]) if match else (None, "")


async def target_of(context: Context, words: Words, usage: str) -> tuple[Person, str]:
    """The person the command names and the text after them; ``usage`` when it names nobody."""
    if words.mentioned is not None:
        return await by_user(context, words.mentioned), words.text
    token, rest = split(words.text)
    if token is not None and token.startswith("@"):
        match = USERNAME.fullmatch(token)
        if match is None:
            raise Refusal("people.bad_username", text=quoted(token))
        person = await ledger_of(context).directory.by_username(match.group(1))
        if person is None:
            raise Refusal("admin.refusal.unknown_username", username=match.group(1))
        return person, rest
    if words.replied is not None:
        return await by_user(context, words.replied), words.text
    if token is not None and token.isascii() and token.isdigit():
        return await _by_id(context, int(token)), rest
    raise Refusal(usage)


async def _by_id(context: Context, user_id: int) -> Person:
    """Someone the directory knows, or at least an account holder (shown by id)."""
    if user_id >= 2**52:  # no Telegram id is this large, and the database holds 64 bits
        raise Refusal("admin.refusal.unknown_id", id=user_id)
    ledger = ledger_of(context)
    person = await ledger.directory.get(user_id)
    if person is not None:
        return person
    if await ledger.account_of(user_id) is not None:
        return Person(user_id, None, str(user_id))
    raise Refusal("admin.refusal.unknown_id", id=user_id)


def check_target(admin_id: int, person: Person) -> None:
    """An admin never acts on their own account (another admin must), nor on a bot."""
    if person.id == admin_id:
        raise Refusal("admin.refusal.yourself")
    if person.is_bot:
        raise Refusal("admin.refusal.bot")


def check_not_party(admin_id: int, transfer: Transfer) -> None:
    """An admin never acts on a transfer they paid or were paid by (another admin must)."""
    if admin_id in (transfer.debit_owner, transfer.credit_owner):
        raise Refusal("admin.refusal.own_transfer", ref=transfer.ref)


def reason_of(reader: str, text: str, usage: str, *, required: bool = True) -> str:
    """The reason, which goes on the record (as the transfer's memo for money moves)."""
    reason = text.strip()
    if not reason and required:
        raise Refusal("admin.refusal.reason_required", usage=Html(t(reader, usage)))
    check_note(reason)
    return reason


def amount_of(context: Context, text: str, usage: str) -> tuple[int, str]:
    """The amount at the start of ``text`` (the ledger's parser) and the rest. A currency
    next to the amount belongs to it, so "5 EUR" is refused by the parser rather than taken
    as 5 USD with a reason starting "EUR". Another bare number right after it is refused: in
    a reply the number is the amount, and "/credit 424242 5 refund" meant as an id would
    otherwise credit 424,242."""
    written, rest = split_amount(text)
    if written is None:
        raise Refusal(usage)
    # Past the ledger's cap on one amount it is refused here, before any confirmation card.
    amount = parse_amount(written, ledger_of(context).currency, maximum=AMOUNT_MAX)
    after, _ = split(rest)
    if after is not None and _BARE_NUMBER.fullmatch(after):
        raise Refusal(
            "admin.refusal.two_numbers",
            numbers=quoted(f"{written} {after}"),
            usage=Html(t(lang(context), usage)),
        )
    return amount, rest
