"""SLA clocks of a postal dossier (R-16, R-17, Điều 25.2, 22.5) and the set-based breach scan.

Four clocks:
- forward leg: due at pickup + the contract's full-trip time for the leg's zone (clock hours,
  as contracts/ stores them); with no contract, DEFAULT_FULL_TRIP_TIME, marked "default";
- return leg, delivery (``due_at``): result available + the contract's return-leg full-trip time for the
  dossier's return zone (Điều 22.5), the planned delivery; with no contract the 24 hours of Điều 25.2,
  marked "default" (no zone time was agreed, so the regulation's commitment is the only plan there is);
- return leg, commitment (``commitment_due_at``): result available + 24 CLOCK hours, or the contract's
  shorter time. Điều 25.2 says "trong vòng 24 giờ sau khi có kết quả": hours, not working days, so
  weekends and holidays do not stop it (R-16). It measures result ready -> delivered (or returned), the
  same end as the delivery clock; a contract zone time above 24 h is a known breach of it, shown, not hidden;
- the dossier itself: due at its appointment (Dossier.due_at, computed in working days at intake).

Each clock is on time, at risk (at least ``at_risk_share`` of its time used, not yet due) or
breached (due passed before the clock stopped).
"""
from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, literal, select, text
from sqlalchemy import insert as core_insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from contracts import services as contracts
from contracts import zones
from postal_gateway.catalogue.models import PostOffice
from postal_gateway.core.config import DEFAULT_AT_RISK_SHARE
from postal_gateway.core.db import UTCDateTime
from postal_gateway.core.domain import N_, DomainError
from postal_gateway.core.formatting import format_local_datetime
from postal_gateway.core.outbox import EVENT_VERSIONS, IntegrationEvent
from postal_gateway.dossiers.models import Channel, Dossier, DossierStatus
from tracking import notices
from tracking.models import ShipmentLeg, SlaBreach, SlaClock

#: used when no contract covers the dossier; the national limit for the farthest zone is not longer
DEFAULT_FULL_TRIP_TIME = timedelta(hours=72)
#: R-16 / Điều 25.2
RETURN_COMMITMENT = timedelta(hours=24)


class SlaState(str, enum.Enum):
    on_time = "on_time"
    at_risk = "at_risk"
    breached = "breached"


SLA_LABELS = {
    SlaState.on_time: N_("Đúng hạn"),
    SlaState.at_risk: N_("Có nguy cơ trễ"),
    SlaState.breached: N_("Quá hạn"),
}


@dataclass(frozen=True)
class Due:
    due_at: datetime
    #: "contract", "commitment" or "default"
    basis: str
    zone: str = ""


def clock_state(
    *,
    started_at: datetime | None,
    due_at: datetime | None,
    now: datetime,
    stopped_at: datetime | None = None,
    at_risk_share: float = DEFAULT_AT_RISK_SHARE,
) -> SlaState | None:
    """The state of one clock at ``now``; None when it has not started. Reports pass the settings'
    ``tracking_at_risk_share`` (TRACKING_AT_RISK_SHARE)."""
    if started_at is None or due_at is None:
        return None
    end = stopped_at or now
    if end > due_at:
        return SlaState.breached
    if stopped_at is not None:
        return SlaState.on_time
    allowed = due_at - started_at
    if allowed <= timedelta(0) or (now - started_at) >= allowed * at_risk_share:
        return SlaState.at_risk
    return SlaState.on_time


def _contract_forward(session: Session, dossier, started_at: datetime, post_office) -> Due | None:
    """The contract's forward full-trip time, or None when contracts/ has none for this dossier."""
    try:
        recorded = contracts.dossier_contract(session, dossier.id)
        if recorded is not None:
            allowed = contracts.dossier_full_trip_time(session, dossier_id=dossier.id, leg="forward")
            return Due(started_at + allowed, "contract", recorded.forward_zone.value)
        place = dossier.pickup_address or post_office
        if not place:
            return None
        zone = zones.zone_for(session, agency=dossier.agency, address_or_admin_units=place, field="pickup_address")
        allowed = contracts.full_trip_time(
            session, agency_id=dossier.agency_id, procedure_id=dossier.procedure_id, leg="forward",
            zone=zone, at=started_at,
        )
        return Due(started_at + allowed, "contract", zone)
    except DomainError:  # no contract, no time for the zone, or an address that cannot be placed
        return None


def forward_due(session: Session, dossier, started_at: datetime, post_office=None) -> Due:
    """Forward leg: pickup + the contract's full-trip time (R-17)."""
    return _contract_forward(session, dossier, started_at, post_office) or Due(
        started_at + DEFAULT_FULL_TRIP_TIME, "default"
    )


def return_due(session: Session, dossier, result_available_at: datetime) -> Due:
    """Return leg, delivery clock (Điều 22.5): result available + the contract's return-leg full-trip time
    for the dossier's return zone, under the version recorded at submission (basis "contract"). Without a
    recorded contract (or a time for the zone): the 24 hours of Điều 25.2, basis "default"."""
    recorded = contracts.dossier_contract(session, dossier.id)
    if recorded is not None:
        try:
            allowed = contracts.dossier_full_trip_time(session, dossier_id=dossier.id, leg="return")
        except DomainError:  # a version without a time for the zone: the regulation's clock
            pass
        else:
            return Due(result_available_at + allowed, "contract", recorded.return_zone.value)
    return Due(result_available_at + RETURN_COMMITMENT, "default")


def return_commitment_due(session: Session, dossier, result_available_at: datetime) -> Due:
    """Return leg, commitment clock (Điều 25.2): 24 clock hours after the result is available, or the shorter
    commitment of the contract version recorded for the dossier (else the one in force then); never longer."""
    recorded = contracts.dossier_contract(session, dossier.id)
    if recorded is not None:
        agreed = timedelta(hours=recorded.version.return_commitment_hours)
    else:
        try:
            agreed = contracts.return_commitment(
                session, agency_id=dossier.agency_id, procedure_id=dossier.procedure_id, at=result_available_at,
            )
        except DomainError:
            agreed = RETURN_COMMITMENT
    return Due(result_available_at + min(RETURN_COMMITMENT, agreed), "commitment")


@dataclass(frozen=True)
class ReturnPlan:
    """The two clocks of a return leg, as the workbench and the citizen's message state them (Điều 25.2, 22.5)."""

    result_available_at: datetime
    #: the planned delivery: the contract's zone time
    delivery: Due
    #: the post's commitment, at most 24 hours
    commitment: Due

    @property
    def within_24_hours(self) -> bool:
        """Whether "trong 24 giờ" may be promised: only when the planned delivery is no later (Điều 25.2)."""
        return self.delivery.due_at - self.result_available_at <= RETURN_COMMITMENT

    @property
    def breaks_commitment(self) -> bool:
        """The contract's zone time runs past the commitment: a known breach of Điều 25.2, shown."""
        return self.delivery.due_at > self.commitment.due_at

    def citizen_promise(self) -> str:
        """What the citizen is told when the result is ready (Điều 25.2, 22.5): "trong 24 giờ" only when the
        planned delivery is within 24 hours of the result; otherwise the planned time itself."""
        if self.within_24_hours:
            return N_("Bưu chính sẽ chuyển kết quả đến bạn trong 24 giờ.")
        return N_("Bưu chính sẽ phát kết quả đến bạn trước %(date)s (theo thời gian toàn trình của hợp đồng).") % {
            "date": format_local_datetime(self.delivery.due_at)
        }


def return_plan(session: Session, dossier, result_available_at: datetime) -> ReturnPlan:
    """Both return clocks of a dossier whose result is available at ``result_available_at`` (Điều 25.2, 22.5)."""
    return ReturnPlan(
        result_available_at,
        return_due(session, dossier, result_available_at),
        return_commitment_due(session, dossier, result_available_at),
    )


# --- the breach scan ---------------------------------------------------------------------------

#: late completions are looked for this far back (a scan every few minutes sees each of them)
LATE_COMPLETION_WINDOW = timedelta(days=2)
#: dossier statuses in which the appointment clock has stopped
APPOINTMENT_STOPPED = ("result_ready", "result_with_post", "returned", "rejected", "withdrawn")


#: the clock's name in events, metrics and messages, from what sla_breaches stores
CLOCK_NAMES = {clock.name: clock.value for clock in SlaClock}


@dataclass(frozen=True)
class Breach:
    id: int
    dossier_id: int
    clock: str
    leg_id: int | None
    post_office_id: int | None
    due_at: datetime


def _insert(session: Session):
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def find_new_breaches(session: Session, *, now: datetime) -> list[Breach]:
    """Insert a breach row for every clock newly run out, set-based; return only the rows this call
    inserted. The unique (dossier, clock) key makes a repeated or concurrent scan insert nothing."""
    insert = _insert(session)
    table = SlaBreach.__table__
    columns = ["dossier_id", "clock", "leg_id", "post_office_id", "due_at", "detected_at"]
    detected = literal(now, type_=UTCDateTime())
    returning = (table.c.id, table.c.dossier_id, table.c.clock, table.c.leg_id, table.c.post_office_id, table.c.due_at)
    legs = select(
        ShipmentLeg.dossier_id, ShipmentLeg.kind, ShipmentLeg.id, ShipmentLeg.post_office_id, ShipmentLeg.due_at, detected
    )
    # Điều 25.2: the return leg's commitment clock, checked beside its delivery clock
    commitments = select(
        ShipmentLeg.dossier_id, literal(SlaClock.return_commitment.name), ShipmentLeg.id, ShipmentLeg.post_office_id,
        ShipmentLeg.commitment_due_at, detected,
    )
    statements = [
        legs.where(ShipmentLeg.completed_at.is_(None), ShipmentLeg.due_at < now),
        legs.where(
            and_(ShipmentLeg.completed_at >= now - LATE_COMPLETION_WINDOW, ShipmentLeg.completed_at > ShipmentLeg.due_at)
        ),
        commitments.where(ShipmentLeg.completed_at.is_(None), ShipmentLeg.commitment_due_at < now),
        commitments.where(ShipmentLeg.completed_at >= now - LATE_COMPLETION_WINDOW,
                          ShipmentLeg.completed_at > ShipmentLeg.commitment_due_at),
        select(
            Dossier.id, literal("appointment"), literal(None), Dossier.post_office_id, Dossier.due_at, detected
        ).where(
            Dossier.due_at < now,
            Dossier.status.notin_([DossierStatus(value) for value in APPOINTMENT_STOPPED]),
            Dossier.channel == Channel.postal,
        ),
    ]
    found: list[Breach] = []
    for query in statements:
        rows = session.execute(
            insert(table).from_select(columns, query).on_conflict_do_nothing(index_elements=["dossier_id", "clock"])
            .returning(*returning)
        ).all()
        found.extend(Breach(row.id, row.dossier_id, getattr(row.clock, "value", row.clock), row.leg_id,
                            row.post_office_id, row.due_at) for row in rows)
    return found


def raise_breaches(session: Session, *, now: datetime) -> list[Breach]:
    """The beat job: new breaches, each with one integration event, and one message per post
    office listing its new breaches. Runs in the caller's transaction; the caller commits."""
    if session.get_bind().dialect.name == "postgresql":
        breaches, codes = _raise_on_postgresql(session, now=now)
        _send_digests(session, breaches, codes, now=now)
        return breaches
    breaches = find_new_breaches(session, now=now)
    if not breaches:
        return breaches
    codes: dict[int, str] = {}
    ids = [b.dossier_id for b in breaches]
    for start in range(0, len(ids), 5000):
        codes.update(session.execute(select(Dossier.id, func.coalesce(Dossier.code, Dossier.shipment_number))
                                     .where(Dossier.id.in_(ids[start:start + 5000]))).all())
    session.execute(
        core_insert(IntegrationEvent),
        [
            {
                "event_id": str(uuid.uuid4()),
                "event_type": "sla.breached",
                "version": EVENT_VERSIONS["sla.breached"],
                "aggregate_type": "dossier",
                "aggregate_id": codes[b.dossier_id],
                "payload": {
                    "dossier_code": codes[b.dossier_id],
                    "clock": CLOCK_NAMES.get(b.clock, b.clock),
                    "due_at": b.due_at.isoformat(),
                    "detected_at": now.isoformat(),
                },
                "occurred_at": now,
                "publish_attempts": 0,
            }
            for b in breaches
        ],
    )
    _send_digests(session, breaches, codes, now=now)
    return breaches


def _send_digests(session: Session, breaches: list[Breach], codes: dict[int, str], *, now: datetime) -> None:
    """One message per post office listing its new breaches (not one SMS per dossier)."""
    by_office: dict[int, list[tuple[str, str]]] = {}
    for b in breaches:
        if b.post_office_id is not None:
            by_office.setdefault(b.post_office_id, []).append((codes[b.dossier_id], b.clock))
    offices = {office.id: office for office in session.scalars(select(PostOffice).where(PostOffice.id.in_(by_office)))}
    for office_id, office_breaches in by_office.items():
        office = offices.get(office_id)
        if office is not None and office.phone:
            notices.send_breach_digest(session, office=office, breaches=office_breaches, now=now)
    session.flush()


#: PostgreSQL: breach rows and their integration events in ONE statement (data-modifying CTEs)
_PG_RAISE = """
WITH candidates AS (
    SELECT l.dossier_id, l.kind AS clock, l.id AS leg_id, l.post_office_id, l.due_at
    FROM shipment_legs l WHERE l.completed_at IS NULL AND l.due_at < :now
    UNION ALL
    SELECT l.dossier_id, l.kind, l.id, l.post_office_id, l.due_at
    FROM shipment_legs l WHERE l.completed_at >= :late_since AND l.completed_at > l.due_at
    UNION ALL
    SELECT l.dossier_id, 'return_commitment', l.id, l.post_office_id, l.commitment_due_at
    FROM shipment_legs l WHERE l.completed_at IS NULL AND l.commitment_due_at < :now
    UNION ALL
    SELECT l.dossier_id, 'return_commitment', l.id, l.post_office_id, l.commitment_due_at
    FROM shipment_legs l WHERE l.completed_at >= :late_since AND l.completed_at > l.commitment_due_at
    UNION ALL
    SELECT d.id, 'appointment', NULL, d.post_office_id, d.due_at
    FROM dossiers d WHERE d.due_at < :now AND d.channel = 'postal' AND d.status NOT IN :stopped
), new AS (
    INSERT INTO sla_breaches (dossier_id, clock, leg_id, post_office_id, due_at, detected_at)
    SELECT c.dossier_id, c.clock, c.leg_id, c.post_office_id, c.due_at, :now FROM candidates c
    -- a clock already raised is skipped by an index probe, not a speculative insert (a rescan costs little)
    WHERE NOT EXISTS (SELECT 1 FROM sla_breaches b WHERE b.dossier_id = c.dossier_id AND b.clock = c.clock)
    ON CONFLICT (dossier_id, clock) DO NOTHING
    RETURNING id, dossier_id, clock, leg_id, post_office_id, due_at
), named AS (
    -- before the agency accepts it a dossier is known by its shipment number only
    SELECT new.*, COALESCE(d.code, d.shipment_number) AS code FROM new JOIN dossiers d ON d.id = new.dossier_id
), events AS (
    INSERT INTO integration_events (event_id, event_type, version, aggregate_type, aggregate_id, payload,
                                    occurred_at, publish_attempts)
    SELECT gen_random_uuid()::text, 'sla.breached', CAST(:version AS integer), 'dossier', code,
           json_build_object('dossier_code', code,
                             'clock', CASE clock WHEN 'return_' THEN 'return' ELSE clock END,
                             'due_at', to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
                             'detected_at', CAST(:detected_text AS text)),
           :now, 0
    FROM named
)
SELECT id, dossier_id, clock, leg_id, post_office_id, due_at, code FROM named
"""


def _raise_on_postgresql(session: Session, *, now: datetime) -> tuple[list[Breach], dict[int, str]]:
    statement = text(_PG_RAISE).bindparams(
        bindparam("stopped", expanding=True),
        bindparam("now", type_=UTCDateTime()),
        bindparam("late_since", type_=UTCDateTime()),
    )
    rows = session.execute(statement, {
        "now": now, "late_since": now - LATE_COMPLETION_WINDOW, "stopped": list(APPOINTMENT_STOPPED),
        "version": EVENT_VERSIONS["sla.breached"], "detected_text": now.isoformat(),
    }).all()
    breaches = [Breach(r.id, r.dossier_id, CLOCK_NAMES.get(r.clock, r.clock), r.leg_id, r.post_office_id, r.due_at)
                for r in rows]
    return breaches, {r.dossier_id: r.code for r in rows}
