"""``bot_data`` is typed (PTB's ``ContextTypes``): every key the bot keeps there is named in
``bot.common.BotData``, so mypy refuses a misspelt key or a value of the wrong type before the
bot ever runs, and a payment's whole story leaves no key the type does not name."""

from __future__ import annotations

from pathlib import Path

from mypy import api

from bot.common import BotData
from tests.bot.conftest import ChatBot

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_refuses_a_misspelt_bot_data_key_and_a_value_of_the_wrong_type(
    tmp_path: Path,
) -> None:
    handler = tmp_path / "handler_with_typos.py"
    handler.write_text(
        "from bot.common import Context\n"
        "\n"
        "\n"
        "async def balance(update: object, context: Context) -> None:\n"
        "    ledger = context.bot_data['ledgr']\n"
        "    context.bot_data['settings'] = 'fast'\n"
        "    reveal_type(context.bot_data['ledger'])\n"
    )
    out, _, status = api.run(
        [str(handler), "--follow-imports=silent", "--cache-dir", str(ROOT / ".mypy_cache")]
    )
    assert status == 1
    assert 'TypedDict "BotData" has no key "ledgr"' in out
    assert 'Value of "settings" has incompatible type "str"' in out
    assert 'Revealed type is "ledger.core.Ledger"' in out


async def test_after_a_payment_and_its_expiry_every_bot_data_key_is_one_bot_data_names(
    bot: ChatBot,
) -> None:
    alice, bob = bot.user("alice"), bot.user("bob")
    await bot.register(bob)
    await bot.register(alice, funds=5_000)
    await bot.send(alice, "/send @bob 12.50 lunch")
    await bot.press(alice, bot.last(alice), "Confirm")
    await bot.send(alice, "/send @bob 1.00")  # left to expire
    bot.clock.advance(3_600)
    await bot.run_expiry_timer()

    assert await bot.balances(alice, bob) == [5_000 - 1_250, 1_250]
    assert bot.app.context_types.bot_data is BotData
    kept = set(bot.app.bot_data)
    assert {"ledger", "settings", "clock", "payments", "outgoing"} <= kept
    assert kept <= BotData.__optional_keys__
