"""WEBAPP_URL: an operator's mistake stops the program with one line naming it."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings

TOKEN = "123456:TEST-token"
SECRET = "Xq3_longEnough-toBeUnguessable_0042"
WEBHOOK = {"mode": "webhook", "webhook_secret": SECRET}


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "WEBAPP_URL", "WEBHOOK_URL", "WEBHOOK_SECRET", "MODE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"webapp_url": "http://wallet.example.com/"}, "WEBAPP_URL: needs an https://"),
        ({"webapp_url": "wallet.example.com"}, "WEBAPP_URL: needs an https://"),
        ({"webapp_url": "https://w.example.com/?x=1"}, "WEBAPP_URL: no query"),
        ({"webapp_url": "https://w.example.com/api/wallet"}, "WEBAPP_URL: /api/"),
        ({"webapp_url": "https://w.example.com/metrics"}, "WEBAPP_URL: /api/"),
        (
            {
                **WEBHOOK,
                "webapp_url": "https://w.example.com/",
                "webhook_url": "https://w.example.com/",
            },
            "WEBHOOK_URL: its path is the wallet page's",
        ),
        (
            {
                **WEBHOOK,
                "webapp_url": "https://w.example.com/",
                "webhook_url": "https://w.example.com/api/x",
            },
            "WEBHOOK_URL: its path is the wallet page's",
        ),
    ],
)
def test_a_bad_webapp_url_is_one_line_naming_it(overrides: dict, says: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(SettingsError) as refused:
        load_settings(bot_token=TOKEN, **overrides)
    assert says in str(refused.value)
    assert "\n" not in str(refused.value)


def test_good_webapp_urls() -> None:
    assert load_settings(bot_token=TOKEN).webapp_url is None
    page = load_settings(bot_token=TOKEN, webapp_url="https://w.example.com/wallet")
    assert page.webapp_url == "https://w.example.com/wallet"
    assert load_settings(bot_token=TOKEN, webapp_url="http://127.0.0.1:8080/").webapp_url
    both = load_settings(
        bot_token=TOKEN,
        **WEBHOOK,
        webapp_url="https://w.example.com/",
        webhook_url="https://w.example.com/telegram",
    )
    assert both.mode == "webhook"
