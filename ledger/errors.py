"""Typed ledger errors. Each carries what a person needs to hear; ``code`` keys translations."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every refusal the ledger can give. Nothing has changed when one is raised."""

    code = "ledger_error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__ or self.code)


# --- amounts ---------------------------------------------------------------------------


class AmountError(LedgerError, ValueError):
    """That is not an amount I can read."""

    code = "amount_invalid"


class EmptyAmount(AmountError):
    """Please give an amount, for example 12.50."""

    code = "amount_empty"


class ZeroAmount(AmountError):
    """The amount must be more than zero."""

    code = "amount_zero"


class NegativeAmount(AmountError):
    """The amount can't be negative."""

    code = "amount_negative"


class NotANumber(AmountError):
    """The amount must be a number, for example 12.50."""

    code = "amount_nan"


class ExponentNotAllowed(AmountError):
    """Write the amount in full (1000), not as an exponent (1e3)."""

    code = "amount_exponent"


class UnderscoreNotAllowed(AmountError):
    """Write the amount without underscores, for example 1000 or 1 000."""

    code = "amount_underscore"


class NonAsciiDigits(AmountError):
    """Write the amount with the digits 0-9."""

    code = "amount_digits"


class AmbiguousDecimalMark(AmountError):
    """Use either a dot or a comma for the decimals, not both (12.50 or 12,50)."""

    code = "amount_both_marks"


class AmbiguousThousands(AmountError):
    """1,000 could be a thousand or one: write 1000 for a thousand, 1.5 for decimals."""

    code = "amount_thousands"


class MalformedAmount(AmountError):
    """That is not an amount I can read; write it like 12.50 or 12,50."""

    code = "amount_malformed"

    def __init__(self, text: str = "") -> None:
        self.text = text
        super().__init__()


class TooManyDecimals(AmountError):
    code = "amount_decimals"

    def __init__(self, decimals: int) -> None:
        self.decimals = decimals
        super().__init__(
            f"This currency has {decimals} decimal place(s); I never round amounts."
            if decimals
            else "This currency has no decimals; write a whole number."
        )


class AmountTooLarge(AmountError):
    code = "amount_too_large"

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        super().__init__(f"The amount is above the maximum of {maximum} minor units.")


class WrongCurrency(AmountError):
    code = "amount_currency"

    def __init__(self, given: str, expected: str) -> None:
        self.given, self.expected = given, expected
        super().__init__(f"Amounts here are in {expected}, not {given}.")


# --- accounts and transfers ------------------------------------------------------------


class AccountNotFound(LedgerError):
    """There is no such account."""

    code = "account_not_found"


class AccountFrozen(LedgerError):
    code = "account_frozen"

    def __init__(self, account_id: int | None, side: str) -> None:
        self.account_id, self.side = account_id, side  # side: "sender" or "recipient"
        super().__init__(f"The {side}'s account is frozen.")


class SameAccount(LedgerError):
    """You can't send money to yourself."""

    code = "same_account"


class InsufficientFunds(LedgerError):
    code = "insufficient_funds"

    def __init__(self, available: int, amount: int) -> None:
        self.available, self.amount = available, amount
        super().__init__(f"Not enough funds: {available} available, {amount} needed.")


class OverTransferMax(LedgerError):
    code = "over_transfer_max"

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        super().__init__(f"A single transfer can be at most {maximum} minor units.")


class DailyLimitExceeded(LedgerError):
    code = "daily_limit"

    def __init__(self, limit: int, remaining: int) -> None:
        self.limit, self.remaining = limit, remaining
        super().__init__(f"Daily sending limit {limit} reached; {remaining} left today.")


class TotalTooLarge(LedgerError):
    """A movement would take an account's running totals past the most the ledger keeps
    (``ledger.models.COUNTER_MAX``): refused before any counter could overflow."""

    code = "total_too_large"

    def __init__(self, maximum: int, account_id: int | None = None) -> None:
        self.maximum, self.account_id = maximum, account_id
        super().__init__(f"An account's totals can be at most {maximum} minor units.")


class WelcomeCapReached(LedgerError):
    """Today's welcome credits are all given out (``welcome_daily_cap``, across all users)."""

    code = "welcome_cap"

    def __init__(self, cap: int) -> None:
        self.cap = cap
        super().__init__(f"The {cap} welcome credits of today are all given out.")


class MemoTooLong(LedgerError):
    code = "memo_too_long"

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        super().__init__(f"The note can be at most {maximum} characters.")


class TransferNotFound(LedgerError):
    code = "transfer_not_found"

    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"No transfer with reference {ref!r}.")


class AlreadyResolved(LedgerError):
    """A pending transfer resolves once; this one already has."""

    code = "already_resolved"

    def __init__(self, ref: str, state: str) -> None:
        self.ref, self.state = ref, state
        super().__init__(f"Transfer {ref} is already {state}.")


class NotPending(LedgerError):
    code = "not_pending"

    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"Transfer {ref} is not a pending transfer.")


class AlreadyReversed(LedgerError):
    code = "already_reversed"

    def __init__(self, ref: str, reversal_ref: str) -> None:
        self.ref, self.reversal_ref = ref, reversal_ref
        super().__init__(f"Transfer {ref} was already reversed by {reversal_ref}.")


class NotReversible(LedgerError):
    code = "not_reversible"

    def __init__(self, ref: str, why: str) -> None:
        self.ref, self.why = ref, why
        super().__init__(f"Transfer {ref} can't be reversed: {why}.")


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"

    def __init__(self, key: str, field: str) -> None:
        self.key, self.field = key, field
        super().__init__(f"Idempotency key {key!r} was used with a different {field}.")


# --- payment requests and cards ------------------------------------------------------------


class RequestRefused(LedgerError):
    """A request that cannot be made to this person now (their account is frozen): the
    requester is not told why, as they are not told why a payment to them is refused."""

    code = "request_refused"


class TooSoonToRemind(LedgerError):
    """The payer was reminded of this request less than a day ago."""

    code = "remind_too_soon"


class RequestClosed(LedgerError):
    """A payment request that is no longer open: it cannot be paid or declined now."""

    code = "request_closed"

    def __init__(self, ref: str, state: str, *, unpayable: bool = False) -> None:
        self.ref, self.state = ref, state  # state: paid | declined | cancelled
        # Cancelled because the hold Pay made could not be shown (its key is spent), not
        # by anyone: the payer is told the request can no longer be paid.
        self.unpayable = unpayable
        super().__init__(f"Request {ref} is {state}.")


class RequestNotFound(LedgerError):
    """There is no such payment request."""

    code = "request_not_found"

    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"No payment request {ref!r}.")


class NotYours(LedgerError):
    """Only its sender (or, for a request, its payer) can act on it."""

    code = "not_yours"

    def __init__(self, ref: str) -> None:
        self.ref = ref
        super().__init__(f"{ref} is someone else's to act on.")


class DatabaseUnavailable(LedgerError):
    """The ledger's database can't be reached right now."""

    code = "database_unavailable"


class OutcomeUnknown(DatabaseUnavailable):
    """The database went away while the change was on its way: it may or may not have been
    made. Doing it again with the same idempotency key is safe."""

    code = "outcome_unknown"
