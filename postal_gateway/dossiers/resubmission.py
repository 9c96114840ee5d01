"""The citizen's resubmission of a dossier the one-stop office sent back for completion (form 02 at
reception, Điều 12.1.c): once every item is completed, the dossier goes back to ``submitted`` and waits
for the officer to check it again, as a new arrival (12.2.b "trở lại trình tự tiếp nhận").

Who may: the citizen who owns the dossier, or the postal staff (and office manager) of the post office
that submitted it, acting under the citizen's consent (Điều 21.1, R-02). The replaced papers travel as
the completion request asked (on paper to the office, or online); here the person confirms they are
complete and may say how, and that is kept in the step's details. No Flask here; never commits.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import POST_OFFICE_ROLES, Role, User
from postal_gateway.consents import audit
from postal_gateway.consents.models import Consent, ConsentStatus
from postal_gateway.consents.services import require_consent
from postal_gateway.core.domain import N_, FieldError, Forbidden, InvalidInput, NotFound
from postal_gateway.dossiers.models import Dossier, DossierStatus, DossierStatusChange
from postal_gateway.dossiers.services import can_view
from postal_gateway.dossiers.shipments import find_by_reference
from postal_gateway.dossiers.workflow import Action, IllegalTransition, transition

#: the longest note a resubmission keeps
NOTE_MAX = 2000
NOT_CONFIRMED = N_("Xác nhận đã bổ sung, hoàn thiện đủ các nội dung cơ quan yêu cầu trước khi nộp lại (Điều 12.1.c).")


def may_resubmit(dossier: Dossier, person: User | None) -> bool:
    """The dossier's own citizen, or the staff of the post office that submitted it."""
    if person is None or not person.is_active:
        return False
    if person.role == Role.citizen:
        return dossier.citizen_id == person.id
    return (person.role in POST_OFFICE_ROLES and person.post_office_id is not None
            and dossier.post_office_id == person.post_office_id)


def _consent_for(session: Session, dossier: Dossier, staff: User, now: datetime) -> Consent:
    """The consent the dossier was submitted under while it still stands (a single-dossier consent is
    spent on this very dossier), otherwise a valid one of the citizen for the staff's office."""
    consent = session.get(Consent, dossier.consent_id) if dossier.consent_id else None
    if (consent is not None and consent.post_office_id == staff.post_office_id
            and consent.status in (ConsentStatus.active, ConsentStatus.used)
            and consent.valid_from <= now and (consent.valid_until is None or consent.valid_until > now)):
        return consent
    return require_consent(session, citizen=dossier.citizen, post_office_id=staff.post_office_id, at=now)


def last_completion_request(session: Session, dossier: Dossier) -> DossierStatusChange | None:
    """The step that sent the dossier back for completion, with its items and reasons."""
    return session.scalar(
        select(DossierStatusChange)
        .where(DossierStatusChange.dossier_id == dossier.id,
               DossierStatusChange.action == Action.request_completion.value)
        .order_by(DossierStatusChange.at.desc(), DossierStatusChange.id.desc()).limit(1)
    )


def resubmit(
    session: Session, *, person: User | None, ref: str, now: datetime, confirmed: bool, note: str = "",
    expected_version: int | None = None,
) -> Dossier:
    """Send a completed dossier back to the one-stop office (Điều 12.1.c, 12.2.b): ``completion_requested``
    becomes ``submitted`` again. ``submitted_at`` keeps the first submission; the moment of this one, the
    note and the items it answers are kept in the step's details. Someone who may not see the dossier gets
    NotFound; someone who may see it but not resubmit it (its agency, an operator) gets Forbidden."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    dossier = find_by_reference(session, ref) if isinstance(ref, str) else None
    if dossier is None or not can_view(dossier, person):
        cleaned = ref.strip().upper() if isinstance(ref, str) else ""
        raise NotFound(N_("Không tìm thấy hồ sơ %(code)s."), params={"code": cleaned[:40] or "?"})
    if not may_resubmit(dossier, person):
        raise Forbidden(N_("Chỉ công dân chủ hồ sơ hoặc bưu cục đã nộp hồ sơ được nộp lại hồ sơ."))
    if dossier.status != DossierStatus.completion_requested:
        raise IllegalTransition(dossier.status, Action.resubmit)
    errors = []
    if confirmed is not True:
        errors.append(FieldError("confirmed", NOT_CONFIRMED))
    note = " ".join(note.split()) if isinstance(note, str) else ""
    if len(note) > NOTE_MAX:
        errors.append(FieldError("note", N_("Tối đa 2000 ký tự.")))
    if errors:
        raise InvalidInput(NOT_CONFIRMED, field_errors=errors)
    consent = _consent_for(session, dossier, person, now) if person.role != Role.citizen else None
    asked = last_completion_request(session, dossier)
    details = {
        "resubmitted_at": now.isoformat(),
        "confirmed_complete": True,
        "note": note,
        "completed_items": list((asked.details or {}).get("items", [])) if asked is not None else [],
    }
    transition(session, dossier, Action.resubmit, actor=person, at=now, expected_version=expected_version,
               details=details)
    if consent is not None:
        audit.record(session, action="dossier.resubmitted", subject_type="dossier", subject_id=dossier.id,
                     actor=person, on_behalf_of=dossier.citizen, consent=consent, at=now,
                     details={"shipment_number": dossier.shipment_number, "note": note})
    return dossier
