"""The operator's review of catalogue entries marked "Đang chờ rà soát" (R-03): a code or a name that was doubtful
at import waits until an operator has checked it against the published catalogue and confirms it; the
confirmation records who and when, and the public page stops showing the badge. No Flask."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from postal_gateway.catalogue.models import Procedure
from postal_gateway.catalogue.services import normalise_procedure_code
from postal_gateway.core.domain import N_, Conflict, FieldError, InvalidInput, NotFound

#: how many confirmed entries the page recalls under the waiting ones
RECENTLY_CONFIRMED = 20


@dataclass(frozen=True)
class ReviewQueue:
    #: entries still marked "Đang chờ rà soát", by code
    waiting: list[Procedure]
    #: the latest confirmed entries, newest first, with who confirmed them
    confirmed: list[Procedure]


def review_queue(session: Session) -> ReviewQueue:
    waiting = session.scalars(select(Procedure).where(Procedure.needs_review.is_(True))
                              .options(selectinload(Procedure.agency)).order_by(Procedure.code)).all()
    confirmed = session.scalars(select(Procedure).where(Procedure.reviewed_at.is_not(None))
                                .options(selectinload(Procedure.agency), selectinload(Procedure.reviewed_by))
                                .order_by(Procedure.reviewed_at.desc()).limit(RECENTLY_CONFIRMED)).all()
    return ReviewQueue(waiting=list(waiting), confirmed=list(confirmed))


def confirm_reviewed(session: Session, code: str | None, *, actor_id: int, now: datetime) -> Procedure:
    """The operator confirms an entry after review: ``needs_review`` is cleared, ``reviewed_by_id`` and
    ``reviewed_at`` say who and when; the review note stays as the record of what was doubtful. Flushes."""
    if not code or not str(code).strip():
        raise InvalidInput(N_("Chọn thủ tục cần xác nhận."),
                           field_errors=[FieldError("code", N_("Chọn thủ tục cần xác nhận."))])
    procedure = session.scalar(select(Procedure).where(Procedure.code == normalise_procedure_code(str(code)))
                               .with_for_update())
    if procedure is None:
        raise NotFound(N_("Không tìm thấy thủ tục %(code)s."), params={"code": code})
    if not procedure.needs_review:
        raise Conflict(N_("Thủ tục %(code)s không chờ rà soát (đã được xác nhận hoặc chưa từng bị đánh dấu)."),
                       params={"code": procedure.code})
    procedure.needs_review = False
    procedure.reviewed_by_id = actor_id
    procedure.reviewed_at = now
    session.flush()
    return procedure
