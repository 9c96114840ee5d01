"""Six-digit one-time codes for activation, consent and password reset (R-01, R-02).

Only an HMAC-SHA256 of the code is stored (the outbox keeps the message with the code masked), keyed by the application's secret (``configure``), so a
copy of the database does not reveal live codes and checking one is cheap and constant-time.

Rules: a code lives 5 minutes; issuing a new one kills the previous unconsumed ones of the same
user, purpose and subject; at most one code per 60 s and 5 per hour per user and purpose; 5 wrong
guesses kill a code.

Contract for callers of ``verify_code``: a wrong guess is counted on the code row and flushed
before the error is raised. The caller must COMMIT the session even when verify_code raises
(nothing else may have been written in that transaction before the check), otherwise the attempt
count is rolled back and the 5-attempt limit is not real: callers check codes inside
``unit_of_work_counting_guesses``, which does exactly that. The row is locked (SELECT ... FOR UPDATE)
while it is checked, so parallel guesses are counted one after another.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import CodePurpose, OneTimeCode, User
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_, FieldError, InvalidInput, TooManyAttempts
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.notifications.models import MessageChannel
from postal_gateway.notifications.service import send

CODE_LIFETIME = timedelta(minutes=5)
RESEND_INTERVAL = timedelta(seconds=60)
HOURLY_LIMIT = 5
MAX_ATTEMPTS = 5

_secret: bytes | None = None


@contextmanager
def unit_of_work_counting_guesses() -> Iterator[Session]:
    """A unit of work that commits even when a code is refused (the contract above): a wrong guess,
    counted before the refusal, commits; the refusal is raised after the commit."""
    refused: InvalidInput | TooManyAttempts | None = None
    with unit_of_work() as session:
        try:
            yield session
        except (InvalidInput, TooManyAttempts) as error:
            refused = error
    if refused is not None:
        raise refused


def configure(secret: str) -> None:
    """Set the HMAC key; the accounts blueprint registers this with the app's SECRET_KEY."""
    global _secret
    if not secret:
        raise ValueError("one-time codes need a non-empty secret")
    _secret = secret.encode()


def _digest(user_id: int, purpose: CodePurpose, subject_id: int | None, code: str) -> str:
    if _secret is None:
        raise RuntimeError("one_time_codes.configure(secret) was not called")
    message = f"{user_id}:{purpose.value}:{subject_id or ''}:{code}".encode()
    return "hmac-sha256$" + hmac.new(_secret, message, hashlib.sha256).hexdigest()


def _same_target(user: User, purpose: CodePurpose, subject_id: int | None):
    subject = OneTimeCode.subject_id.is_(None) if subject_id is None else OneTimeCode.subject_id == subject_id
    return (OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose, subject)


def _check_throttle(session: Session, user: User, purpose: CodePurpose, now: datetime) -> None:
    since = now - timedelta(hours=1)
    recent = session.scalars(
        select(OneTimeCode.created_at)
        .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose, OneTimeCode.created_at > since)
        .order_by(OneTimeCode.created_at)
    ).all()
    if recent and now - recent[-1] < RESEND_INTERVAL:
        wait = RESEND_INTERVAL - (now - recent[-1])
        seconds = max(1, int(wait.total_seconds() + 0.999))
        raise TooManyAttempts(
            N_("Vui lòng chờ %(seconds)s giây trước khi yêu cầu mã mới."),
            params={"seconds": seconds},
            retry_after_seconds=seconds,
        )
    if len(recent) >= HOURLY_LIMIT:
        wait = recent[-HOURLY_LIMIT] + timedelta(hours=1) - now
        seconds = max(1, int(wait.total_seconds() + 0.999))
        raise TooManyAttempts(
            N_("Đã gửi quá %(limit)s mã trong một giờ. Vui lòng thử lại sau %(minutes)s phút."),
            params={"limit": HOURLY_LIMIT, "minutes": (seconds + 59) // 60},
            retry_after_seconds=seconds,
        )


def issue_code(
    session: Session,
    user: User,
    purpose: CodePurpose,
    *,
    channel: str = "sms",
    subject_id: int | None = None,
    now: datetime | None = None,
) -> OneTimeCode:
    """Create, store (hashed) and send a new code; raises TooManyAttempts when asked too often."""
    now = now or utcnow()
    purpose = CodePurpose(purpose)
    if channel not in ("sms", "email"):
        raise InvalidInput.on_field("channel", N_("Kênh gửi mã không hợp lệ."))
    recipient = user.phone if channel == "sms" else user.email
    if not recipient:
        message = (
            N_("Tài khoản chưa có số điện thoại để nhận mã.")
            if channel == "sms"
            else N_("Tài khoản chưa có địa chỉ thư điện tử để nhận mã.")
        )
        raise InvalidInput(message, field_errors=[FieldError("phone" if channel == "sms" else "email", message)])
    # Lock the user's row: two requests at once must not both pass the throttle.
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    _check_throttle(session, user, purpose, now)
    session.execute(
        update(OneTimeCode)
        .where(*_same_target(user, purpose, subject_id), OneTimeCode.consumed_at.is_(None), OneTimeCode.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session="fetch")
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = OneTimeCode(
        user_id=user.id,
        purpose=purpose,
        subject_id=subject_id,
        code_hash=_digest(user.id, purpose, subject_id, code),
        channel=channel,
        created_at=now,
        expires_at=now + CODE_LIFETIME,
        attempts=0,
    )
    session.add(row)
    session.flush()
    send(
        session,
        channel=MessageChannel(channel),
        recipient=recipient,
        template="one_time_code",
        context={"purpose": purpose.value, "minutes": int(CODE_LIFETIME.total_seconds() // 60)},
        one_time_code=code,  # stored masked; the code itself rides only in the delivery task
        user_id=user.id,
        locale=user.locale or "vi",
        now=now,
    )
    return row


def _code_error(message: str, **params) -> InvalidInput:
    return InvalidInput(message, params=params, field_errors=[FieldError("code", message, params)])


def verify_code(
    session: Session,
    user: User,
    purpose: CodePurpose,
    code: str,
    *,
    subject_id: int | None = None,
    now: datetime | None = None,
) -> OneTimeCode:
    """Consume the live code if ``code`` matches. See the module docstring: commit even on failure."""
    now = now or utcnow()
    purpose = CodePurpose(purpose)
    typed = "".join((code or "").split())
    if not re.fullmatch(r"[0-9]{6}", typed):
        raise _code_error(N_("Mã xác thực gồm 6 chữ số."))
    row = session.scalar(
        select(OneTimeCode)
        .where(*_same_target(user, purpose, subject_id), OneTimeCode.consumed_at.is_(None))
        .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if row is None:
        raise _code_error(N_("Chưa có mã nào còn hiệu lực. Vui lòng yêu cầu gửi mã mới."))
    session.refresh(row)  # the locked, current attempt count
    if row.attempts >= MAX_ATTEMPTS:
        raise TooManyAttempts(
            N_("Mã đã bị khóa vì nhập sai quá %(limit)s lần. Vui lòng yêu cầu gửi mã mới."),
            params={"limit": MAX_ATTEMPTS},
            retry_after_seconds=int(RESEND_INTERVAL.total_seconds()),
        )
    if row.expires_at <= now:
        raise _code_error(N_("Mã đã hết hạn. Vui lòng yêu cầu gửi mã mới."))
    if not hmac.compare_digest(row.code_hash, _digest(user.id, purpose, subject_id, typed)):
        row.attempts += 1
        session.flush()
        left = MAX_ATTEMPTS - row.attempts
        if left <= 0:
            raise TooManyAttempts(
                N_("Mã đã bị khóa vì nhập sai quá %(limit)s lần. Vui lòng yêu cầu gửi mã mới."),
                params={"limit": MAX_ATTEMPTS},
                retry_after_seconds=int(RESEND_INTERVAL.total_seconds()),
            )
        raise _code_error(N_("Mã không đúng. Bạn còn %(left)s lần thử."), left=left)
    row.consumed_at = now
    session.flush()
    return row

