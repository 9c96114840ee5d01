"""Keeping the lookup store in step with dossiers and shipments (R-19: "status changes are
synchronised to the lookup store as they happen").

Two paths write the same thing:
- production: the integration consumer (issue 8) calls ``apply_event`` for every
  dossier.received, dossier.status_changed and shipment.event_recorded message;
- inline: ``install_inline_sync`` applies the same events in the very transaction that emits them,
  so the store is right even when no broker runs (``make run``) and a citizen who taps the SMS
  link a second after a hand-over sees it.
Both rebuild the record from the source rows rather than patching it with the payload, so applying
an event twice, or two events out of order, gives the same record: the projection is idempotent
by construction, and ``last_event_id`` only says which event touched it last.
A dossier without a record (e.g. just received, before any event) gets one on its first lookup.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timezone

from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.catalogue.models import PostOffice
from postal_gateway.core.config import process_settings
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.dossiers.labels import STATUS_LABELS
from postal_gateway.dossiers.models import DossierStatus, DossierStatusChange
from postal_gateway.dossiers.shipments import find_by_reference
from postal_gateway.lookup.models import LookupRecord
from tracking.models import EventOutcome, ShipmentEvent
from tracking.vocabulary import EVENTS, EventType

log = logging.getLogger(__name__)

#: integration events that change what the public may see
RELEVANT = frozenset({"dossier.submitted", "dossier.received", "dossier.status_changed", "shipment.event_recorded"})

_hash_key: bytes | None = None


def configure_hash_key(secret: str) -> None:
    """The key of the ID-number hash (the app's secret key, set when the blueprint registers)."""
    global _hash_key
    _hash_key = hashlib.sha256(b"lookup-id-number:" + secret.encode()).digest()


def _key() -> bytes:
    if _hash_key is None:  # a worker process: no lookup blueprint registered it
        configure_hash_key(process_settings().secret_key)
    return _hash_key  # type: ignore[return-value]


def id_number_hash(id_number: str) -> str:
    """HMAC-SHA256 of a normalised ID number (digits, or an upper-case passport number)."""
    cleaned = "".join(ch for ch in (id_number or "") if ch.isalnum()).upper()
    return hmac.new(_key(), cleaned.encode(), hashlib.sha256).hexdigest()


def _timeline(session: Session, dossier) -> list[dict]:
    """Status changes and accepted shipment events in time order, "returned" last (Điều 25.2: the result is
    returned when the post delivers it, after it received it). The delivery event and the status change it
    caused say the same thing: the event, which names its post office, is kept."""
    items: list[tuple] = []
    delivered = session.scalar(
        select(ShipmentEvent.id).where(ShipmentEvent.dossier_id == dossier.id,
                                       ShipmentEvent.outcome == EventOutcome.accepted,
                                       ShipmentEvent.event_type == EventType.delivered.value).limit(1)
    ) is not None
    for change in session.scalars(
        select(DossierStatusChange).where(DossierStatusChange.dossier_id == dossier.id)
    ):
        is_returned = change.to_status == DossierStatus.returned
        if is_returned and delivered and (change.details or {}).get("via") == "delivery":
            continue
        items.append((is_returned, change.at, STATUS_LABELS.get(change.to_status, str(change.to_status)), ""))
    rows = session.execute(
        select(ShipmentEvent.occurred_at, ShipmentEvent.event_type, PostOffice.name)
        .outerjoin(PostOffice, PostOffice.code == ShipmentEvent.post_office_code)
        .where(ShipmentEvent.dossier_id == dossier.id, ShipmentEvent.outcome == EventOutcome.accepted)
    ).all()
    for at, kind, office_name in rows:
        place = office_name or ""
        if kind == EventType.handed_to_agency.value:
            place = dossier.agency.name
        items.append((kind == EventType.delivered.value, at, EVENTS[EventType(kind)].label, place))
    items.sort(key=lambda item: (item[0], item[1]))
    return [{"at": at.isoformat(), "label": label, "place": place} for _, at, label, place in items]


def record_new_dossier(session: Session, dossier, *, citizen, procedure, agency, changes: list, events: list,
                       office_names: dict[str, str], integration_events: list) -> LookupRecord:
    """The lookup record of a dossier made in this very transaction (intake), written once from what the
    caller holds: its status changes and accepted shipment events (R-19), no read back of the rows just
    written. The integration events the caller emitted for it are marked as projected, so the inline
    sync does not rebuild the record at the flush (the consumer's later rebuild gives the same record)."""
    items = [(change.to_status == DossierStatus.returned, change.at,
              STATUS_LABELS.get(change.to_status, str(change.to_status)), "") for change in changes]
    for event in events:
        place = agency.name if event.event_type == EventType.handed_to_agency.value else \
            office_names.get(event.post_office_code or "", "")
        items.append((event.event_type == EventType.delivered.value, event.occurred_at,
                      EVENTS[EventType(event.event_type)].label, place))
    items.sort(key=lambda item: (item[0], item[1]))
    record = LookupRecord(
        dossier_id=dossier.id, code=dossier.code, shipment_number=dossier.shipment_number,
        submitted_at=dossier.submitted_at, agency_name=agency.name,
        processing_department=(procedure.processing_department or "") if procedure else "",
        organisation_name=dossier.organisation_name or "", applicant_name=citizen.full_name if citizen else "",
        received_at=dossier.received_at, appointment_date=dossier.appointment_date,
        status=getattr(dossier.status, "value", dossier.status), supplements=[],
        timeline=[{"at": at.isoformat(), "label": label, "place": place} for _, at, label, place in items],
        id_number_hash=id_number_hash(citizen.id_number) if citizen and citizen.id_number else "",
        last_event_id=integration_events[-1].event_id if integration_events else "",
    )
    session.add(record)
    session.info.setdefault("lookup_projected", set()).update(event.event_id for event in integration_events)
    return record


def refresh_record(session: Session, dossier, *, event_id: str = "", supplements: list[str] | None = None):
    """Rebuild the dossier's lookup record from the source rows; returns it (flushed later)."""
    with session.no_autoflush:
        return _refresh(session, dossier, event_id=event_id, supplements=supplements)


def _refresh(session: Session, dossier, *, event_id: str, supplements: list[str] | None):
    # Everything is read first, so a failure leaves no half-filled record in the session.
    record = next(
        (obj for obj in session.new if isinstance(obj, LookupRecord) and obj.dossier_id == dossier.id), None
    ) or session.scalar(select(LookupRecord).where(LookupRecord.dossier_id == dossier.id))
    citizen = dossier.citizen
    procedure = dossier.procedure
    status = getattr(dossier.status, "value", dossier.status)
    if status == "supplement_requested":
        wanted = [str(item)[:500] for item in (supplements or [])] or [
            str(item.get("name", item)) if isinstance(item, dict) else str(item) for item in (dossier.missing_items or [])
        ]
        wanted = wanted or list(record.supplements or []) if record is not None else wanted
    else:
        wanted = []
    values = {
        "code": dossier.code,
        "shipment_number": dossier.shipment_number,
        "submitted_at": dossier.submitted_at,
        "agency_name": dossier.agency.name,
        "processing_department": (procedure.processing_department or "") if procedure else "",
        "organisation_name": dossier.organisation_name or "",
        "applicant_name": citizen.full_name if citizen else "",
        "received_at": dossier.received_at,
        "appointment_date": dossier.appointment_date,
        "status": status,
        "supplements": wanted,
        "timeline": _timeline(session, dossier),
        "id_number_hash": id_number_hash(citizen.id_number) if citizen and citizen.id_number else "",
    }
    if event_id:
        values["last_event_id"] = event_id
    if record is None:
        record = LookupRecord(dossier_id=dossier.id, **values)
        session.add(record)
    else:
        for name, value in values.items():
            if getattr(record, name) != value:
                setattr(record, name, value)
    return record


def _dossier_for(session: Session, event: dict):
    payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
    ref = (payload.get("dossier_code") or payload.get("code") or payload.get("shipment_number")
           or event.get("aggregate_id"))
    if not isinstance(ref, str) or not ref or len(ref) > 32:
        return None
    return find_by_reference(session, ref)


def apply_event(session: Session, event: dict) -> None:
    """Bring the lookup store in step with one integration event; idempotent, order-insensitive.

    ``event`` is the published message: event_id, event_type, aggregate_type, aggregate_id,
    payload. Other event types are ignored. The caller commits (with its idempotency row)."""
    if not isinstance(event, dict) or event.get("event_type") not in RELEVANT:
        return
    dossier = _dossier_for(session, event)
    if dossier is None:
        log.info("lookup: event %s names no known dossier", event.get("event_id"))
        return
    payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
    reasons = payload.get("reasons") if isinstance(payload.get("reasons"), list) else None
    refresh_record(session, dossier, event_id=str(event.get("event_id") or "")[:64], supplements=reasons)


# --- inline path ---------------------------------------------------------------------------------

def _collect(session: Session, _context) -> None:
    projected = session.info.get("lookup_projected") or set()
    pending = [obj for obj in session.new if isinstance(obj, IntegrationEvent) and obj.event_type in RELEVANT
               and obj.event_id not in projected]
    projected.difference_update(obj.event_id for obj in session.new if isinstance(obj, IntegrationEvent))
    if pending:
        session.info.setdefault("lookup_pending", []).extend(pending)


def _apply_pending(session: Session, _context) -> None:
    pending = session.info.pop("lookup_pending", None)
    if not pending:
        return
    # one rebuild per dossier is enough: it reads every source row
    latest: dict[str, object] = {}
    by_dossier: dict[str, list] = {}
    for item in pending:
        latest[item.aggregate_id] = item
        by_dossier.setdefault(item.aggregate_id, []).append(item)
    for aggregate_id, item in latest.items():
        try:
            if _append_shipment_events(session, by_dossier[aggregate_id]):
                continue
        except Exception:  # noqa: BLE001 - the read model must never break the use case
            log.exception("lookup: appending %s failed; rebuilding the record", item.event_id)
        message = {
            "event_id": item.event_id,
            "event_type": item.event_type,
            "aggregate_type": item.aggregate_type,
            "aggregate_id": item.aggregate_id,
            "payload": item.payload,
        }
        try:
            apply_event(session, message)
        except Exception:  # noqa: BLE001 - the read model must never break the use case
            log.exception("lookup: inline projection of %s failed; the consumer will retry", item.event_id)


def _append_shipment_events(session: Session, items: list) -> bool:
    """The inline path's shortcut for a handheld batch: shipment events later than everything the record's
    timeline shows are appended to it, without reading the dossier's whole history again (a batch costs the
    same on a long history). Anything else (a status change, a delivery, an event placed inside the
    timeline, no record yet) returns False and the record is rebuilt; the consumer's path always rebuilds."""
    if any(item.event_type != "shipment.event_recorded" for item in items):
        return False
    payloads = [item.payload if isinstance(item.payload, dict) else {} for item in items]
    if any(payload.get("type") not in EventType._value2member_map_ or payload.get("type") == EventType.delivered.value
           for payload in payloads):
        return False
    dossier = _dossier_for(session, {"payload": payloads[0], "aggregate_id": items[0].aggregate_id})
    if dossier is None or getattr(dossier.status, "value", dossier.status) == DossierStatus.returned.value:
        return False
    record = session.scalar(select(LookupRecord).where(LookupRecord.dossier_id == dossier.id))
    if record is None or not record.timeline:
        return False
    try:
        moments = [datetime.fromisoformat(payload["occurred_at"]) for payload in payloads]
        shown_last = datetime.fromisoformat(record.timeline[-1]["at"])
    except (KeyError, TypeError, ValueError):
        return False
    if min(moments) < shown_last:
        return False
    codes = {payload.get("post_office_code") for payload in payloads if payload.get("post_office_code")}
    names = dict(session.execute(select(PostOffice.code, PostOffice.name).where(PostOffice.code.in_(codes))).all()) \
        if codes else {}
    added = []
    for moment, payload in sorted(zip(moments, payloads), key=lambda pair: pair[0]):
        kind = EventType(payload["type"])
        place = (dossier.agency.name if kind == EventType.handed_to_agency
                 else names.get(payload.get("post_office_code"), ""))
        added.append({"at": moment.astimezone(timezone.utc).isoformat(), "label": EVENTS[kind].label,
                      "place": place or ""})
    record.timeline = [*record.timeline, *added]
    record.last_event_id = str(items[-1].event_id)[:64]
    return True


def install_inline_sync() -> None:
    """Apply relevant integration events to the lookup store in the transaction that emits them
    (postal_gateway.bootstrap calls it once per process)."""
    if not orm_event.contains(Session, "after_flush", _collect):
        orm_event.listen(Session, "after_flush", _collect)
        orm_event.listen(Session, "after_flush_postexec", _apply_pending)
