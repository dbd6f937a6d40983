"""One module holds every button prefix (bot/buttons.py): every button the bot's code makes
starts its data with a prefix named there, every button handler the application registers
listens on one of them, and no prefix claims another's presses."""

from __future__ import annotations

import ast
from pathlib import Path

from telegram.ext import CallbackQueryHandler

from bot import buttons
from tests.bot.conftest import SQLITE_ONLY, ChatBot

BOT = Path(__file__).resolve().parents[2] / "bot"


def _leftmost(node: ast.expr) -> ast.expr:
    """The part a string expression starts with: ``A + b`` -> A, ``f"{A}..."`` -> A."""
    while True:
        if isinstance(node, ast.BinOp):
            node = node.left
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            node = first.value if isinstance(first, ast.FormattedValue) else first
        else:
            return node


def test_no_button_in_the_bots_code_spells_its_prefix_out() -> None:
    spelled = []
    for path in sorted(BOT.rglob("*.py")):
        if path.name == "buttons.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.keyword) and node.arg == "callback_data":
                start = _leftmost(node.value)
                if isinstance(start, ast.Constant) and isinstance(start.value, str):
                    spelled.append(f"{path.relative_to(BOT.parent)}:{node.lineno}")
    assert spelled == []


def test_no_prefix_is_the_start_of_another() -> None:
    assert len(set(buttons.ALL)) == len(buttons.ALL)
    for one in buttons.ALL:
        for other in buttons.ALL:
            assert one == other or not other.startswith(one), (one, other)


@SQLITE_ONLY
async def test_every_button_handler_listens_on_a_prefix_of_bot_buttons(bot: ChatBot) -> None:
    patterns = [
        handler.pattern.pattern
        for group in bot.app.handlers.values()
        for handler in group
        if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None
    ]
    assert sorted(patterns) == sorted("^" + prefix for prefix in buttons.ALL)
