"""The page's JSON API, under ``/api/``. Its only credential is Telegram's init data
(``Authorization: tma <initData>``, ``bot.webapp.auth``): without valid init data every
endpoint answers 401 and does nothing. No cookies are read or set and no CORS header is sent,
so another site's script can neither call it with the user's credentials nor read its answers.

Every refusal is one JSON object ``{"error": <code>, "message": <the catalogue's text>}`` in
the reader's language; money is integers of minor units plus their formatted forms.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram.ext import Application, CallbackContext

from bot import metrics, ratelimit
from bot.common import Refusal, explain
from bot.outbox import payments_of
from bot.people import by_username, check_recipient, language_for
from bot.render import money as format_money
from bot.render import plain, when
from bot.settings import Settings
from bot.texts import language_of, t
from bot.webapp import auth, pay
from bot.webapp.chart import balance_svg
from ledger import Ledger, Person, parse_amount, wallet
from ledger.errors import DatabaseUnavailable, LedgerError, OutcomeUnknown
from ledger.payments.service import check_note
from ledger.types import ChequeMark

log = logging.getLogger(__name__)

PAGE_SIZE = 10
MAX_OFFSET = 100_000
MAX_BODY = 4096
_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
_REF = re.compile(r"[0-9A-Z]{4,16}")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, proven by their init data: a person who has started the bot."""

    person: Person
    reader: str
    account_id: int


class Problem(Exception):
    """An answer other than success: HTTP ``status`` and the catalogue text ``key``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


Endpoint = Callable[[Request, Application, Caller], Awaitable[Response]]


def _problem(problem: Problem) -> JSONResponse:
    return JSONResponse(
        {"error": problem.code, "message": problem.message}, status_code=problem.status
    )


def ledger_of(application: Application) -> Ledger:
    return application.bot_data["ledger"]


def _now(application: Application) -> float:
    return float(application.bot_data["clock"]().timestamp())


async def caller_of(request: Request, application: Application) -> Caller:
    """The caller proven by the request's init data, or a Problem (401, or 403 for someone who
    never started the bot)."""
    settings: Settings = application.bot_data["settings"]
    user = auth.from_header(
        request.headers.get("authorization"),
        settings.bot_token.get_secret_value(),
        _now(application),
    )
    if user is None:
        reader = language_of(None)
        raise Problem(401, "unauthorized", t(reader, "page.open_in_telegram"))
    ledger = ledger_of(application)
    person = await ledger.directory.get(user.id)
    if person is None or not person.registered:
        reader = language_of(user.language_code)
        refusal = Refusal("people.start_first", link=f"https://t.me/{application.bot.username}")
        raise Problem(403, "start_first", plain(explain(reader, refusal, ledger.currency)))
    return Caller(person, language_for(person), await ledger.open_account(person.id))


def authenticated(endpoint: Endpoint, application: Application) -> Callable[..., Any]:
    """``endpoint`` behind the init-data check, with its refusals answered as JSON."""

    async def handle(request: Request) -> Response:
        try:
            caller = await caller_of(request, application)
            response = await endpoint(request, application, caller)
        except Problem as problem:
            return _problem(problem)
        except DatabaseUnavailable:
            metrics.DATABASE_ERRORS.inc()
            log.error("%s %s: database unavailable", request.method, request.url.path)
            return _problem(Problem(503, "unavailable", t("en", "page.failed")))
        response.headers["Cache-Control"] = "no-store"
        return response

    return handle


def _refused(caller: Caller, error: Exception, currency: Any) -> Problem:
    code = error.key if isinstance(error, Refusal) else getattr(error, "code", "refused")
    return Problem(422, code, plain(explain(caller.reader, error, currency)))


async def _json_body(request: Request, caller: Caller) -> dict[str, Any]:
    body = await request.body()
    try:
        data = json.loads(body) if len(body) <= MAX_BODY else None
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise Problem(400, "bad_request", t(caller.reader, "page.bad_request"))
    return data


def _text_field(data: dict[str, Any], name: str, caller: Caller, limit: int = 256) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise Problem(400, "bad_request", t(caller.reader, "page.bad_request"))
    return value


def _money(caller: Caller, ledger: Ledger, minor: int) -> dict[str, Any]:
    return {"minor": minor, "text": format_money(caller.reader, minor, ledger.currency)}


def _who(person: Person | None, reader: str) -> str:
    if person is None:
        return plain(t(reader, "who.system"))
    return f"@{person.username}" if person.username else person.name


# --- reading -----------------------------------------------------------------------------


async def get_wallet(request: Request, application: Application, caller: Caller) -> Response:
    """GET /api/wallet: the caller's balance, available and on hold."""
    ledger = ledger_of(application)
    account = await ledger.account(caller.account_id)
    return JSONResponse(
        {
            "currency": ledger.currency.code,
            "exponent": ledger.currency.exponent,
            "available": account.available,
            "held": account.on_hold,
            "available_text": format_money(caller.reader, account.available, ledger.currency),
            "held_text": format_money(caller.reader, account.on_hold, ledger.currency),
            "language": caller.reader,
            "name": _who(caller.person, caller.reader),
            "frozen": account.frozen,
        }
    )


async def get_history(request: Request, application: Application, caller: Caller) -> Response:
    """GET /api/history?filter=all|sent|received|requests|cheques&q=<search>&offset=<n>"""
    ledger = ledger_of(application)
    kind = request.query_params.get("filter", "all")
    search = request.query_params.get("q", "")
    offset_text = request.query_params.get("offset", "0")
    if (
        kind not in wallet.FILTERS
        or len(search) > wallet.SEARCH_MAX
        or not offset_text.isdigit()
        or int(offset_text) > MAX_OFFSET
    ):
        raise Problem(400, "bad_request", t(caller.reader, "page.bad_request"))
    offset = int(offset_text)
    page = await wallet.find_history(
        ledger, caller.account_id, kind=kind, search=search, limit=PAGE_SIZE, offset=offset
    )
    items = []
    for item in page.items:
        transfer = item.transfer
        other = (
            await ledger.directory.get(item.counterparty_owner)
            if item.counterparty_owner is not None
            else None
        )
        who = _who(other, caller.reader)
        counterpart = t(
            caller.reader, "page.to" if item.direction == "out" else "page.from", who=who
        )
        if item.cheque is not None:
            counterpart = _cheque_label(caller.reader, item.cheque, item.direction, who)
        items.append(
            {
                "ref": transfer.ref,
                "direction": item.direction,
                "kind": transfer.kind,
                "state": transfer.state,
                "state_text": ""
                if transfer.state == "posted"
                else t(caller.reader, f"page.state_{transfer.state}"),
                "amount": _money(caller, ledger, transfer.amount),
                "cheque": item.cheque is not None,
                "who": who,
                "counterpart": plain(counterpart),
                "memo": transfer.memo,
                "date": when(caller.reader, transfer.created_at),
            }
        )
    return JSONResponse({"items": items, "offset": offset, "has_more": page.has_more})


def _cheque_label(reader: str, mark: ChequeMark, direction: str, who: str) -> str:
    """A cheque's line: its hold is money set aside for a cheque, never a payment to the
    system account; its payout is a cheque to or from a person."""
    if mark.role == "hold":
        if mark.envelope:
            return t(reader, "page.envelope_share")
        if mark.to_username:
            return t(reader, "page.cheque_to", who=f"@{mark.to_username}")
        return t(reader, "page.cheque_open")
    if mark.envelope:
        key = "page.envelope_to" if direction == "out" else "page.envelope_from"
    else:
        key = "page.cheque_to" if direction == "out" else "page.cheque_from"
    return t(reader, key, who=who)


async def get_chart(request: Request, application: Application, caller: Caller) -> Response:
    """GET /api/chart: the balance over the last 30 days, as SVG."""
    ledger = ledger_of(application)
    series = await wallet.balance_by_day(ledger, caller.account_id, 30)
    values = [day.balance for day in series]
    svg = balance_svg(
        series,
        t(caller.reader, "page.chart"),
        format_money(caller.reader, min(values), ledger.currency),
        format_money(caller.reader, max(values), ledger.currency),
        f"{_day(caller.reader, series[0].day)} – {_day(caller.reader, series[-1].day)}",
    )
    return Response(svg, media_type="image/svg+xml")


def _day(reader: str, day: date) -> str:
    """A date the way ``reader`` writes dates (as ``bot.render.when`` does)."""
    return day.strftime("%d/%m/%Y" if reader == "fr" else "%Y-%m-%d")


async def get_requests(request: Request, application: Application, caller: Caller) -> Response:
    """GET /api/requests: the requests waiting for the caller to pay or decline."""
    ledger = ledger_of(application)
    found = []
    for asked in await wallet.open_requests_for(ledger, caller.person.id):
        requester = await ledger.directory.get(asked.requester_id)
        name = _who(requester, caller.reader)
        amount = format_money(caller.reader, asked.amount, ledger.currency)
        found.append(
            {
                "ref": asked.ref,
                "who": name,
                "amount": _money(caller, ledger, asked.amount),
                "memo": asked.memo,
                "text": plain(t(caller.reader, "page.asks", who=name, amount=amount)),
                "confirm": plain(t(caller.reader, "page.confirm_pay", who=name, amount=amount)),
                "date": when(caller.reader, asked.created_at),
            }
        )
    return JSONResponse({"requests": found})


async def get_people(request: Request, application: Application, caller: Caller) -> Response:
    """GET /api/people: the people the caller paid last, to pick a recipient from."""
    ledger = ledger_of(application)
    people = await wallet.recent_people(ledger, caller.account_id)
    return JSONResponse(
        {"people": [{"username": p.username, "name": _who(p, caller.reader)} for p in people]}
    )


# --- moving money ------------------------------------------------------------------------


async def _draft(
    request: Request, application: Application, caller: Caller
) -> tuple[Person, int, str, dict[str, Any]]:
    """The recipient, amount and note of a send form, checked as the chat checks /send."""
    ledger = ledger_of(application)
    data = await _json_body(request, caller)
    to = _text_field(data, "to", caller, 64)
    amount_text = _text_field(data, "amount", caller, 64)
    note = _text_field(data, "note", caller, 1024).strip()
    context = CallbackContext(application, chat_id=caller.person.id, user_id=caller.person.id)
    try:
        recipient = await by_username(context, to, caller.person.id)
        check_recipient(context, caller.person.id, recipient)
        amount = parse_amount(amount_text, ledger.currency)
        check_note(note)
        await payments_of(application.bot_data).check_send(caller.person.id, recipient.id, amount)
    except (Refusal, LedgerError) as error:
        raise _refused(caller, error, ledger.currency) from None
    return recipient, amount, note, data


async def _admit(application: Application, caller: Caller) -> None:
    """The chat's per-user rate limit on payment actions, shared with the chat (and with
    every worker: the windows are the ledger's)."""
    settings: Settings = application.bot_data["settings"]
    limit = settings.rate_limit_per_minute
    if not await ledger_of(application).shared.admit(caller.person.id, limit, ratelimit.WINDOW):
        raise Problem(429, "slow_down", plain(t(caller.reader, "ratelimit.slow_down")))


def _key(data: dict[str, Any], caller: Caller) -> str:
    key = data.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise Problem(400, "bad_request", t(caller.reader, "page.bad_request"))
    return key


async def post_send_preview(request: Request, application: Application, caller: Caller) -> Response:
    """POST /api/send/preview {to, amount, note}: checks the payment and says what Confirm
    will do; no money moves."""
    ledger = ledger_of(application)
    recipient, amount, note, _ = await _draft(request, application, caller)
    name = _who(recipient, caller.reader)
    amount_text = format_money(caller.reader, amount, ledger.currency)
    return JSONResponse(
        {
            "to": name,
            "amount": _money(caller, ledger, amount),
            "note": note,
            "confirm": plain(t(caller.reader, "page.confirm_send", who=name, amount=amount_text)),
        }
    )


async def post_send(request: Request, application: Application, caller: Caller) -> Response:
    """POST /api/send {to, amount, note, key}: pays, once per ``key`` (a page's submit)."""
    ledger = ledger_of(application)
    try:
        recipient, amount, note, data = await _draft(request, application, caller)
    except Problem as problem:
        if problem.status == 422:  # the chat's checks said no: a payment refused
            metrics.PAYMENTS.labels("page", "refused").inc()
        raise
    key = _key(data, caller)
    await _admit(application, caller)
    try:
        paid = await pay.send(application, caller.person, recipient, amount, note, key=key)
    except (Refusal, LedgerError) as error:
        raise _payment_refused(caller, error, ledger) from None
    name = _who(recipient, caller.reader)
    amount_text = format_money(caller.reader, amount, ledger.currency)
    return JSONResponse(
        {
            "ref": paid.transfer.ref,
            "replayed": paid.replayed,
            "message": plain(t(caller.reader, "page.sent", who=name, amount=amount_text)),
            "available": _money(caller, ledger, paid.sender_available),
        }
    )


def _payment_refused(caller: Caller, error: Exception, ledger: Ledger) -> Exception:
    """What to answer for a payment that did not go through: the refusal, counted; when the
    database went away after the post was sent, that it may have gone through (the page
    keeps its key, so trying again pays at most once); before, the error itself (503)."""
    if isinstance(error, OutcomeUnknown):
        metrics.PAYMENTS.labels("page", "unknown").inc()
        return Problem(503, error.code, plain(explain(caller.reader, error, ledger.currency)))
    if isinstance(error, DatabaseUnavailable):
        return error
    metrics.PAYMENTS.labels("page", "refused").inc()
    return _refused(caller, error, ledger.currency)


def _request_ref(request: Request, caller: Caller) -> str:
    ref = str(request.path_params.get("ref", "")).upper()
    if not _REF.fullmatch(ref):
        raise Problem(400, "bad_request", t(caller.reader, "page.bad_request"))
    return ref


async def post_pay_request(request: Request, application: Application, caller: Caller) -> Response:
    """POST /api/requests/<ref>/pay {key}: pays a request made to the caller, once per key."""
    ledger = ledger_of(application)
    ref = _request_ref(request, caller)
    key = _key(await _json_body(request, caller), caller)
    await _admit(application, caller)
    try:
        paid = await pay.pay_request(application, caller.person, ref, key=key)
    except (Refusal, LedgerError) as error:
        raise _payment_refused(caller, error, ledger) from None
    requester = await ledger.directory.get(paid.transfer.credit_owner or 0)
    name = _who(requester, caller.reader)
    amount_text = format_money(caller.reader, paid.transfer.amount, ledger.currency)
    return JSONResponse(
        {
            "ref": paid.transfer.ref,
            "replayed": paid.replayed,
            "message": plain(t(caller.reader, "page.sent", who=name, amount=amount_text)),
            "available": _money(caller, ledger, paid.sender_available),
        }
    )


async def post_decline_request(
    request: Request, application: Application, caller: Caller
) -> Response:
    """POST /api/requests/<ref>/decline: declines a request made to the caller."""
    ledger = ledger_of(application)
    ref = _request_ref(request, caller)
    try:
        await pay.decline_request(application, caller.person, ref)
    except (Refusal, LedgerError) as error:
        if isinstance(error, DatabaseUnavailable):
            raise
        raise _refused(caller, error, ledger.currency) from None
    return JSONResponse({"ref": ref, "message": t(caller.reader, "page.declined")})


def routes(application: Application) -> list[Route]:
    def route(path: str, endpoint: Endpoint, method: str) -> Route:
        return Route(path, authenticated(endpoint, application), methods=[method])

    return [
        route("/api/wallet", get_wallet, "GET"),
        route("/api/history", get_history, "GET"),
        route("/api/chart", get_chart, "GET"),
        route("/api/requests", get_requests, "GET"),
        route("/api/people", get_people, "GET"),
        route("/api/send/preview", post_send_preview, "POST"),
        route("/api/send", post_send, "POST"),
        route("/api/requests/{ref}/pay", post_pay_request, "POST"),
        route("/api/requests/{ref}/decline", post_decline_request, "POST"),
    ]
