"""What every message the bot sends must be, whatever it was sent: checks shared by the
chat-level hardening tests.

- ``html_problems``: the text parses as Telegram HTML (parse_mode=HTML): only the tags
  Telegram supports, balanced and properly nested, every other ``<``, ``>`` and ``&`` escaped.
- ``catalogue_problems``: it is a text of the catalogue (bot/texts), in some language, with
  its placeholders filled: never an exception's text, a traceback or an internal name.
- ``visible``: what the user sees once Telegram has parsed the markup.
- ``snapshot``: the money-related state of the ledger in two cheap statements, for "this
  rejected input changed nothing" at volume (``ledger.verify()`` is run around it, not per
  input).
"""

from __future__ import annotations

import html
import re
import string
from dataclasses import dataclass

from bot.fakeapi import Call
from bot.texts import CATALOGUE
from ledger import Ledger

# Telegram's limits: a message is 1-4096 characters after entity parsing; a button's alert
# 0-200 characters (both counted in UTF-16 code units).
MESSAGE_MAX = 4096
ALERT_MAX = 200
INTERNALS = ("Traceback", 'File "', "Error:", "Exception", "<class ", "NoneType")

# --- Telegram HTML ---------------------------------------------------------------------

_ATTRIBUTES = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "tg-spoiler": set(),
    "span": {"class"},
    "a": {"href"},
    "tg-emoji": {"emoji-id"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
}
_NO_MARKUP_INSIDE = {"code", "pre"}
_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<name>[a-zA-Z][a-zA-Z0-9-]*)(?P<attrs>(?:\s+[^\s<>=]+(?:=\"[^\"<>]*\")?)*)"
    r"\s*>"
    r"|&(?:#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);"
    r"|[<>&]"
)
_ATTRIBUTE = re.compile(r"([^\s<>=]+)(?:=\"([^\"<>]*)\")?")
_CHAR_REFERENCE = re.compile(r"&#(x?)([0-9a-fA-F]+);")


def html_problems(text: str) -> list[str]:
    """Why Telegram would refuse ``text`` as parse_mode=HTML (empty: it would accept it)."""
    problems: list[str] = []
    stack: list[str] = []
    for token in _TOKEN.finditer(text):
        found = token.group(0)
        where = f"at {token.start()}: {found!r}"
        if found in "<>&":
            problems.append(f"unescaped {found!r} {where}")
            continue
        if found.startswith("&"):
            if found.startswith("&#") and not _valid_code_point(found):
                problems.append(f"invalid character reference {where}")
            continue
        name, closing = token.group("name"), bool(token.group("close"))
        if name not in _ATTRIBUTES:
            problems.append(f"unsupported tag {where}")
            continue
        if closing:
            if token.group("attrs"):
                problems.append(f"closing tag with attributes {where}")
            if not stack or stack[-1] != name:
                problems.append(f"unbalanced closing tag {where} (open: {stack})")
            else:
                stack.pop()
            continue
        for attribute, value in _ATTRIBUTE.findall(token.group("attrs") or ""):
            if attribute not in _ATTRIBUTES[name]:
                problems.append(f"unsupported attribute {attribute!r} {where}")
            elif "&" in re.sub(r"&(?:#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);", "", value):
                problems.append(f"unescaped & in an attribute {where}")
        if stack and stack[-1] in _NO_MARKUP_INSIDE and not (stack[-1] == "pre" and name == "code"):
            problems.append(f"markup inside <{stack[-1]}> {where}")
        stack.append(name)
    if stack:
        problems.append(f"tags never closed: {stack}")
    return problems


def _valid_code_point(reference: str) -> bool:
    match = _CHAR_REFERENCE.fullmatch(reference)
    if match is None:
        return False
    value = int(match.group(2), 16 if match.group(1) else 10)
    return 0 < value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF


_TAG = re.compile(r"<[^>]*>")


def visible(text: str) -> str:
    """What Telegram shows for an HTML message: the markup gone, the entities decoded."""
    return html.unescape(_TAG.sub("", text))


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- the catalogue ---------------------------------------------------------------------

_FIELD = "\x01"


def _pattern(template: str, *, plain: bool) -> re.Pattern[str] | None:
    """A catalogue template as a regex: literal text exact, each placeholder anything.
    ``plain`` matches the template as a button alert shows it (markup stripped)."""
    marked = "".join(
        literal.replace(_FIELD, "") + ("" if field is None else _FIELD)
        for literal, field, _, _ in string.Formatter().parse(template)
    )
    if plain:
        marked = visible(marked)
    literals = marked.split(_FIELD)
    if sum(len(part.strip()) for part in literals) < 2:
        return None  # a template that is all placeholder proves nothing
    body = "(?s:.*?)".join(re.escape(part) for part in literals)
    return re.compile(body + r"(?=\n|\Z)")


def _patterns(*, plain: bool) -> list[re.Pattern[str]]:
    found = []
    for entry in CATALOGUE.values():
        for template in set(entry.values()):
            pattern = _pattern(template, plain=plain)
            if pattern is not None:
                found.append(pattern)
    return found


_MESSAGE_PATTERNS = _patterns(plain=False)
_ALERT_PATTERNS = _patterns(plain=True)

assert not any(
    marker in text for e in CATALOGUE.values() for text in e.values() for marker in INTERNALS
)


_BY_KEY = {
    key: [p for p in (_pattern(text, plain=False) for text in set(entry.values())) if p]
    for key, entry in CATALOGUE.items()
}


def said(calls: list[Call], key: str) -> list[Call]:
    """The messages in ``calls`` that begin with the catalogue text ``key`` (any language)."""
    return [
        call
        for call in calls
        if call.method in {"sendMessage", "editMessageText"}
        and any(pattern.match(call.text) for pattern in _BY_KEY[key])
    ]


def _starts_with_a_text(text: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(pattern.match(text) for pattern in patterns)


def catalogue_problems(text: str, *, alert: bool = False) -> list[str]:
    """Why ``text`` is not a clear catalogue message (empty: it is one)."""
    problems = []
    if not text.strip():
        problems.append("empty text")
    elif not _starts_with_a_text(text, _ALERT_PATTERNS if alert else _MESSAGE_PATTERNS):
        problems.append("does not begin with a catalogue text")
    shown = text if alert else visible(text)
    problems.extend(f"shows {marker!r}" for marker in INTERNALS if marker in shown)
    return problems


# --- every call the bot made -------------------------------------------------------------


def reply_problems(call: Call) -> list[str]:
    """Everything wrong with one message the bot sent or edited, or one button answer."""
    if call.method == "answerCallbackQuery":
        text = str(call.params.get("text") or "")
        problems = catalogue_problems(text, alert=True) if text else []
        if utf16_length(text) > ALERT_MAX:
            problems.append(f"alert of {utf16_length(text)} characters (max {ALERT_MAX})")
        return problems
    if call.method not in {"sendMessage", "editMessageText"}:
        return []
    text = call.text
    problems = html_problems(text) + catalogue_problems(text)
    if call.params.get("parse_mode") != "HTML":
        problems.append(f"parse_mode {call.params.get('parse_mode')!r}")
    length = utf16_length(visible(text))
    if not 0 < length <= MESSAGE_MAX:
        problems.append(f"message of {length} characters (Telegram allows 1-{MESSAGE_MAX})")
    return problems


def short(text: str, limit: int = 160) -> str:
    """A text for a failure message (some are 4,000 characters of the same thing)."""
    shown = repr(text)
    return shown if len(shown) <= limit else f"{shown[:limit]}... ({len(text)} characters)"


def assert_clear(calls: list[Call], context: str = "") -> None:
    """Every message and alert in ``calls`` is one Telegram would accept and a user can read."""
    for call in calls:
        problems = reply_problems(call)
        assert not problems, f"{context}\n{call.method} {short(call.text)}:\n" + "\n".join(problems)


# --- the books -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Books:
    """Money-related state: every account's status and counters, the number of transfers
    (and pending ones), of payment requests (and open ones), audit entries, and the limits."""

    accounts: tuple[tuple[int, str, int, int, int, int], ...]
    counts: tuple[int, ...]

    def accounts_with_money(self) -> dict[int, tuple[str, int, int, int, int]]:
        """Accounts, leaving out fresh empty ones (opening an account moves no money)."""
        return {row[0]: row[1:] for row in self.accounts if row[1] != "active" or any(row[2:])}

    @property
    def transfers(self) -> int:
        return self.counts[0]

    @property
    def pending(self) -> int:
        return self.counts[1]

    @property
    def requests(self) -> int:
        return self.counts[2]

    @property
    def audit(self) -> int:
        return self.counts[4]


# An account's credits are its row's plus its shards' (on PostgreSQL, ledger migration 0003).
_SHARDS = (
    "CAST(COALESCE((SELECT SUM(s.{column}) FROM account_credits s "
    "WHERE s.account_id = accounts.id), 0) AS BIGINT)"
)


async def snapshot(ledger: Ledger) -> Books:
    """The books in one statement (one round trip, cheap enough to take around every input)."""
    rows = await ledger.db.read_one(
        "SELECT id, status, debits_posted, "
        f"credits_posted + {_SHARDS.format(column='credits_posted')}, debits_pending, "
        f"credits_pending + {_SHARDS.format(column='credits_pending')} "
        "FROM accounts UNION ALL "
        "SELECT -1, 'counts', (SELECT COUNT(*) FROM transfers), "
        "(SELECT COUNT(*) FROM transfers WHERE state = 'pending'), "
        "(SELECT COUNT(*) FROM payment_requests), "
        "(SELECT COUNT(*) FROM payment_requests WHERE state = 'open') "
        "UNION ALL SELECT -2, 'more', (SELECT COUNT(*) FROM audit_log), max_transfer, "
        "daily_limit, 0 FROM ledger_limits "
        "ORDER BY 1",
        {},
    )
    values = [(int(r[0]), str(r[1]), *(int(v) for v in r[2:])) for r in rows]
    more, counts, accounts = values[0], values[1], values[2:]
    return Books(
        tuple(accounts),  # type: ignore[arg-type]
        (*counts[2:], *more[2:5]),
    )
