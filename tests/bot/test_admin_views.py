"""What admins look at: /user, /tx, /audit, /stats (with a broken invariant planted in the
database) and /limits, which they also set and /send then enforces.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.fakeapi import Telegram
from tests.bot.conftest import ChatBot, MakeBot

OSCAR = Telegram.user(900, "oscar", "Oscar")  # an admin
NADIA = Telegram.user(901, "nadia", "Nadia", language_code="fr")  # another admin, in French


@pytest.fixture
async def ops(make_bot: MakeBot) -> ChatBot:
    """The bot with oscar and nadia as admins; alice and bob have 50.00 USD each."""
    bot = await make_bot(admin_ids=[OSCAR["id"], NADIA["id"]])
    await bot.register(bot.user("alice"), bot.user("bob"), funds=5_000)
    return bot


async def pay(bot: ChatBot, sender: dict, command: str) -> str:
    """``sender`` pays with /send and confirms; returns the transfer's reference."""
    await bot.send(sender, command)
    await bot.press(sender, bot.last(sender), "Confirm")
    return bot.last(sender).text.split("<code>")[1].split("</code>")[0]


async def limits_of_1000_and_5000(bot: ChatBot) -> None:
    """Start from the settings' defaults whatever the test database was created with."""
    await bot.ledger.set_limits(actor=OSCAR["id"], max_transfer=100_000, daily_limit=500_000)


# --- /user -------------------------------------------------------------------------------


async def test_oscar_looks_at_bobs_account(ops: ChatBot) -> None:
    alice, bob = ops.user("alice"), ops.user("bob")
    await limits_of_1000_and_5000(ops)
    await pay(ops, bob, "/send @alice 7.25 <b>pizza</b>")
    await ops.send(bob, "/send @alice 3 pending one")

    await ops.send(OSCAR, "/user @bob")

    lines = ops.last(OSCAR).text.split("\n")
    assert lines[:4] == [
        "👤 @bob (Bob) · id <code>102</code> · started the bot: yes",
        "Status: active",
        "Available: <b>39.75 USD</b> · on hold: 3.00 USD",
        "Sent today: 10.25 USD of the 5\u00a0000.00 USD daily limit · per transfer at most "
        "1\u00a0000.00 USD",
    ]
    assert lines[5] == "<b>Last 3 transfers</b>"
    assert lines[6] == "↗️ −3.00 USD to @alice — <i>pending one</i> · payment · on hold"
    assert lines[8] == (
        "↗️ −7.25 USD to @alice — <i>&lt;b&gt;pizza&lt;/b&gt;</i> · payment · completed"
    )
    assert lines[10] == "↘️ +50.00 USD from X Money · top-up · completed"
    assert ops.to(alice)[-1].text.startswith("💸 @bob sent you")  # nothing admin-ish for alice

    await ops.freeze(bob)
    await ops.send(OSCAR, f"/user {bob['id']}")
    assert "Status: <b>FROZEN</b>" in ops.last(OSCAR).text


async def test_user_shows_the_last_ten_transfers_only(ops: ChatBot) -> None:
    alice = ops.user("alice")
    for i in range(12):
        await ops.fund(alice, 100 + i)
    await ops.send(OSCAR, "/user @alice")
    shown = ops.last(OSCAR).text
    assert "<b>Last 10 transfers</b>" in shown
    assert shown.count("↘️") == 10
    assert "+1.11 USD" in shown and "+1.01 USD" not in shown  # newest first


async def test_user_by_reply_by_id_and_the_ones_nobody_knows(ops: ChatBot) -> None:
    carol, group = ops.user("carol"), ops.group()
    await ops.send(OSCAR, "/user", chat=group, reply_to=ops.message(carol, "hi", chat=group))
    assert ops.last(OSCAR).text == (
        f'👤 <a href="tg://user?id={carol["id"]}">Carol</a> (Carol) · id <code>{carol["id"]}'
        "</code> · started the bot: no\nNo account yet."
    )
    await ops.send(OSCAR, "/user 123456")
    assert ops.last(OSCAR).text == "Nobody with the id 123456 has used the bot or has an account."
    await ops.send(OSCAR, "/user")
    assert ops.last(OSCAR).text.startswith("Write it like <code>/user @name</code>")
    assert ops.to(group) == []


# --- /tx ---------------------------------------------------------------------------------


async def test_oscar_reads_a_transfer_and_its_reversal_both_ways(ops: ChatBot) -> None:
    alice = ops.user("alice")
    ref = await pay(ops, alice, "/send @bob 12.50 lunch")

    await ops.send(OSCAR, f"/tx {ref}")
    assert ops.last(OSCAR).text == (
        f"🧾 Transfer <code>{ref}</code> · payment · <b>completed</b>\n"
        "<b>12.50 USD</b> from @alice to @bob\n"
        "Note: <i>lunch</i>\n"
        "Created 2026-11-22 12:00 UTC by @alice\n"
        "Hold expiry: 2026-11-22 12:05 UTC\n"
        "Settled (completed) 2026-11-22 12:00 UTC by @alice"
    )

    ops.clock.advance(minutes=90)
    await ops.send(OSCAR, f"/reverse {ref} duplicate charge")
    await ops.press(OSCAR, ops.last(OSCAR), "Confirm")
    reversal = ops.last(OSCAR).text.split("Reversal: <code>")[1].split("</code>")[0]

    await ops.send(OSCAR, f"/tx {ref}")
    assert ops.last(OSCAR).text.endswith(
        f"↩️ Reversed by <code>{reversal}</code> on 2026-11-22 13:30 UTC"
    )
    await ops.send(OSCAR, f"/tx {reversal}")
    assert ops.last(OSCAR).text == (
        f"🧾 Transfer <code>{reversal}</code> · reversal · <b>completed</b>\n"
        "<b>12.50 USD</b> from @bob to @alice\n"
        "Note: <i>duplicate charge</i>\n"
        "Created 2026-11-22 13:30 UTC by @oscar\n"
        f"↩️ Reverses transfer <code>{ref}</code>"
    )
    await ops.send(OSCAR, "/tx NOSUCHREF")
    assert ops.last(OSCAR).text == "There is no transfer with reference NOSUCHREF."
    await ops.send(OSCAR, "/tx")
    assert ops.last(OSCAR).text == "Write it like <code>/tx REFERENCE</code>."


# --- /audit ------------------------------------------------------------------------------


async def test_the_audit_lists_admin_actions_with_actor_target_and_reason(
    ops: ChatBot,
) -> None:
    await ops.send(OSCAR, "/credit @alice 5 contest prize")
    await ops.send(NADIA, "/freeze @bob fraude")
    await ops.press(NADIA, ops.last(NADIA), "Confirmer")
    await ops.send(OSCAR, "/limits daily 300 fewer scams")

    await ops.send(OSCAR, "/audit 3")

    lines = ops.last(OSCAR).text.split("\n")
    assert lines[0] == "<b>Latest 3 admin actions</b>"
    assert lines[1].startswith("2026-11-22 12:00 UTC · @oscar · <b>limits</b> — <i>")
    assert lines[1].endswith("fewer scams</i>")
    assert lines[2] == "2026-11-22 12:00 UTC · @nadia · <b>freeze</b> · @bob — <i>fraude</i>"
    assert lines[3].startswith(
        "2026-11-22 12:00 UTC · @oscar · <b>credit</b> · @alice · 5.00 USD, "
    )
    assert lines[3].endswith(" — <i>contest prize</i>")

    await ops.send(NADIA, "/audit 1")
    assert (
        ops.last(NADIA)
        .text.split("\n")[1]
        .startswith("22/11/2026 12:00 UTC · @oscar · <b>limites</b>")
    )


async def test_audit_takes_at_most_fifty_and_says_how_to_ask(ops: ChatBot) -> None:
    for i in range(55):
        await ops.ledger.set_limits(actor=OSCAR["id"], reason=f"tweak {i}", daily_limit=10_000 + i)

    await ops.send(OSCAR, "/audit 500")

    shown = "\n".join(ops.texts(OSCAR)[-2:])  # long listings are split into messages
    assert all(len(t) <= 4096 for t in ops.texts(OSCAR))
    assert "<b>Latest 50 admin actions</b>" in shown
    assert "tweak 54" in shown and "tweak 5</i>" in shown and "tweak 4</i>" not in shown
    for bad in ("/audit zero", "/audit 0", "/audit -3"):
        await ops.send(OSCAR, bad)
        assert ops.last(OSCAR).text == (
            "Write it like <code>/audit</code> or <code>/audit 20</code> (at most 50)."
        )


# --- /stats ------------------------------------------------------------------------------


async def test_stats_say_all_is_well_then_name_exactly_what_a_planted_fault_broke(
    ops: ChatBot,
) -> None:
    alice, bob = ops.user("alice"), ops.user("bob")
    await pay(ops, alice, "/send @bob 12.50 lunch")
    await ops.send(bob, "/send @alice 1 on hold")

    await ops.send(OSCAR, "/stats")
    assert ops.last(OSCAR).text == (
        "<b>X Money</b>\nUsers: 2 (0 frozen) · ledger accounts: 3\n"
        "Total issued: <b>100.00 USD</b>\nPayments today: 1, volume <b>12.50 USD</b>\n"
        "Holds open: 1\n"
        "✅ Ledger check: all invariants hold (3 accounts, 4 transfers)."
    )

    # Someone edits the database behind the ledger's back.
    bobs_account = await ops.ledger.account_of(bob["id"])
    async with ops.ledger.db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE accounts SET credits_posted = credits_posted + 100 WHERE id = :id"),
            {"id": bobs_account},
        )

    await ops.send(OSCAR, "/stats")
    lines = ops.last(OSCAR).text.split("\n")
    assert lines[5] == "❌ Ledger check: 2 invariant(s) broken:"
    assert lines[6] == (
        f"• <code>account {bobs_account} counters (0, 6350, 100, 0) != recomputed "
        "(0, 6250, 100, 0) (debits_posted, credits_posted, debits_pending, "
        "credits_pending)</code>"
    )
    assert lines[7] == "• <code>USD: posted debits 11250 != posted credits 11350</code>"

    await ops.send(NADIA, "/stats")
    assert "❌ Contrôle du registre : 2 invariant(s) violé(s) :" in ops.last(NADIA).text


# --- /limits -----------------------------------------------------------------------------


async def test_oscar_lowers_the_limits_and_send_enforces_them(ops: ChatBot) -> None:
    alice = ops.user("alice")
    await limits_of_1000_and_5000(ops)
    await ops.send(OSCAR, "/limits")
    assert ops.last(OSCAR).text == (
        "Per-transfer maximum: <b>1\u00a0000.00 USD</b>\n"
        "Daily sending limit: <b>5\u00a0000.00 USD</b>\n"
        "(defaults from settings: 1\u00a0000.00 USD and 5\u00a0000.00 USD)\n"
        "Change them with <code>/limits max 500</code> or <code>/limits daily 2000</code>."
    )

    await ops.send(OSCAR, "/limits max 20 card testing wave")
    assert ops.last(OSCAR).text.startswith(
        "✅ Limits changed; /send and the ledger enforce them from now on.\n\n"
        "Per-transfer maximum: <b>20.00 USD</b>\nDaily sending limit: <b>5\u00a0000.00 USD</b>"
    )
    await ops.send(OSCAR, "/limits daily 30")
    assert "Daily sending limit: <b>30.00 USD</b>" in ops.last(OSCAR).text

    await ops.send(alice, "/send @bob 25 big")
    assert ops.last(alice).text.startswith("That's above the maximum of 20.00 USD per payment.")
    await pay(ops, alice, "/send @bob 20 first")
    await ops.send(alice, "/send @bob 15 second")
    assert ops.last(alice).text.startswith(
        "That would pass your daily sending limit of 30.00 USD; you can still send 10.00 USD"
    )
    record = (await ops.ledger.audit_log(limit=2))[1]
    assert (record.action, record.actor_id) == ("limits", OSCAR["id"])
    assert record.reason.endswith("card testing wave")

    await ops.send(OSCAR, "/limits max 40")
    assert ops.last(OSCAR).text.endswith(
        "Note: the per-transfer maximum is above the daily limit, so the daily limit is what "
        "stops a single payment."
    )


async def test_limits_refusals_change_nothing(ops: ChatBot) -> None:
    before = await ops.ledger.limits(fresh=True)
    for command, answer in (
        ("/limits weekly 5", "Write it like <code>/limits</code> to see them"),
        ("/limits max", "Write it like <code>/limits</code> to see them"),
        ("/limits max lots", "That's not an amount I can read"),
        ("/limits daily 0", "The amount must be more than zero."),
        ("/limits daily 1.2345", "Amounts have at most 2 decimal places here"),
        ("/limits daily 2.000", "A dot or comma followed by three digits (like 1,000) could"),
        ("/limits max 500 JPY", "Amounts here are in USD, not JPY."),
        ("/limits max ¥ 500", "Amounts here are in USD, not JPY."),
        ("/limits max 500 5 too many", "“500 5” is two numbers in a row"),
    ):
        await ops.send(OSCAR, command)
        assert ops.last(OSCAR).text.startswith(answer), command
    assert await ops.ledger.limits(fresh=True) == before
    assert [r for r in await ops.ledger.audit_log(limit=10) if r.action == "limits"] == []


async def test_nadia_reads_everything_in_french(ops: ChatBot) -> None:
    await limits_of_1000_and_5000(ops)
    ref = await pay(ops, ops.user("alice"), "/send @bob 12,50 déjeuner")
    await ops.send(NADIA, "/limits")
    assert ops.last(NADIA).text.startswith("Maximum par transfert : <b>1\u00a0000,00 USD</b>")
    await ops.send(NADIA, f"/tx {ref}")
    assert ops.last(NADIA).text.startswith(
        f"🧾 Transfert <code>{ref}</code> · paiement · <b>effectué</b>\n"
        "<b>12,50 USD</b> de @alice à @bob"
    )
    await ops.send(NADIA, "/user @bob")
    assert "Disponible : <b>62,50 USD</b> · réservé : 0,00 USD" in ops.last(NADIA).text
    await ops.send(NADIA, "/debit @bob 100 test")
    assert ops.last(NADIA).text.startswith("@bob n'a que 62,50 USD disponible")
