"""Self-registration that does not tell strangers who holds an account (R-01; Nghị định 13/2023).

An ID number has one account. If the public register page answered "this ID number already has
an account", anyone could learn who is registered by typing ID numbers. So when the ID number or
the e-mail is already taken, the page answers exactly as for a new account: it goes on to the
activation page, where no code ever arrives. That page tells everyone that the holder of an ID
number that already has an account (registered by them or by someone else) claims it at a post
office or at the agency's one-stop office, with the ID document.

The stand-in registration follows the rules of real codes (``one_time_codes``) with the same
messages, the 60-second and hourly resend limits and the lock after 5 wrong codes, so trying
codes or asking for new ones does not tell the two apart either. Its state lives in the
visitor's own signed session, never in the database.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy.orm import Session

from postal_gateway.accounts import one_time_codes
from postal_gateway.accounts.models import User
from postal_gateway.accounts.passwords import hash_password
from postal_gateway.accounts.services import register_citizen
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_, Conflict, FieldError, InvalidInput, TooManyAttempts


def register_online(session: Session, *, password: str, now: datetime | None = None, **fields) -> User | None:
    """The new, not yet active account (its code sent), or None when the ID number or e-mail
    already belongs to an account. Invalid fields still raise InvalidInput, all at once.

    The password is hashed either way, so the answer's timing does not tell the cases apart.
    """
    try:
        return register_citizen(session, password=password, now=now, **fields)
    except Conflict:
        hash_password(password)
        return None


@dataclass
class UnconfirmedRegistration:
    """What the activation page needs to look the same when no account was made."""

    #: as typed, spaces collapsed, like the real account's name
    full_name: str
    #: as typed: the page offers the e-mail channel only when there is one
    email: str
    #: when each stand-in code was "sent", as POSIX seconds (the session holds JSON)
    codes_sent_at: list[float] = field(default_factory=list)
    #: wrong guesses at the current stand-in code
    attempts: int = 0

    def as_session(self) -> dict:
        return asdict(self)

    @classmethod
    def from_session(cls, stored) -> "UnconfirmedRegistration | None":
        if not isinstance(stored, dict):
            return None
        try:
            return cls(
                full_name=str(stored["full_name"]),
                email=str(stored["email"]),
                codes_sent_at=[float(value) for value in stored["codes_sent_at"]],
                attempts=int(stored["attempts"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def start_unconfirmed(full_name: str, email: str, *, now: datetime | None = None) -> UnconfirmedRegistration:
    """As if the account had been made and its first code sent."""
    now = now or utcnow()
    return UnconfirmedRegistration(
        full_name=" ".join((full_name or "").split()), email=(email or "").strip(), codes_sent_at=[now.timestamp()]
    )


def refuse_code(pending: UnconfirmedRegistration, code: str, *, now: datetime | None = None) -> NoReturn:
    """Refuse ``code`` as ``one_time_codes.verify_code`` refuses a wrong one, in the same order."""
    now = now or utcnow()
    typed = "".join((code or "").split())
    if not re.fullmatch(r"[0-9]{6}", typed):
        raise _code_error(N_("Mã xác thực gồm 6 chữ số."))
    if pending.attempts >= one_time_codes.MAX_ATTEMPTS:
        raise _locked()
    last_sent = datetime.fromtimestamp(pending.codes_sent_at[-1], now.tzinfo) if pending.codes_sent_at else now
    if last_sent + one_time_codes.CODE_LIFETIME <= now:
        raise _code_error(N_("Mã đã hết hạn. Vui lòng yêu cầu gửi mã mới."))
    pending.attempts += 1
    left = one_time_codes.MAX_ATTEMPTS - pending.attempts
    if left <= 0:
        raise _locked()
    raise _code_error(N_("Mã không đúng. Bạn còn %(left)s lần thử."), left=left)


def resend(pending: UnconfirmedRegistration, *, now: datetime | None = None) -> None:
    """As ``one_time_codes.issue_code``: the same resend limits; a "new code" starts its attempts afresh."""
    now = now or utcnow()
    hour_ago = (now - timedelta(hours=1)).timestamp()
    recent = sorted(sent for sent in pending.codes_sent_at if sent > hour_ago)
    since_last = timedelta(seconds=now.timestamp() - recent[-1]) if recent else None
    if since_last is not None and since_last < one_time_codes.RESEND_INTERVAL:
        seconds = max(1, int((one_time_codes.RESEND_INTERVAL - since_last).total_seconds() + 0.999))
        raise TooManyAttempts(
            N_("Vui lòng chờ %(seconds)s giây trước khi yêu cầu mã mới."),
            params={"seconds": seconds},
            retry_after_seconds=seconds,
        )
    if len(recent) >= one_time_codes.HOURLY_LIMIT:
        seconds = max(1, int(recent[-one_time_codes.HOURLY_LIMIT] + 3600 - now.timestamp() + 0.999))
        raise TooManyAttempts(
            N_("Đã gửi quá %(limit)s mã trong một giờ. Vui lòng thử lại sau %(minutes)s phút."),
            params={"limit": one_time_codes.HOURLY_LIMIT, "minutes": (seconds + 59) // 60},
            retry_after_seconds=seconds,
        )
    pending.codes_sent_at = [*recent, now.timestamp()]
    pending.attempts = 0


def _code_error(message: str, **params) -> InvalidInput:
    return InvalidInput(message, params=params, field_errors=[FieldError("code", message, params)])


def _locked() -> TooManyAttempts:
    return TooManyAttempts(
        N_("Mã đã bị khóa vì nhập sai quá %(limit)s lần. Vui lòng yêu cầu gửi mã mới."),
        params={"limit": one_time_codes.MAX_ATTEMPTS},
        retry_after_seconds=int(one_time_codes.RESEND_INTERVAL.total_seconds()),
    )
