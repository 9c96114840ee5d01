"""The ID document a staff member checks when they act on a citizen's identity (R-01, R-02).

Registration by postal staff, and the reclaim of an ID number someone else registered, both keep what
was seen: the document's number, its issue date and a photo of the card, with who checked it and
where. Nothing here knows Flask: the caller passes the date and an already validated photo.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from postal_gateway.accounts.models import IdentityCheck, IdentityCheckPurpose, IdKind, User
from postal_gateway.core.domain import N_, FieldError, InvalidInput
from postal_gateway.core.formatting import to_local
from postal_gateway.core.scan_safety import refuse_active_content
from postal_gateway.core.uploads import ValidatedScan

#: the oldest issue date accepted: older cards are long expired (and typos like 0202 are caught)
EARLIEST_ISSUE_DATE = date(1960, 1, 1)


@dataclass(frozen=True)
class IdentityDocument:
    """What the staff member saw: the card's issue date (ngày cấp) and a photo of it."""

    issued_on: date | None
    photo: ValidatedScan | None


def parse_issue_date(raw) -> date | None:
    """'YYYY-MM-DD' (a date input or JSON) -> date; '' or None -> None; anything else -> InvalidInput."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(raw.strip()) if isinstance(raw, str) else None
    except ValueError:
        return None


def document_errors(document: IdentityDocument | None, now: datetime) -> list[FieldError]:
    """Every problem with the document, at once, on the fields ``id_issued_on`` and ``id_photo``."""
    errors: list[FieldError] = []
    issued_on = document.issued_on if document else None
    if issued_on is None:
        errors.append(FieldError("id_issued_on", N_("Vui lòng nhập ngày cấp ghi trên giấy tờ tùy thân (năm-tháng-ngày).")))
    elif issued_on > to_local(now).date() or issued_on < EARLIEST_ISSUE_DATE:
        errors.append(FieldError("id_issued_on", N_("Ngày cấp không hợp lệ: không được sau hôm nay.")))
    photo = document.photo if document else None
    if photo is None:
        errors.append(FieldError("id_photo", N_("Vui lòng chụp mặt trước giấy tờ tùy thân của công dân.")))
    else:
        try:
            refuse_active_content(photo, field="id_photo")
        except InvalidInput as refused:
            errors.extend(refused.field_errors)
    return errors


def record_identity_check(
    session: Session,
    *,
    user: User,
    checked_by: User,
    purpose: IdentityCheckPurpose,
    id_kind: IdKind,
    id_number: str,
    document: IdentityDocument,
    now: datetime,
    frozen_user: User | None = None,
) -> IdentityCheck:
    """Keep the document seen; call ``document_errors`` first."""
    photo = document.photo
    check = IdentityCheck(
        user_id=user.id,
        purpose=purpose,
        checked_by_id=checked_by.id,
        post_office_id=checked_by.post_office_id,
        agency_id=checked_by.agency_id,
        id_kind=id_kind,
        id_number=id_number,
        document_issued_on=document.issued_on,
        photo_filename=photo.filename,
        photo_content_type=photo.content_type,
        photo_sha256=photo.sha256,
        photo_content=photo.data,
        frozen_user_id=frozen_user.id if frozen_user is not None else None,
        created_at=now,
    )
    session.add(check)
    session.flush()
    return check
