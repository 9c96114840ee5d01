"""Shipment legs of a postal dossier, the hand-over events recorded on them, SLA breaches and
compensation cases (R-15, R-16, R-17).

A leg's ``state`` is never written from the last event received: it is what replaying the leg's events
ordered by the time they happened gives. ``tracking.ingestion`` advances the stored state with events
later than the whole history and replays the history when an event lands inside it.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contracts.models import Leg
from postal_gateway.core.db import Base, UTCDateTime, utcnow


class LegState(str, enum.Enum):
    #: leg opened, nothing physical happened yet (return leg: result available at the agency)
    open = "open"
    #: picked up from the citizen (forward)
    picked_up = "picked_up"
    #: result taken from the one-stop office by the post (return)
    with_post = "with_post"
    #: accepted / held at a post office
    at_post_office = "at_post_office"
    in_transit = "in_transit"
    arrived = "arrived"
    out_for_delivery = "out_for_delivery"
    delivery_failed = "delivery_failed"
    #: waiting at the post office for the citizen to collect it
    held_at_post_office = "held_at_post_office"
    lost = "lost"
    #: forward leg done: signed for by the one-stop officer
    handed_to_agency = "handed_to_agency"
    #: return leg done: the citizen has the result
    delivered = "delivered"
    #: return leg done: the result went back to the agency (undeliverable)
    returned_to_agency = "returned_to_agency"


#: states in which a leg's journey is over (its SLA clock stops)
FINAL_STATES = frozenset({LegState.handed_to_agency, LegState.delivered, LegState.returned_to_agency})


class SlaClock(str, enum.Enum):
    #: forward leg: pickup + contract full-trip time
    forward = "forward"
    #: return leg: result available + the contract's return-leg full-trip time for the zone (the planned delivery)
    return_ = "return"
    #: return leg: result available + the post's return commitment, 24 h or the contract's shorter time (Điều 25.2)
    return_commitment = "return_commitment"
    #: the dossier's appointment (ngày hẹn trả)
    appointment = "appointment"


class ShipmentLeg(Base):
    """One physical journey of a dossier: forward (to the agency) or return (the result back)."""

    __tablename__ = "shipment_legs"
    __table_args__ = (
        UniqueConstraint("dossier_id", "kind"),
        CheckConstraint("due_at IS NULL OR started_at IS NULL OR due_at >= started_at", name="due_after_start"),
        # Điều 25.2: only the return leg carries the 24-hour commitment clock
        CheckConstraint("kind = 'return_' OR commitment_due_at IS NULL", name="commitment_only_on_return"),
        # The breach scan reads only open legs, by due time.
        Index("ix_shipment_legs_open_due", "due_at", postgresql_where=text("completed_at IS NULL"),
              sqlite_where=text("completed_at IS NULL")),
        Index("ix_shipment_legs_open_commitment", "commitment_due_at",
              postgresql_where=text("completed_at IS NULL AND commitment_due_at IS NOT NULL"),
              sqlite_where=text("completed_at IS NULL AND commitment_due_at IS NOT NULL")),
        Index("ix_shipment_legs_completed_at", "completed_at"),
        Index("ix_shipment_legs_post_office", "post_office_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    #: forward or return: the same legs the contract's full-trip times are agreed for
    kind: Mapped[Leg] = mapped_column(Enum(Leg, native_enum=False, length=16))
    #: derived from the ordered history of accepted events
    state: Mapped[LegState] = mapped_column(Enum(LegState, native_enum=False, length=32), default=LegState.open)
    #: the post office responsible for the leg
    post_office_id: Mapped[int | None] = mapped_column(ForeignKey("post_offices.id"))
    #: zone relative to the agency (contracts.zones), when it could be placed
    zone: Mapped[str] = mapped_column(String(32), default="")
    #: clock start: pickup (forward) or the result being available (return)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: clock end promised: start + the contract's full-trip time for the leg's zone (the planned delivery)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: where the time allowed came from: "contract" or "default" (no contract)
    due_basis: Mapped[str] = mapped_column(String(16), default="")
    #: return leg only: result available + the return commitment, at most 24 h (Điều 25.2)
    commitment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the leg reached a final state (by the event's own time)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: time of the latest accepted event
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    dossier = relationship("Dossier")
    post_office = relationship("PostOffice")
    events: Mapped[list["ShipmentEvent"]] = relationship(
        back_populates="leg", order_by="(ShipmentEvent.occurred_at, ShipmentEvent.id)", cascade="all, delete-orphan"
    )


class EventOutcome(str, enum.Enum):
    #: fits the leg's history and counts
    accepted = "accepted"
    #: impossible at its place in the history; kept for audit, ignored by the state
    rejected = "rejected"


class ShipmentEvent(Base):
    """One hand-over or scan reported by a handheld; the device names it, so a resend is spotted."""

    __tablename__ = "shipment_events"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"),
        Index("ix_shipment_events_leg_occurred", "leg_id", "occurred_at"),
        Index("ix_shipment_events_dossier", "dossier_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: made by the device (a UUID or similar), unique: the same id twice is one event
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: None for an event refused before its leg existed (e.g. "delivered" before the result was ready)
    leg_id: Mapped[int | None] = mapped_column(ForeignKey("shipment_legs.id", ondelete="CASCADE"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    #: a tracking.vocabulary.EventType value
    event_type: Mapped[str] = mapped_column(String(32))
    #: when it happened, by the device clock (timezone-aware)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the device recorded it (may precede the upload by hours when offline)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the server received it
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the user who reported it
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: where: the post office code and/or a position
    post_office_code: Mapped[str] = mapped_column(String(16), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    #: type-specific facts: officer, recipient name, id_checked, proof, reason
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    outcome: Mapped[EventOutcome] = mapped_column(
        Enum(EventOutcome, native_enum=False, length=16), default=EventOutcome.accepted
    )
    #: why it does not fit the history (a translatable message id), empty when accepted
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    #: sha256 of the event as sent, to tell a resend from a different event under a reused id
    fingerprint: Mapped[str] = mapped_column(String(64), default="")

    leg: Mapped[ShipmentLeg] = relationship(back_populates="events")
    actor = relationship("User")


class SlaBreach(Base):
    """A clock that ran out, raised once: the unique key makes a second scan insert nothing."""

    __tablename__ = "sla_breaches"
    __table_args__ = (
        UniqueConstraint("dossier_id", "clock"),
        Index("ix_sla_breaches_detected_at", "detected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    clock: Mapped[SlaClock] = mapped_column(Enum(SlaClock, native_enum=False, length=32))
    leg_id: Mapped[int | None] = mapped_column(ForeignKey("shipment_legs.id", ondelete="CASCADE"))
    post_office_id: Mapped[int | None] = mapped_column(ForeignKey("post_offices.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CompensationStatus(str, enum.Enum):
    #: opened when the leg was marked lost
    open = "open"
    #: postal staff proposed the amount (fee, postage and the costs the citizen shows)
    proposed = "proposed"
    #: the amount approved by someone else: the office manager of the office concerned, or an operator
    approved = "approved"
    #: paid to the citizen
    paid = "paid"
    #: the dossier was found before payment
    withdrawn = "withdrawn"


class CompensationPaymentMethod(str, enum.Enum):
    #: tiền mặt at the counter, against the citizen's signature
    cash = "cash"
    #: chuyển khoản to the citizen's account
    bank_transfer = "bank_transfer"


class CompensationCase(Base):
    """What the post owes when a dossier is lost (R-16, Điều 25.2): every cost and fee.

    Four eyes: one person proposes the amount, another approves it and the proposer cannot record
    its payment either; the database refuses the same person in both places."""

    __tablename__ = "compensation_cases"
    __table_args__ = (
        CheckConstraint("fee_vnd >= 0 AND postage_vnd >= 0 AND costs_vnd >= 0", name="amounts_not_negative"),
        CheckConstraint("decided_by_id IS NULL OR proposed_by_id IS NULL OR decided_by_id != proposed_by_id",
                        name="approver_is_not_proposer"),
        CheckConstraint("paid_by_id IS NULL OR proposed_by_id IS NULL OR paid_by_id != proposed_by_id",
                        name="payer_is_not_proposer"),
        CheckConstraint("cap_vnd IS NULL OR status NOT IN ('approved', 'paid') "
                        "OR fee_vnd + postage_vnd + costs_vnd <= cap_vnd", name="total_within_cap"),
        UniqueConstraint("leg_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    leg_id: Mapped[int] = mapped_column(ForeignKey("shipment_legs.id", ondelete="CASCADE"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    status: Mapped[CompensationStatus] = mapped_column(
        Enum(CompensationStatus, native_enum=False, length=16), default=CompensationStatus.open
    )
    #: lệ phí paid, refunded in full
    fee_vnd: Mapped[int] = mapped_column(Integer, default=0)
    #: cước paid, refunded in full
    postage_vnd: Mapped[int] = mapped_column(Integer, default=0)
    #: other costs the citizen shows (copies, travel), added when approved
    costs_vnd: Mapped[int] = mapped_column(Integer, default=0)
    #: the contract's compensation clause at the time, copied for the record
    contract_terms: Mapped[str] = mapped_column(Text, default="")
    #: the post has arranged with the agency to redo the dossier (Điều 25.2)
    redo_arranged: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the contract's ceiling on the total (fee + postage + costs), copied when opened; None: no ceiling agreed
    cap_vnd: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: who proposed the amount, and when
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: approval (or withdrawal): when, and who approved
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: payment to the citizen: when, who recorded it, how, and the voucher number
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payment_method: Mapped[CompensationPaymentMethod | None] = mapped_column(
        Enum(CompensationPaymentMethod, native_enum=False, length=16)
    )
    payment_reference: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    leg: Mapped[ShipmentLeg] = relationship()
    dossier = relationship("Dossier")
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    paid_by = relationship("User", foreign_keys=[paid_by_id])

    @property
    def total_vnd(self) -> int:
        return self.fee_vnd + self.postage_vnd + self.costs_vnd
