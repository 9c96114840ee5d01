"""Use cases of the tracking area that other areas call; no Flask here, the caller commits.

- ``open_forward_leg``: intake (pickup) of a postal dossier starts its forward leg and clock;
- ``record_handover_to_agency``: the one-stop officer signs for the paper dossier (workbench);
- ``open_return_leg``: the result is available for a postal dossier: the 24-hour clock starts (it lives in
  ``tracking.ingestion``, beside the derivation it runs; the workbench reaches it through the
  ``ResultHandedToPost`` event, ``tracking.reactions``);
- ``return_plan``: the two clocks a result would have if it were ready now (Điều 25.2, 22.5), for the workbench;
- the list of open compensation cases; their workflow (propose, approve, pay) is ``tracking.compensation``.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.models import Leg
from postal_gateway.accounts.models import User
from postal_gateway.core.outbox import emit
from postal_gateway.dossiers.models import Channel, CollectionPlace, Dossier
from tracking import ingestion
from tracking.compensation import approve_compensation, get_compensation, pay_compensation, propose_compensation
from tracking.ingestion import fingerprint_of, open_return_leg
from tracking.models import (
    CompensationCase,
    CompensationStatus,
    EventOutcome,
    LegState,
    ShipmentEvent,
    ShipmentLeg,
)
from tracking.sla import ReturnPlan, forward_due, return_plan
from tracking.vocabulary import EventType, next_state


def leg_of(session: Session, dossier: Dossier, kind: Leg) -> ShipmentLeg | None:
    return session.scalar(select(ShipmentLeg).where(ShipmentLeg.dossier_id == dossier.id, ShipmentLeg.kind == kind))


def legs_of(session: Session, dossier: Dossier) -> list[ShipmentLeg]:
    return list(session.scalars(select(ShipmentLeg).where(ShipmentLeg.dossier_id == dossier.id).order_by(ShipmentLeg.id)))


def _system_event(session: Session, *, dossier: Dossier, actor: User | None, raw: dict, at: datetime) -> None:
    """Record an event the server itself knows happened (no device clock limits apply)."""
    ingestion.record_events(session, actor=actor, events=[raw], now=at, dossier_code=dossier.code or dossier.shipment_number, trusted=True)


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
    existing = leg_of(session, dossier, Leg.forward)
    if existing is not None and existing.started_at is not None:
        return existing
    kind = EventType.picked_up if dossier.collection_place == CollectionPlace.citizen_address else EventType.accepted_at_office
    code = _office_code(dossier, post_office)
    raw = {"event_id": f"intake:{dossier.code or dossier.shipment_number}", "type": kind.value, "occurred_at": picked_up_at.isoformat(),
           "recorded_at": picked_up_at.isoformat()}
    if code:
        raw["post_office_code"] = code
    _system_event(session, dossier=dossier, actor=actor, raw=raw, at=picked_up_at)
    return leg_of(session, dossier, Leg.forward)


def open_new_forward_leg(session: Session, *, dossier: Dossier, picked_up_at: datetime, post_office,
                         actor: User | None) -> ShipmentLeg | None:
    """The forward leg of a dossier made in this very transaction (intake), opened with one insert each of
    the leg, its first event and that event's integration event, and no read of its history: there is
    none yet. The leg, event and clock are those ``open_forward_leg`` would derive through the event
    ingestion (R-17: the clock runs from pickup to pickup + the contract's full-trip time, else the default).
    Nothing is flushed here: the caller's next flush writes them with the rest of the intake."""
    if dossier.channel != Channel.postal:
        return None
    if picked_up_at.tzinfo is None:
        raise ValueError("picked_up_at must be timezone-aware")
    kind = EventType.picked_up if dossier.collection_place == CollectionPlace.citizen_address else EventType.accepted_at_office
    code = _office_code(dossier, post_office)
    reference = dossier.code or dossier.shipment_number
    raw = {"event_id": f"intake:{reference}", "type": kind.value, "occurred_at": picked_up_at.isoformat(),
           "recorded_at": picked_up_at.isoformat()}
    if code:
        raw["post_office_code"] = code
    state = next_state(Leg.forward, LegState.open, kind)
    with session.no_autoflush:  # the rows pending in the caller's transaction go with its next flush
        due = forward_due(session, dossier, picked_up_at, post_office)
    leg = ShipmentLeg(dossier_id=dossier.id, kind=Leg.forward, state=state,
                      post_office_id=(post_office.id if post_office is not None else dossier.post_office_id),
                      zone=due.zone, started_at=picked_up_at, due_at=due.due_at, due_basis=due.basis,
                      last_event_at=picked_up_at)
    event = ShipmentEvent(
        event_id=raw["event_id"], leg=leg, dossier_id=dossier.id, event_type=kind.value, occurred_at=picked_up_at,
        recorded_at=picked_up_at, received_at=picked_up_at, actor_id=actor.id if actor is not None else None,
        post_office_code=code, note="", details={}, outcome=EventOutcome.accepted, rejection_reason="",
        fingerprint=fingerprint_of(raw),
    )
    session.add_all([leg, event])
    emit(session, "shipment.event_recorded", aggregate_type="dossier", aggregate_id=reference, occurred_at=picked_up_at,
         payload={"dossier_code": reference, "event_id": event.event_id, "leg": Leg.forward.value, "type": kind.value,
                  "occurred_at": picked_up_at.isoformat(), "post_office_code": code, "leg_state": state.value})
    return leg


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
    leg = leg_of(session, dossier, Leg.forward)
    if leg is None or leg.started_at is None:
        open_forward_leg(session, dossier=dossier, picked_up_at=min(dossier.entered_at, at))
    raw = {
        "event_id": f"handover:{dossier.code or dossier.shipment_number}",
        "type": EventType.handed_to_agency.value,
        "occurred_at": at.isoformat(),
        "recorded_at": at.isoformat(),
        "leg": Leg.forward.value,
        "details": {"officer_id": officer.id, "officer_name": officer.full_name[:255]},
    }
    _system_event(session, dossier=dossier, actor=officer, raw=raw, at=at)
    return leg_of(session, dossier, Leg.forward)


# --- compensation: the four-eyes workflow lives in tracking.compensation -----------------


def open_compensations(session: Session, *, post_office_id: int | None = None) -> list[CompensationCase]:
    query = select(CompensationCase).where(
        CompensationCase.status.in_((CompensationStatus.open, CompensationStatus.proposed, CompensationStatus.approved))
    ).order_by(CompensationCase.opened_at)
    if post_office_id is not None:
        query = query.join(ShipmentLeg, ShipmentLeg.id == CompensationCase.leg_id).where(
            ShipmentLeg.post_office_id == post_office_id
        )
    return list(session.scalars(query))


__all__ = [
    "approve_compensation",
    "get_compensation",
    "leg_of",
    "legs_of",
    "open_forward_leg",
    "open_new_forward_leg",
    "open_return_leg",
    "pay_compensation",
    "propose_compensation",
    "record_handover_to_agency",
    "return_plan",
    "ReturnPlan",
]
