"""The chat-level hardening tests drive the same offline harness as tests/bot."""

from tests.bot.conftest import bot, make_bot

__all__ = ["bot", "make_bot"]
