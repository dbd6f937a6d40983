"""Settings, from the environment and ``.env`` (pydantic-settings).

A missing or malformed setting stops the program with one line naming the setting and what
is wrong (``load_settings``), never a traceback.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal
from urllib.parse import SplitResult, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ledger.errors import AmountError
from ledger.models import AMOUNT_MAX, COUNTER_MAX
from ledger.money import Currency, parse_amount

MIN_WEBHOOK_SECRET = 32
# No Telegram user id reaches 2**52 (Telegram's own bound); group and channel ids are negative.
MAX_USER_ID = 2**52


def admin_id(item: object) -> int:
    """A Telegram user id as written in ADMIN_IDS: a positive whole number in digits 0-9.

    Anything int() would also take (``123.9``, ``true``, ``"١٢٣"``, ``-100123``) is refused,
    so what an operator wrote is never silently turned into someone else's id."""
    if isinstance(item, str) and re.fullmatch(r"-?[0-9]+", item.strip()):
        number = int(item.strip())
    elif isinstance(item, int) and not isinstance(item, bool):
        number = item
    else:
        raise ValueError(
            f"{item!r} is not a numeric Telegram user id (digits 0-9 only, like 123456789)"
        )
    if number <= 0:
        raise ValueError(
            f"{item!r} is not a Telegram user id: user ids are positive "
            "(negative ids are groups and channels)"
        )
    if number >= MAX_USER_ID:
        raise ValueError(f"{item!r} is too large for a Telegram user id")
    return number


def _loopback(scheme: str, url: SplitResult) -> bool:
    return scheme == "http" and url.hostname in {"127.0.0.1", "localhost", "::1"}


def _reserved(path: str) -> bool:
    """A path the bot serves itself when the wallet page is on (``bot.webapp.app``)."""
    path = path.rstrip("/")
    return path in {"/healthz", "/metrics", "/api", "/static"} or path.startswith(
        ("/api/", "/static/")
    )


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr
    database_url: str = "sqlite+aiosqlite:///./data/xmoney.db"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    currency: str = "USD"
    # Human amounts in the currency ("1000", "1000.50"); defaults of the limits kept in the
    # database (admins change them with /limits).
    max_transfer: str = "1000"
    daily_limit: str = "5000"
    welcome_credit: str = "0"
    # Welcome credits issued per day across all users, counted by the database (0: none).
    welcome_credit_daily_cap: int = Field(100, ge=0, le=1_000_000)
    # Money in and out (issue 15): Telegram Payments when a provider token is set, else the
    # emulated card; the daily limits' starting values (kept in the database).
    payment_provider_token: SecretStr | None = None
    topup_daily_limit: str = "1000"
    payout_daily_limit: str = "1000"
    payout_settle_seconds: int = Field(10, ge=1, le=86_400)
    hold_expiry_seconds: int = Field(300, ge=10, le=86_400)
    # How long a payment request stays open when nobody answers it (1 minute to 90 days).
    request_expiry_seconds: int = Field(604_800, ge=60, le=7_776_000)
    # Whom users are told to contact about their account ("@xmoney_help", an e-mail address);
    # empty: "the team that runs this bot".
    support_contact: str = Field("", max_length=100)
    # How long an inline cheque or an escrow payment waits to be accepted (issue 14).
    cheque_expiry_seconds: int = Field(86_400, ge=60, le=30 * 86_400)
    # How long a payment link (/link) can be paid through, unless revoked first.
    link_expiry_seconds: int = Field(7 * 86_400, ge=60, le=365 * 86_400)
    sweep_interval_seconds: int = Field(30, ge=1, le=3_600)
    # Payment commands a user may issue per minute before being asked to slow down.
    rate_limit_per_minute: int = Field(20, ge=1, le=10_000)
    # Updates handled at once (one user's updates always one at a time, in order).
    concurrent_updates: int = Field(64, ge=1, le=1_024)
    telegram_base_url: str = "https://api.telegram.org/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # The wallet page (a Telegram Mini App); unset, there is no page and no /wallet button.
    webapp_url: str | None = None
    listen: str = "0.0.0.0"
    port: int = Field(8080, ge=1, le=65_535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # FULL: every acknowledged commit survives a crash or power loss (see README).
    sqlite_synchronous: Literal["NORMAL", "FULL", "EXTRA"] = "FULL"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return frozenset()
            if value.startswith("["):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as error:
                    raise ValueError(f"not a JSON list of ids ({error.msg})") from None
            else:
                value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple | set | frozenset):
            return frozenset(admin_id(item) for item in value)
        return value

    @field_validator("bot_token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if not token:
            raise ValueError("is empty; get a token from @BotFather")
        if ":" not in token or any(ch.isspace() for ch in token):
            raise ValueError("does not look like a bot token (expected <digits>:<secret>)")
        return SecretStr(token)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return Currency.of(value).code

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        if value.startswith("postgres://"):
            value = "postgresql://" + value[len("postgres://") :]
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value[len("postgresql://") :]
        if value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value[len("sqlite:///") :]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:/// or postgresql+asyncpg:// "
                "(postgresql:// is accepted too)"
            )
        return value

    @field_validator("telegram_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org/bot")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        currency = self.money
        # The ledger's caps (ledger.models): a single amount, and a running total.
        for name, maximum in (("max_transfer", AMOUNT_MAX), ("daily_limit", COUNTER_MAX)):
            try:
                parse_amount(getattr(self, name), currency, maximum=maximum)
            except AmountError as error:
                raise ValueError(f"{name.upper()}: {error}") from None
        if self.welcome_credit.strip() not in {"", "0"}:
            try:
                parse_amount(self.welcome_credit, currency, maximum=AMOUNT_MAX)
            except AmountError as error:
                raise ValueError(f"WELCOME_CREDIT: {error}") from None
        if self.webapp_url is not None:
            # Telegram opens Mini Apps over https:// only; http:// only on the loopback (tests).
            page = urlsplit(self.webapp_url)
            if not page.hostname or not (page.scheme == "https" or _loopback(page.scheme, page)):
                raise ValueError("WEBAPP_URL: needs an https:// URL (http:// only on localhost)")
            if page.query or page.fragment:
                raise ValueError("WEBAPP_URL: no query or fragment; Telegram adds its own")
            if _reserved(page.path):
                raise ValueError(
                    "WEBAPP_URL: /api/, /static/, /healthz and /metrics are the bot's own "
                    "paths; pick another"
                )
        if self.mode == "webhook":
            # Telegram delivers to https:// only; plain http:// is allowed on the loopback
            # (tests, a local Bot API server on the same host).
            url = urlsplit(self.webhook_url or "")
            loopback = _loopback(url.scheme, url)
            if not url.hostname or not (url.scheme == "https" or loopback):
                raise ValueError(
                    "WEBHOOK_URL: webhook mode needs an https:// URL (http:// only on localhost)"
                )
            if url.path.rstrip("/") == "/healthz":
                raise ValueError("WEBHOOK_URL: /healthz is the health check's path; pick another")
            if self.webapp_url is not None and (
                _reserved(url.path) or (url.path or "/") == (urlsplit(self.webapp_url).path or "/")
            ):
                raise ValueError(
                    "WEBHOOK_URL: its path is the wallet page's or one of the bot's own "
                    "(/api/, /static/, /metrics); pick another, such as /telegram"
                )
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            # Telegram allows 1-256 of A-Z a-z 0-9 _ -; anyone who guesses the secret can post
            # updates as any user, so it must be too long to guess (token_urlsafe(32): 43).
            long_enough = len(secret) >= MIN_WEBHOOK_SECRET
            if not (long_enough and re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret)):
                raise ValueError(
                    f"WEBHOOK_SECRET: webhook mode needs a secret of {MIN_WEBHOOK_SECRET}-256 "
                    "characters A-Z, a-z, 0-9, _ and - (make one with: python3 -c "
                    '"import secrets; print(secrets.token_urlsafe(32))")'
                )
        return self

    @property
    def money(self) -> Currency:
        return Currency.of(self.currency)

    @property
    def max_transfer_minor(self) -> int:
        return parse_amount(self.max_transfer, self.money)

    @property
    def daily_limit_minor(self) -> int:
        return parse_amount(self.daily_limit, self.money)

    @property
    def telegram_payments(self) -> bool:
        """Top-ups through Telegram's invoices: a provider token is set, or the currency is
        Telegram Stars (which needs none)."""
        return self.payment_provider_token is not None or self.currency.upper() == "XTR"

    @property
    def topup_daily_limit_minor(self) -> int:
        return parse_amount(self.topup_daily_limit, self.money)

    @property
    def payout_daily_limit_minor(self) -> int:
        return parse_amount(self.payout_daily_limit, self.money)

    @property
    def welcome_credit_minor(self) -> int:
        if self.welcome_credit.strip() in {"", "0"}:
            return 0
        return parse_amount(self.welcome_credit, self.money)


def load_settings(**overrides: object) -> Settings:
    """Read the settings or raise SettingsError with one line an operator can act on."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        location = "_".join(str(part) for part in first["loc"]).upper()
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "missing":
            message = "is required but not set (put it in the environment or in .env)"
        if location:
            raise SettingsError(f"setting {location} {message}") from None
        raise SettingsError(f"setting {message}") from None
