"""Events from handhelds: one or a batch, each judged on its own.

- an event id seen before is acknowledged ("duplicate"), never stored twice; the same id with
  different content is refused;
- events are placed by the time they happened, and the leg's state is what replaying its events in
  that order gives, so a late upload can neither regress nor skip the state: events later than the
  leg's whole history advance its stored state (a batch costs the same on a long history), an
  event placed inside the history replays it;
- an event impossible at its place in the history is stored with outcome "rejected" and the
  reason, for audit, and reported back; it does not count;
- malformed events (bad time, clock far in the future or past, coordinates out of range, missing
  facts) are reported per field and not stored.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts.models import Leg
from contracts.services import dossier_contract
from postal_gateway.accounts.models import User
from postal_gateway.catalogue.models import PostOffice
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_, FieldError, InvalidInput
from postal_gateway.core.domain_events import DomainEvent, record
from postal_gateway.core.outbox import emit
from postal_gateway.dossiers.models import Channel, Dossier, DossierStatus, DossierStatusChange
from postal_gateway.dossiers.shipments import find_by_reference, reference_in
from tracking import sla
from tracking.custody import HANDOVER_DETAIL, may_record
from tracking.models import (
    FINAL_STATES,
    CompensationCase,
    CompensationStatus,
    EventOutcome,
    LegState,
    ShipmentEvent,
    ShipmentLeg,
)
from tracking.vocabulary import EVENTS, STATE_LABELS, EventType, impossibility, next_state

MAX_BATCH = 200
#: a device clock ahead of ours by more than this is wrong
MAX_FUTURE_SKEW = timedelta(minutes=10)
#: events older than this are refused: no handheld stays offline that long
MAX_AGE = timedelta(days=30)
EVENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")
NOTE_MAX = 1000
TEXT_MAX = 255
#: a signature or photo travels as a data URL; bigger files go through the document store
PROOF_MAX = 300_000
DETAIL_KEYS = {"officer_name", "officer_id", "recipient_name", "id_checked", "proof", "reason", HANDOVER_DETAIL}


@dataclass
class EventResult:
    """What happened to one event of a request."""

    event_id: str
    #: accepted | duplicate | rejected | invalid | forbidden (the actor's office does not hold the leg)
    status: str
    reason: str = ""
    params: dict = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    leg_state: str | None = None
    dossier_code: str = ""


@dataclass
class _Parsed:
    event_id: str
    type: EventType
    occurred_at: datetime
    recorded_at: datetime
    post_office_code: str
    latitude: float | None
    longitude: float | None
    note: str
    details: dict
    fingerprint: str
    leg: Leg | None


# --- parsing ------------------------------------------------------------------------------------


def parse_time(value, field_name: str, errors: list[FieldError]) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and 0 < len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            errors.append(FieldError(field_name, N_("Thời điểm phải theo ISO 8601, ví dụ 2026-01-05T08:30:00+07:00.")))
            return None
    else:
        errors.append(FieldError(field_name, N_("Thời điểm phải theo ISO 8601, ví dụ 2026-01-05T08:30:00+07:00.")))
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        errors.append(FieldError(field_name, N_("Thời điểm phải ghi múi giờ (ví dụ +07:00).")))
        return None
    return moment


def _number(value, field_name: str, low: float, high: float, errors: list[FieldError]) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:
        errors.append(
            FieldError(field_name, N_("%(field)s phải là số từ %(low)s đến %(high)s."),
                       {"field": field_name, "low": low, "high": high})
        )
        return None
    return number


def _clean_text(value, field_name: str, limit: int, errors: list[FieldError]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.append(FieldError(field_name, N_("%(field)s phải là chuỗi ký tự."), {"field": field_name}))
        return ""
    text = value.strip()
    if len(text) > limit or any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        errors.append(
            FieldError(field_name, N_("%(field)s quá dài (tối đa %(limit)s ký tự) hoặc có ký tự điều khiển."),
                       {"field": field_name, "limit": limit})
        )
        return ""
    return text


def fingerprint_of(raw: dict) -> str:
    """sha256 of the event as sent, minus nothing: a resend carries exactly the same content."""
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def parse_event(raw, *, now: datetime, trusted: bool = False) -> _Parsed:
    """Check one event; InvalidInput naming every bad field at once."""
    if not isinstance(raw, dict):
        raise InvalidInput.on_field("event", N_("Mỗi sự kiện phải là một đối tượng JSON."))
    errors: list[FieldError] = []
    event_id = raw.get("event_id")
    if not isinstance(event_id, str) or not EVENT_ID_PATTERN.match(event_id):
        errors.append(FieldError("event_id", N_("Mã sự kiện do thiết bị tạo: 8–64 ký tự chữ, số, . _ : -")))
        event_id = ""
    try:
        kind = EventType(raw.get("type"))
    except ValueError:
        errors.append(FieldError("type", N_("Loại sự kiện không hợp lệ.")))
        kind = None
    occurred_at = parse_time(raw.get("occurred_at"), "occurred_at", errors)
    recorded_raw = raw.get("recorded_at")
    recorded_at = parse_time(recorded_raw, "recorded_at", errors) if recorded_raw is not None else now
    for name, moment in (("occurred_at", occurred_at), ("recorded_at", recorded_at)):
        if moment is None or trusted:
            continue
        if moment > now + MAX_FUTURE_SKEW:
            errors.append(FieldError(name, N_("Đồng hồ thiết bị đang chạy trước giờ thực: thời điểm nằm ở tương lai.")))
        elif moment < now - MAX_AGE:
            errors.append(FieldError(name, N_("Thời điểm quá xa trong quá khứ (hơn 30 ngày): kiểm tra đồng hồ thiết bị.")))
    if occurred_at and recorded_at and recorded_at < occurred_at - MAX_FUTURE_SKEW:
        errors.append(FieldError("recorded_at", N_("Thời điểm ghi không thể trước thời điểm xảy ra.")))
    office = _clean_text(raw.get("post_office_code"), "post_office_code", 16, errors)
    latitude = _number(raw.get("latitude"), "latitude", -90, 90, errors)
    longitude = _number(raw.get("longitude"), "longitude", -180, 180, errors)
    if (latitude is None) != (longitude is None) and not any(e.field in ("latitude", "longitude") for e in errors):
        errors.append(FieldError("longitude" if longitude is None else "latitude", N_("Cần đủ cả vĩ độ và kinh độ.")))
    if not trusted and not office and latitude is None and longitude is None and not any(
        e.field in ("latitude", "longitude", "post_office_code") for e in errors
    ):
        errors.append(FieldError("post_office_code", N_("Cần mã bưu cục hoặc toạ độ nơi xảy ra sự kiện.")))
    note = _clean_text(raw.get("note"), "note", NOTE_MAX, errors)
    details = _details(raw.get("details"), kind, errors)
    leg = None
    if raw.get("leg") is not None:
        try:
            leg = Leg(raw.get("leg"))
        except ValueError:
            errors.append(FieldError("leg", N_("Chặng phải là forward hoặc return.")))
    if errors:
        raise InvalidInput(N_("Sự kiện không hợp lệ."), field_errors=errors)
    return _Parsed(event_id, kind, occurred_at, recorded_at, office, latitude, longitude, note, details,
                   fingerprint_of(raw), leg)


def _details(raw, kind: EventType | None, errors: list[FieldError]) -> dict:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        errors.append(FieldError("details", N_("Chi tiết sự kiện phải là một đối tượng.")))
        return {}
    details: dict = {}
    for key, value in raw.items():
        if key not in DETAIL_KEYS:
            errors.append(FieldError(f"details.{key}", N_("Chi tiết không được hỗ trợ: %(key)s."), {"key": str(key)[:40]}))
        elif key == "id_checked":
            if not isinstance(value, bool):
                errors.append(FieldError("details.id_checked", N_("Cần ghi đã kiểm tra giấy tờ tùy thân (true/false).")))
            details[key] = value
        elif key == "officer_id":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
                errors.append(FieldError("details.officer_id", N_("Mã cán bộ không hợp lệ.")))
            details[key] = value
        elif key == HANDOVER_DETAIL:
            if kind is not None and kind != EventType.dispatched:
                errors.append(FieldError(f"details.{key}", N_("Chỉ sự kiện 'đã chuyển đi' mới ghi bưu cục nhận.")))
            details[key] = _clean_text(value, f"details.{key}", 16, errors)
        elif key == "proof":
            if not isinstance(value, str) or len(value) > PROOF_MAX or not value.startswith("data:image/"):
                errors.append(FieldError("details.proof", N_("Chữ ký hoặc ảnh phải là ảnh (data:image/…) dưới 300 KB.")))
            details[key] = value
        else:
            details[key] = _clean_text(value, f"details.{key}", TEXT_MAX, errors)
    if kind is not None:
        for key in EVENTS[kind].required:
            if key == "officer_name" and details.get("officer_id"):
                continue
            if key == "id_checked":
                if details.get("id_checked") is not True:
                    errors.append(FieldError("details.id_checked", N_("Phải kiểm tra giấy tờ tùy thân của người nhận.")))
            elif not details.get(key):
                errors.append(FieldError(f"details.{key}", N_("Thiếu thông tin bắt buộc: %(key)s."), {"key": key}))
    return details


# --- placing events on legs --------------------------------------------------------------------


def _current_leg(session: Session, dossier: Dossier, kind: Leg | None) -> ShipmentLeg | None:
    legs = {leg.kind: leg for leg in session.scalars(select(ShipmentLeg).where(ShipmentLeg.dossier_id == dossier.id))}
    if kind is not None:
        return legs.get(kind)
    return legs.get(Leg.return_) or legs.get(Leg.forward)


def _office(session: Session, code: str) -> PostOffice | None:
    return session.scalar(select(PostOffice).where(PostOffice.code == code)) if code else None


def create_leg(session: Session, dossier: Dossier, kind: Leg, *, post_office_id: int | None) -> ShipmentLeg:
    """A new leg, or the one another request made a moment ago (the unique key decides)."""
    try:
        with session.begin_nested():
            leg = ShipmentLeg(dossier_id=dossier.id, kind=kind, state=LegState.open, post_office_id=post_office_id)
            session.add(leg)
            session.flush()
    except IntegrityError:
        return session.scalar(
            select(ShipmentLeg).where(ShipmentLeg.dossier_id == dossier.id, ShipmentLeg.kind == kind)
        )
    # Events refused earlier because this leg did not exist yet are replayed with it.
    fitting = [t.value for t, info in EVENTS.items() if info.leg in (kind, None)]
    waiting = session.execute(
        update(ShipmentEvent)
        .where(ShipmentEvent.dossier_id == dossier.id, ShipmentEvent.leg_id.is_(None),
               ShipmentEvent.event_type.in_(fitting))
        .values(leg_id=leg.id)
        .execution_options(synchronize_session=False)
    )
    replay = session.info.get("tracking_replay_legs")
    if waiting.rowcount and replay is not None:
        replay.add(leg.id)
    return leg


def _judge(leg: ShipmentLeg, state: LegState, event: ShipmentEvent) -> LegState | None:
    """Where ``event`` takes a leg in ``state``: the next state, or None (the event is set rejected with its reason)."""
    kind = EventType(event.event_type)
    reason = ""
    target = next_state(leg.kind, state, kind)
    if leg.kind == Leg.return_ and leg.started_at is not None and event.occurred_at < leg.started_at:
        target, reason = None, N_("Sự kiện xảy ra trước khi có kết quả; kiểm tra đồng hồ thiết bị.")
    if target is None:
        event.outcome = EventOutcome.rejected
        event.rejection_reason = reason or impossibility(leg.kind, state, kind)
        return None
    event.outcome, event.rejection_reason = EventOutcome.accepted, ""
    return target


def _ordering(event: ShipmentEvent) -> tuple:
    return (event.occurred_at, event.recorded_at, event.id)


def derive(session: Session, leg: ShipmentLeg, fresh: list[ShipmentEvent] | None = None) -> list[ShipmentEvent]:
    """Set the outcomes of the leg's events and the leg's state, as if its events were replayed in the order
    they happened.

    ``fresh``: the events this batch stored on the leg. When every one of them happened after every event
    already on the leg (a handheld uploading as it goes, the usual case), they are judged from the leg's stored
    state and nothing else is read: the cost of a batch does not grow with the leg's history. An event placed
    earlier than one already stored (a late upload) replays the whole history, so it can neither regress nor
    skip the state. Returns the events newly counted: accepted now but not before (new, or fitting at last)."""
    # One derivation of a leg at a time: the leg row is the lock (and its stored state is read under it).
    session.execute(select(ShipmentLeg).where(ShipmentLeg.id == leg.id).with_for_update()
                    .execution_options(populate_existing=True))
    # legs replayed earlier in this batch (a return leg opened from the forward leg's hand-over) already judged
    # their fresh events, and a new leg may have taken events refused before it existed: such legs are replayed
    replayed = session.info.get("tracking_replay_legs")
    if fresh and replayed is not None and leg.id not in replayed:
        fresh = sorted(fresh, key=_ordering)
        fresh_ids = [event.id for event in fresh]
        latest_before = session.scalar(
            select(ShipmentEvent.occurred_at)
            .where(ShipmentEvent.leg_id == leg.id, ShipmentEvent.id.not_in(fresh_ids))
            .order_by(ShipmentEvent.occurred_at.desc()).limit(1)
        )
        if latest_before is None or fresh[0].occurred_at > latest_before:
            return _advance(session, leg, fresh)
    if replayed is not None:
        replayed.add(leg.id)
    return _replay(session, leg)


def _advance(session: Session, leg: ShipmentLeg, fresh: list[ShipmentEvent]) -> list[ShipmentEvent]:
    """Judge ``fresh`` (ordered, all later than the leg's history) from the leg's stored state."""
    started = leg.started_at if leg.last_event_at is not None else None
    course = _Course(leg.state, started, leg.last_event_at, leg.completed_at)
    counted = course.follow(leg, fresh)
    _store(session, leg, before=leg.state, state=course.state, started=course.started, last=course.last,
           completed=course.completed)
    return counted


@dataclass
class _Course:
    """Where a leg stands as its events are judged one after another, from the stored state or from the start."""

    state: LegState
    started: datetime | None
    last: datetime | None
    completed: datetime | None

    def follow(self, leg: ShipmentLeg, events) -> list[ShipmentEvent]:
        """Judge ``events`` in order; returns those that moved the leg."""
        counted = []
        for event in events:
            target = _judge(leg, self.state, event)
            if target is None:
                continue
            counted.append(event)
            if self.started is None and leg.kind == Leg.forward:
                self.started = event.occurred_at
            self.state, self.last = target, event.occurred_at
            if target in FINAL_STATES:
                self.completed = event.occurred_at
        return counted


def _replay(session: Session, leg: ShipmentLeg) -> list[ShipmentEvent]:
    """Replay the leg's whole history in the order it happened."""
    events = list(
        session.scalars(
            select(ShipmentEvent)
            .where(ShipmentEvent.leg_id == leg.id)
            .order_by(ShipmentEvent.occurred_at, ShipmentEvent.recorded_at, ShipmentEvent.id)
            .execution_options(populate_existing=True)
        )
    )
    counted_before = {event.id for event in events if event.outcome == EventOutcome.accepted and event.leg_id == leg.id
                      and event.id not in _fresh_ids(session)}
    course = _Course(LegState.open, None, None, None)
    course.follow(leg, events)
    _store(session, leg, before=leg.state, state=course.state, started=course.started, last=course.last,
           completed=course.completed)
    return [event for event in events if event.outcome == EventOutcome.accepted and event.id not in counted_before]


def _store(session: Session, leg: ShipmentLeg, *, before: LegState, state: LegState, started, last, completed) -> None:
    leg.state = state
    leg.last_event_at = last
    leg.completed_at = completed
    if leg.kind == Leg.forward and started is not None and started != leg.started_at:
        leg.started_at = started
        due = sla.forward_due(session, leg.dossier, started, leg.post_office)
        leg.due_at, leg.due_basis = due.due_at, due.basis
        leg.zone = due.zone
    if state == LegState.lost and before != LegState.lost:
        open_compensation(session, leg, now=last or utcnow())
    elif before == LegState.lost and state != LegState.lost:
        withdraw_compensation(session, leg, now=last or utcnow())
    session.flush()


def open_return_leg(session: Session, *, dossier: Dossier, result_available_at: datetime) -> ShipmentLeg | None:
    """The result is available for a postal dossier: open the return leg with its two clocks (Điều 25.2, 22.5):
    due at the contract's return-leg zone time, and committed within 24 clock hours (or the contract's
    shorter time). Idempotent. Not a postal dossier: None."""
    if dossier.channel != Channel.postal:
        return None
    if result_available_at.tzinfo is None:
        raise ValueError("result_available_at must be timezone-aware")
    leg = _current_leg(session, dossier, Leg.return_)
    if leg is None:
        leg = create_leg(session, dossier, Leg.return_, post_office_id=dossier.post_office_id)
    if leg.started_at is None:
        plan = sla.return_plan(session, dossier, result_available_at)
        leg.started_at, leg.due_at, leg.due_basis = result_available_at, plan.delivery.due_at, plan.delivery.basis
        leg.commitment_due_at = plan.commitment.due_at
        leg.zone = plan.delivery.zone or leg.zone
        session.flush()
        derive(session, leg)
    return leg


def _fresh_ids(session: Session) -> set[int]:
    """Ids of events stored by the current record_events call (accepted by default until derived)."""
    return session.info.get("tracking_fresh_ids", set())


def open_compensation(session: Session, leg: ShipmentLeg, *, now: datetime) -> CompensationCase:
    """A lost dossier: the post owes every fee and cost (R-16, Điều 25.2). One case per leg."""
    case = session.scalar(select(CompensationCase).where(CompensationCase.leg_id == leg.id))
    dossier = leg.dossier
    terms, cap = "", None
    recorded = dossier_contract(session, dossier.id)
    if recorded is not None:
        terms, cap = recorded.version.compensation_terms, recorded.version.compensation_cap_vnd
    if case is None:
        case = CompensationCase(leg_id=leg.id, dossier_id=dossier.id, opened_at=now)
        session.add(case)
    elif case.status != CompensationStatus.withdrawn:
        return case
    case.status = CompensationStatus.open
    # Lost again after being found: a fresh proposal and a fresh approval are needed.
    case.proposed_by_id = case.proposed_at = case.decided_by_id = case.decided_at = None
    case.fee_vnd = dossier.fee_vnd
    case.postage_vnd = dossier.postage_vnd
    case.contract_terms = terms
    case.cap_vnd = cap
    case.opened_at = now
    session.flush()
    return case


def withdraw_compensation(session: Session, leg: ShipmentLeg, *, now: datetime) -> None:
    case = session.scalar(select(CompensationCase).where(CompensationCase.leg_id == leg.id))
    if case is not None and case.status in (CompensationStatus.open, CompensationStatus.proposed, CompensationStatus.approved):
        case.status = CompensationStatus.withdrawn
        case.decided_at = now
        case.note = (case.note + "\n" if case.note else "") + "found"


# --- the use case ------------------------------------------------------------------------------


def find_dossier(session: Session, code) -> Dossier | None:
    """The dossier a shipment id names: its dossier code, or its shipment number (S10) from the
    moment the post submits it, before the agency has issued a code (Điều 21.1, 14.4)."""
    cleaned = reference_in(code)
    if not cleaned or len(cleaned) > 32:
        return None
    return find_by_reference(session, cleaned)


@dataclass(frozen=True)
class ResultDelivered(DomainEvent):
    """The return leg's "delivered" event was accepted: the citizen has the result (Điều 25.2)."""

    dossier_id: int
    delivered_at: datetime
    actor_id: int | None = None
    recipient_name: str = ""


def record_events(
    session: Session,
    *,
    actor: User | None,
    events: list,
    now: datetime | None = None,
    dossier_code: str | None = None,
    trusted: bool = False,
) -> list[EventResult]:
    """Record a batch from one device; one result per event, in the order sent.

    ``dossier_code`` names the shipment for every event (the API's path); without it each event
    names its own in ``dossier_code`` (the handheld page's offline queue). ``trusted`` is for
    events the server itself witnessed (intake, the officer's signature): no device-clock limits
    and no place required. The caller commits.
    """
    now = now or utcnow()
    if not isinstance(events, list) or not events:
        raise InvalidInput.on_field("events", N_("Cần ít nhất một sự kiện."))
    if len(events) > MAX_BATCH:
        raise InvalidInput.on_field("events", N_("Tối đa %(max)s sự kiện mỗi lần gửi."), max=MAX_BATCH)
    results: list[EventResult] = []
    touched: dict[int, ShipmentLeg] = {}
    fresh: dict[int, ShipmentEvent] = {}
    newly: list[tuple[ShipmentEvent, ShipmentLeg]] = []
    session.info["tracking_replay_legs"] = set()
    try:
        for raw in events:
            result = _record_one(session, raw, actor=actor, now=now, dossier_code=dossier_code,
                                 touched=touched, fresh=fresh, trusted=trusted)
            results.append(result)
        session.info["tracking_fresh_ids"] = set(fresh)
        for leg in touched.values():
            mine = [event for event in fresh.values() if event.leg_id == leg.id]
            newly.extend((event, leg) for event in derive(session, leg, mine))
    finally:
        session.info.pop("tracking_fresh_ids", None)
        session.info.pop("tracking_replay_legs", None)
    by_event_id = {event.event_id: event for event in fresh.values()}
    for result in results:
        event = by_event_id.get(result.event_id)
        if result.status != "pending" or event is None:
            continue
        if event.outcome == EventOutcome.accepted:
            result.status = "accepted"
        else:
            result.status, result.reason = "rejected", event.rejection_reason
            result.params = {"event": event.event_type, "state": touched[event.leg_id].state.value}
        result.leg_state = touched[event.leg_id].state.value
    for event, leg in sorted(newly, key=lambda pair: (pair[0].occurred_at, pair[0].id)):
        _emit(session, event, leg)
        if leg.kind == Leg.return_ and event.event_type == EventType.delivered.value:
            # the dossier's own status follows in this transaction (a reaction subscribed in the bootstrap)
            record(session, ResultDelivered(dossier_id=leg.dossier_id, delivered_at=event.occurred_at,
                                            actor_id=event.actor_id,
                                            recipient_name=str((event.details or {}).get("recipient_name") or "")))
    session.flush()
    return results


def _record_one(session, raw, *, actor, now, dossier_code, touched, fresh, trusted=False) -> EventResult:
    event_id = raw.get("event_id") if isinstance(raw, dict) and isinstance(raw.get("event_id"), str) else ""
    try:
        parsed = parse_event(raw, now=now, trusted=trusted)
    except InvalidInput as refused:
        return EventResult(event_id[:64], "invalid", refused.message, errors=refused.field_errors)
    code = dossier_code if dossier_code is not None else raw.get("dossier_code")
    existing = session.scalar(select(ShipmentEvent).where(ShipmentEvent.event_id == parsed.event_id))
    if existing is not None:
        return _duplicate(existing, parsed)
    dossier = find_dossier(session, code)
    if dossier is None:
        return EventResult(parsed.event_id, "invalid", N_("Không tìm thấy hồ sơ %(code)s."),
                           params={"code": str(code)[:40]},
                           errors=[FieldError("dossier_code", N_("Không tìm thấy hồ sơ %(code)s."), {"code": str(code)[:40]})])
    office = _office(session, parsed.post_office_code)
    if parsed.post_office_code and office is None:
        return EventResult(parsed.event_id, "invalid", N_("Không có bưu cục mã %(code)s."),
                           params={"code": parsed.post_office_code},
                           errors=[FieldError("post_office_code", N_("Không có bưu cục mã %(code)s."), {"code": parsed.post_office_code})],
                           dossier_code=(dossier.code or dossier.shipment_number))
    if dossier.channel != Channel.postal:
        return EventResult(parsed.event_id, "invalid", N_("Hồ sơ %(code)s không nộp qua bưu chính."),
                           params={"code": dossier.code or dossier.shipment_number}, dossier_code=(dossier.code or dossier.shipment_number))
    kind = parsed.leg or EVENTS[parsed.type].leg
    leg = _current_leg(session, dossier, kind)
    if not trusted and not may_record(session, actor, dossier, leg):
        # Nothing is stored: a stranger's event must not even wait for a leg to be replayed on.
        return EventResult(parsed.event_id, "forbidden",
                           N_("Bưu cục của bạn không giữ hồ sơ %(code)s ở chặng này; không thể ghi sự kiện."),
                           params={"code": dossier.code or dossier.shipment_number}, dossier_code=(dossier.code or dossier.shipment_number))
    handed_to = parsed.details.get(HANDOVER_DETAIL)
    if handed_to and _office(session, handed_to) is None:
        return EventResult(parsed.event_id, "invalid", N_("Không có bưu cục mã %(code)s."),
                           params={"code": handed_to},
                           errors=[FieldError(f"details.{HANDOVER_DETAIL}", N_("Không có bưu cục mã %(code)s."),
                                              {"code": handed_to})],
                           dossier_code=(dossier.code or dossier.shipment_number))
    if leg is None and (kind or Leg.forward) == Leg.forward and parsed.type in (
        EventType.picked_up, EventType.accepted_at_office,
    ):
        post_office_id = office.id if office else (actor.post_office_id if actor is not None else None)
        leg = create_leg(session, dossier, Leg.forward, post_office_id=post_office_id or dossier.post_office_id)
    if leg is None and kind == Leg.return_ and parsed.type == EventType.result_handed_to_post:
        leg = _return_leg_from_evidence(session, dossier, parsed.occurred_at)
    event = ShipmentEvent(
        event_id=parsed.event_id,
        leg_id=leg.id if leg is not None else None,
        dossier_id=dossier.id,
        event_type=parsed.type.value,
        occurred_at=parsed.occurred_at,
        recorded_at=parsed.recorded_at,
        received_at=now,
        actor_id=actor.id if actor is not None else None,
        post_office_code=parsed.post_office_code,
        latitude=parsed.latitude,
        longitude=parsed.longitude,
        note=parsed.note,
        details=parsed.details,
        fingerprint=parsed.fingerprint,
    )
    if leg is None:
        event.outcome = EventOutcome.rejected
        event.rejection_reason = (
            N_("Bưu điện chưa nhận kết quả từ cơ quan; chưa thể ghi %(event)s.")
            if (kind == Leg.return_) else N_("Hồ sơ chưa được nhận từ công dân; chưa thể ghi %(event)s.")
        )
    try:
        with session.begin_nested():
            session.add(event)
            session.flush()
    except IntegrityError:  # the same id sent twice at once by two requests
        existing = session.scalar(select(ShipmentEvent).where(ShipmentEvent.event_id == parsed.event_id))
        if existing is None:
            raise
        return _duplicate(existing, parsed)
    if leg is None:
        return EventResult(parsed.event_id, "rejected", event.rejection_reason,
                           params={"event": parsed.type.value}, dossier_code=(dossier.code or dossier.shipment_number))
    touched[leg.id] = leg
    fresh[event.id] = event
    return EventResult(parsed.event_id, "pending", dossier_code=(dossier.code or dossier.shipment_number))


def _return_leg_from_evidence(session: Session, dossier: Dossier, handed_at: datetime) -> ShipmentLeg | None:
    """The agency handed the result to the post but nobody opened the return leg (the result-ready
    step did not call open_return_leg): the result was available at its "result ready" status
    change if recorded, else at the latest when it was handed over. Only once the forward leg is over."""
    forward = _current_leg(session, dossier, Leg.forward)
    if forward is not None:
        derive(session, forward)  # the hand-over may be in this very batch
    if forward is None or forward.state != LegState.handed_to_agency or forward.completed_at > handed_at:
        return None
    ready_at = session.scalar(
        select(DossierStatusChange.at).where(DossierStatusChange.dossier_id == dossier.id,
                                             DossierStatusChange.to_status == DossierStatus.result_ready)
        .order_by(DossierStatusChange.at.desc())
    )
    available = ready_at if ready_at is not None and ready_at <= handed_at else handed_at
    return open_return_leg(session, dossier=dossier, result_available_at=available)


def _duplicate(existing: ShipmentEvent, parsed: _Parsed) -> EventResult:
    if existing.fingerprint != parsed.fingerprint:
        return EventResult(parsed.event_id, "invalid",
                           N_("Mã sự kiện này đã dùng cho một sự kiện khác."),
                           errors=[FieldError("event_id", N_("Mã sự kiện này đã dùng cho một sự kiện khác."))])
    return EventResult(parsed.event_id, "duplicate",
                       existing.rejection_reason if existing.outcome == EventOutcome.rejected else "",
                       params={"event": existing.event_type,
                               "state": existing.leg.state.value if existing.leg is not None else ""},
                       leg_state=existing.leg.state.value if existing.leg is not None else None,
                       dossier_code=(existing.leg.dossier.code or existing.leg.dossier.shipment_number) if existing.leg is not None else "")


def _emit(session: Session, event: ShipmentEvent, leg: ShipmentLeg) -> None:
    emit(
        session,
        "shipment.event_recorded",
        aggregate_type="dossier",
        aggregate_id=(leg.dossier.code or leg.dossier.shipment_number),
        payload={
            "dossier_code": (leg.dossier.code or leg.dossier.shipment_number),
            "event_id": event.event_id,
            "leg": leg.kind.value,
            "type": event.event_type,
            "occurred_at": event.occurred_at.isoformat(),
            "post_office_code": event.post_office_code,
            "leg_state": leg.state.value,
        },
        occurred_at=event.occurred_at,
    )


def state_label(leg: ShipmentLeg) -> str:
    return STATE_LABELS[leg.state]
