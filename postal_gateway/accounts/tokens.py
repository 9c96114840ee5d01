"""API bearer tokens: 32 random bytes, URL-safe; only the SHA-256 is stored; 12 hours of life."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import ApiToken, User
from postal_gateway.core.db import utcnow
from postal_gateway.web.auth import token_digest

TOKEN_LIFETIME = timedelta(hours=12)


def issue_token(session: Session, user: User, *, now: datetime | None = None) -> tuple[str, ApiToken]:
    """(the token to hand out once, its stored row)."""
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_sha256=token_digest(raw),
        created_at=now,
        expires_at=now + TOKEN_LIFETIME,
        credentials_version=user.credentials_version or 0,
    )
    session.add(row)
    session.flush()
    return raw, row


def revoke_token(session: Session, raw: str, *, now: datetime | None = None) -> bool:
    """Revoke one token; False if it was unknown or already revoked."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == token_digest(raw)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    session.flush()
    return True


def revoke_all_tokens(session: Session, user: User, *, now: datetime | None = None) -> None:
    """After a password change no old token may keep working."""
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
