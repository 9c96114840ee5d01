"""Use cases of the tracking area that other areas call; no Flask here, the caller commits.

- ``open_forward_leg``: intake (pickup) of a postal dossier starts its forward leg and clock;
- ``record_handover_to_agency``: the one-stop officer signs for the paper dossier (workbench);
- ``open_return_leg``: the result is available for a postal dossier: the 24-hour clock starts;
- compensation workflow for lost dossiers (R-16): approve (with the costs shown), pay, redo.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import POST_OFFICE_ROLES, Role, User
from postal_gateway.db import utcnow
from postal_gateway.domain import N_, Conflict, Forbidden, InvalidInput, NotFound
from postal_gateway.dossiers.models import Channel, CollectionPlace, Dossier
from tracking import ingestion, sla
from tracking.models import (
    CompensationCase,
    CompensationStatus,
    LegKind,
    ShipmentLeg,
)
from tracking.vocabulary import EventType

MAX_COMPENSATION_COSTS_VND = 1_000_000_000


def leg_of(session: Session, dossier: Dossier, kind: LegKind) -> ShipmentLeg | None:
    return session.scalar(select(ShipmentLeg).where(ShipmentLeg.dossier_id == dossier.id, ShipmentLeg.kind == kind))


def legs_of(session: Session, dossier: Dossier) -> list[ShipmentLeg]:
    return list(session.scalars(select(ShipmentLeg).where(ShipmentLeg.dossier_id == dossier.id).order_by(ShipmentLeg.id)))


def _system_event(session: Session, *, dossier: Dossier, actor: User | None, raw: dict, at: datetime) -> None:
    """Record an event the server itself knows happened (no device clock limits apply)."""
    ingestion.record_events(session, actor=actor, events=[raw], now=at, dossier_code=dossier.code, trusted=True)


def _office_code(dossier: Dossier, post_office) -> str:
    office = post_office or dossier.post_office
    return office.code if office is not None else ""


def open_forward_leg(session: Session, *, dossier: Dossier, picked_up_at: datetime, post_office=None,
                     actor: User | None = None) -> ShipmentLeg | None:
    """Start a postal dossier's forward leg at pickup; idempotent (a second call returns the leg).

    Collected at the citizen's address: a "picked up" event; at a post office: "accepted at post
    office". The clock runs from then to then + the contract's full-trip time. Dossiers not
    collected by post have no leg (None).
    """
    if dossier.channel != Channel.postal:
        return None
    if picked_up_at.tzinfo is None:
        raise ValueError("picked_up_at must be timezone-aware")
    existing = leg_of(session, dossier, LegKind.forward)
    if existing is not None and existing.started_at is not None:
        return existing
    kind = EventType.picked_up if dossier.collection_place == CollectionPlace.citizen_address else EventType.accepted_at_office
    code = _office_code(dossier, post_office)
    raw = {"event_id": f"intake:{dossier.code}", "type": kind.value, "occurred_at": picked_up_at.isoformat(),
           "recorded_at": picked_up_at.isoformat()}
    if code:
        raw["post_office_code"] = code
    _system_event(session, dossier=dossier, actor=actor, raw=raw, at=picked_up_at)
    return leg_of(session, dossier, LegKind.forward)


def record_handover_to_agency(session: Session, *, dossier: Dossier, officer: User, at: datetime) -> ShipmentLeg | None:
    """The one-stop officer signed for the paper dossier: the forward leg ends (its final event).

    A postal dossier whose forward leg was never opened gets one from its entry time first, so the
    hand-over is never lost. Idempotent per dossier. Not a postal dossier: nothing to do (None).
    If the hand-over does not fit the leg's history (e.g. the leg is marked lost), the event is
    kept as rejected for audit and the leg is returned unchanged.
    """
    if dossier.channel != Channel.postal:
        return None
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    leg = leg_of(session, dossier, LegKind.forward)
    if leg is None or leg.started_at is None:
        open_forward_leg(session, dossier=dossier, picked_up_at=min(dossier.entered_at, at))
    raw = {
        "event_id": f"handover:{dossier.code}",
        "type": EventType.handed_to_agency.value,
        "occurred_at": at.isoformat(),
        "recorded_at": at.isoformat(),
        "leg": LegKind.forward.value,
        "details": {"officer_id": officer.id, "officer_name": officer.full_name[:255]},
    }
    _system_event(session, dossier=dossier, actor=officer, raw=raw, at=at)
    return leg_of(session, dossier, LegKind.forward)


def open_return_leg(session: Session, *, dossier: Dossier, result_available_at: datetime) -> ShipmentLeg | None:
    """The result is available for a postal dossier: open the return leg, due 24 clock hours later
    (or the contract's shorter time). Idempotent. Not a postal dossier: None."""
    if dossier.channel != Channel.postal:
        return None
    if result_available_at.tzinfo is None:
        raise ValueError("result_available_at must be timezone-aware")
    leg = leg_of(session, dossier, LegKind.return_)
    if leg is None:
        leg = ingestion.create_leg(session, dossier, LegKind.return_, post_office_id=dossier.post_office_id)
    if leg.started_at is None:
        due = sla.return_due(session, dossier, result_available_at)
        leg.started_at, leg.due_at, leg.due_basis = result_available_at, due.due_at, due.basis
        session.flush()
        ingestion.derive(session, leg)
    return leg


# --- compensation (R-16) -----------------------------------------------------------------------


def _require_manager(actor: User | None) -> None:
    if actor is None or not actor.is_active or actor.role not in (*POST_OFFICE_ROLES, Role.operator):
        raise Forbidden(N_("Chỉ bưu điện mới xử lý bồi thường."))


def get_compensation(session: Session, case_id) -> CompensationCase:
    case = session.get(CompensationCase, case_id) if isinstance(case_id, int) and 0 < case_id < 2**31 else None
    if case is None:
        raise NotFound(N_("Không tìm thấy hồ sơ bồi thường."))
    return case


def approve_compensation(session: Session, case_id: int, *, actor: User, costs_vnd, note: str = "",
                         now: datetime | None = None) -> CompensationCase:
    """The post checks the amounts: fee and postage in full plus the other costs the citizen shows."""
    _require_manager(actor)
    case = get_compensation(session, case_id)
    if case.status != CompensationStatus.open:
        raise Conflict(N_("Chỉ duyệt được hồ sơ bồi thường đang mở."))
    if not isinstance(costs_vnd, int) or isinstance(costs_vnd, bool) or not 0 <= costs_vnd <= MAX_COMPENSATION_COSTS_VND:
        raise InvalidInput.on_field("costs_vnd", N_("Chi phí khác phải là số nguyên không âm (VNĐ)."))
    if not isinstance(note, str) or len(note) > 1000:
        raise InvalidInput.on_field("note", N_("Ghi chú tối đa 1000 ký tự."))
    case.costs_vnd = costs_vnd
    case.note = note.strip()
    case.status = CompensationStatus.approved
    case.decided_at = now or utcnow()
    case.decided_by_id = actor.id
    session.flush()
    return case


def pay_compensation(session: Session, case_id: int, *, actor: User, payment_reference: str,
                     redo_arranged: bool = False, now: datetime | None = None) -> CompensationCase:
    """Record the payment to the citizen (and that the agency was asked to redo the dossier)."""
    _require_manager(actor)
    case = get_compensation(session, case_id)
    if case.status != CompensationStatus.approved:
        raise Conflict(N_("Chỉ chi trả được hồ sơ bồi thường đã duyệt."))
    reference = payment_reference.strip() if isinstance(payment_reference, str) else ""
    if not reference or len(reference) > 64:
        raise InvalidInput.on_field("payment_reference", N_("Cần số chứng từ chi trả (tối đa 64 ký tự)."))
    case.payment_reference = reference
    case.redo_arranged = bool(redo_arranged)
    case.status = CompensationStatus.paid
    case.paid_at = now or utcnow()
    session.flush()
    return case


def open_compensations(session: Session, *, post_office_id: int | None = None) -> list[CompensationCase]:
    query = select(CompensationCase).where(
        CompensationCase.status.in_((CompensationStatus.open, CompensationStatus.approved))
    ).order_by(CompensationCase.opened_at)
    if post_office_id is not None:
        query = query.join(ShipmentLeg, ShipmentLeg.id == CompensationCase.leg_id).where(
            ShipmentLeg.post_office_id == post_office_id
        )
    return list(session.scalars(query))


__all__ = [
    "approve_compensation",
    "leg_of",
    "legs_of",
    "open_forward_leg",
    "open_return_leg",
    "pay_compensation",
    "record_handover_to_agency",
]
