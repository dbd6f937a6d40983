"""People: the directory refreshed from every update, each reader's language, and finding the
person a payment is for (an @username, the author of a replied-to message, a text mention).
"""

from __future__ import annotations

import logging
import re

from telegram import Message, MessageEntity, Update, User
from telegram.ext import Application, TypeHandler

from bot import invites
from bot.common import Context, Refusal, ledger_of, set_lang, start_link
from bot.render import who
from bot.texts import language_of
from ledger import Person
from ledger.directory import Directory
from ledger.errors import DatabaseUnavailable
from ledger.payments.service import check_parties

log = logging.getLogger(__name__)
LAST_GROUP = 1_000  # after every feature

# A username: a letter, then letters, digits and underscores, at most 32 characters (Telegram
# asks for at least 5 on new ones; shorter old and collectible ones exist, so none is refused).
USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{0,31})")
_QUOTED_MAX = 40  # what a refusal repeats of a word that is no username


def quoted(text: str) -> str:
    """A word the user typed, short enough to repeat in a refusal (a message has at most
    4,096 characters and a word can be nearly all of one)."""
    text = text.strip()
    return text if len(text) <= _QUOTED_MAX else text[: _QUOTED_MAX - 1] + "…"


def person_of(user: User) -> Person:
    """What a Telegram user object says about a person."""
    return Person(
        id=user.id,
        username=user.username,
        first_name=user.first_name or "",
        last_name=user.last_name,
        language_code=user.language_code,
        is_bot=user.is_bot,
    )


def language_for(person: Person | None) -> str:
    """The language a person reads: their /language choice, else their Telegram language."""
    if person is None:
        return language_of(None)
    return language_of(person.language or person.language_code)


async def refresh(update: Update, context: Context) -> None:
    """Refreshes the directory from this update and picks the reader's language."""
    user = update.effective_user
    if user is None:
        return
    directory = ledger_of(context).directory
    directory.within_update()
    try:
        known = await _seen(directory, user)
        for other in _others_shown(update.effective_message):
            await _seen(directory, other)
    except DatabaseUnavailable:
        # The handler that follows will meet the outage and say so; speak the user's language.
        log.warning("directory not refreshed for update %s: database unavailable", update.update_id)
        known = person_of(user)
    set_lang(context, language_for(known))


def _others_shown(message: Message | None) -> list[User]:
    """Users an update reveals besides its sender: the replied-to author, text mentions."""
    if message is None:
        return []
    found = []
    if message.reply_to_message is not None and message.reply_to_message.from_user is not None:
        found.append(message.reply_to_message.from_user)
    for entity in message.entities or ():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            found.append(entity.user)
    return found


async def registered_sender(context: Context, user: User) -> Person:
    """The person behind ``user`` if they have started the bot; otherwise a Refusal telling
    them to."""
    person = await ledger_of(context).directory.get(user.id)
    if person is None or not person.registered:
        raise Refusal("people.start_first", link=start_link(context.bot))
    return person


async def by_username(context: Context, text: str, sender_id: int) -> Person:
    """The person called ``@name``; a Refusal when the text is no username or nobody known
    has it."""
    match = USERNAME.fullmatch(text.strip())
    if match is None:
        raise Refusal("people.bad_username", text=quoted(text))
    name = match.group(1)
    if context.bot.username and name.lower() == context.bot.username.lower():
        raise Refusal("people.is_bot")
    person = await ledger_of(context).directory.by_username(name)
    if person is None:
        raise Refusal("people.unknown", username=name, link=invite_link(context, sender_id))
    return person


async def by_user(context: Context, user: User) -> Person:
    """The person behind a Telegram user object (a reply's author, a text mention)."""
    return await _seen(ledger_of(context).directory, user)


async def _seen(directory: Directory, user: User) -> Person:
    """Record what ``user`` shows of a person (a copy without a language_code, as in replies
    and mentions, keeps the one known: see ``Directory.seen``)."""
    return await directory.seen(person_of(user))


def reply_author(message: Message) -> User | None:
    """The author of the message this one replies to, when it is a real reply (in forum
    groups every message "replies" to its topic's opening message; that is not a reply)."""
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created is not None:
        return None
    return replied.from_user


def check_recipient(context: Context, sender_id: int, person: Person) -> None:
    """Refuse a recipient who is the sender (the service's rule), a bot, or has never
    started the bot."""
    check_parties(sender_id, person.id)
    if person.is_bot:
        raise Refusal("people.is_bot")
    if not person.registered:
        raise Refusal("people.not_started", name=who(person), link=invite_link(context, sender_id))


def invite_link(context: Context, sender_id: int) -> str:
    """A link the sender can pass on; opening it starts the bot, which tells the sender. It
    is signed (``bot.invites``): nobody else can make a link that pings the sender."""
    return start_link(context.bot, invites.payload_for(context.bot.token, sender_id))


async def done(update: Update, context: Context) -> None:
    """After every other handler: forget the people this update read."""
    Directory.after_update()


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, refresh), group=-1)
    application.add_handler(TypeHandler(Update, done), group=LAST_GROUP)
