"""An operator's mistakes in the settings each stop the program with one line naming them."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings

TOKEN = "123456:TEST-token"
GOOD_SECRET = "Xq3_longEnough-toBeUnguessable_0042"  # 35 characters
WEBHOOK = {"mode": "webhook", "webhook_url": "https://bot.example.org/hook"}


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Settings come only from what each test passes: no .env, no stray variables."""
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "DATABASE_URL", "ADMIN_IDS", "WEBHOOK_SECRET", "MODE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("overrides", "named", "says"),
    [
        ({"bot_token": None}, "BOT_TOKEN", "required"),
        ({"bot_token": "nocolon"}, "BOT_TOKEN", "does not look like a bot token"),
        ({"database_url": "mysql://x"}, "DATABASE_URL", "must start with"),
        ({"admin_ids": "1, alice"}, "ADMIN_IDS", "'alice' is not a numeric"),
        ({"admin_ids": "[1, 2"}, "ADMIN_IDS", "not a JSON list"),
        ({"currency": "XYZ"}, "CURRENCY", "unknown currency"),
        ({"max_transfer": "1e3"}, "MAX_TRANSFER", "not as an exponent"),
        ({"daily_limit": "-5"}, "DAILY_LIMIT", "negative"),
        ({"hold_expiry_seconds": "0"}, "HOLD_EXPIRY_SECONDS", "greater than or equal"),
        # The ledger's caps (revision 0005): one amount, a running total.
        ({"max_transfer": "10000000000000.01"}, "MAX_TRANSFER", "above the maximum"),
        ({"welcome_credit": "10000000000000.01"}, "WELCOME_CREDIT", "above the maximum"),
        ({"daily_limit": "2500000000000000.01"}, "DAILY_LIMIT", "above the maximum"),
        ({"welcome_credit_daily_cap": "-1"}, "WELCOME_CREDIT_DAILY_CAP", "greater than or equal"),
        ({"mode": "carrier-pigeon"}, "MODE", "polling"),
        ({"mode": "webhook"}, "WEBHOOK_URL", "https://"),
        ({**WEBHOOK, "webhook_url": "http://bot.example.org/h"}, "WEBHOOK_URL", "https://"),
        ({**WEBHOOK, "webhook_url": "https://bot.example.org/healthz"}, "WEBHOOK_URL", "/healthz"),
        (WEBHOOK, "WEBHOOK_SECRET", "32-256 characters"),
        ({**WEBHOOK, "webhook_secret": "é" * 40}, "WEBHOOK_SECRET", "32-256 characters"),
        ({**WEBHOOK, "webhook_secret": "a" * 257}, "WEBHOOK_SECRET", "32-256 characters"),
        # Telegram takes a one-letter secret; anyone could guess it and post as any user.
        ({**WEBHOOK, "webhook_secret": "a"}, "WEBHOOK_SECRET", "32-256 characters"),
        ({**WEBHOOK, "webhook_secret": GOOD_SECRET[:31]}, "WEBHOOK_SECRET", "32-256"),
        # int() would read each of these as some id; none is a user id as written.
        ({"admin_ids": "[123.9]"}, "ADMIN_IDS", "123.9 is not a numeric Telegram user id"),
        ({"admin_ids": "[true]"}, "ADMIN_IDS", "True is not a numeric Telegram user id"),
        ({"admin_ids": "١٢٣"}, "ADMIN_IDS", "'١٢٣' is not a numeric Telegram user id"),
        ({"admin_ids": "5, ٤٥"}, "ADMIN_IDS", "'٤٥' is not a numeric"),
        ({"admin_ids": '["1e3"]'}, "ADMIN_IDS", "'1e3' is not a numeric"),
        ({"admin_ids": "-1001234567890"}, "ADMIN_IDS", "user ids are positive"),
        ({"admin_ids": "[7, -5]"}, "ADMIN_IDS", "-5 is not a Telegram user id"),
        ({"admin_ids": "0"}, "ADMIN_IDS", "user ids are positive"),
        ({"admin_ids": "9" * 20}, "ADMIN_IDS", "too large"),
    ],
)
def test_each_bad_setting_is_one_line_naming_it(overrides: dict, named: str, says: str) -> None:
    values = {name: v for name, v in {"bot_token": TOKEN, **overrides}.items() if v is not None}
    with pytest.raises(SettingsError) as refused:
        load_settings(**values)
    message = str(refused.value)
    assert "\n" not in message
    assert named in message
    assert says in message


def test_good_settings_are_read_with_their_defaults() -> None:
    settings = load_settings(bot_token=TOKEN, admin_ids="[5, 6]", max_transfer="250,50")
    assert settings.admin_ids == frozenset({5, 6})
    assert settings.max_transfer_minor == 25_050
    assert settings.database_url == "sqlite+aiosqlite:///./data/xmoney.db"
    assert settings.sqlite_synchronous == "FULL"
    assert settings.welcome_credit_daily_cap == 100
    assert TOKEN not in repr(settings)


def test_admin_ids_from_a_comma_list_and_postgres_url_normalised() -> None:
    settings = load_settings(bot_token=TOKEN, admin_ids="11, 12", database_url="postgres://u@db/x")
    assert settings.admin_ids == frozenset({11, 12})
    assert settings.database_url == "postgresql+asyncpg://u@db/x"


def test_admin_ids_are_positive_user_ids_in_ascii_digits() -> None:
    listed = load_settings(bot_token=TOKEN, admin_ids='[4503599627370495, "0042"]')
    assert listed.admin_ids == frozenset({2**52 - 1, 42})  # the largest user id Telegram has
    assert load_settings(bot_token=TOKEN, admin_ids=" 7 ,8, ").admin_ids == frozenset({7, 8})
    assert load_settings(bot_token=TOKEN, admin_ids="").admin_ids == frozenset()


def test_a_webhook_needs_https_and_a_long_telegram_shaped_secret() -> None:
    settings = load_settings(bot_token=TOKEN, **WEBHOOK, webhook_secret=GOOD_SECRET[:32])
    assert settings.mode == "webhook"
    local = load_settings(
        bot_token=TOKEN,
        mode="webhook",
        webhook_url="http://127.0.0.1:8443/h",
        webhook_secret="A" * 256,
    )
    assert local.webhook_url == "http://127.0.0.1:8443/h"
    # Polling never uses the secret, so a short one left in .env does not stop it.
    assert load_settings(bot_token=TOKEN, webhook_secret="a").mode == "polling"
