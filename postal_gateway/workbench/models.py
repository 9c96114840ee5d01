"""What the one-stop office writes while working a dossier, beside its status history:
the paper hand-over from the post, supplement requests, rejections, inter-agency opinions,
apology letters and refunds flagged for the payments area."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from postal_gateway.core.db import Base, UTCDateTime


class PaperHandover(Base):
    """The officer signed for the paper dossier brought by the post, after comparing it with the online one."""

    __tablename__ = "paper_handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: one hand-over per dossier: the forward leg ends once
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the paper documents match the scans submitted online
    paper_matches: Mapped[bool] = mapped_column(Boolean)
    #: what differs, written by the officer when the paper does not match
    discrepancies: Mapped[str] = mapped_column(Text, default="")

    officer = relationship("User")


class SupplementRequest(Base):
    """Yêu cầu bổ sung: every reason at once; the clock stops and the time already spent counts."""

    __tablename__ = "supplement_requests"
    __table_args__ = (
        CheckConstraint("spent_seconds >= 0", name="spent_not_negative"),
        CheckConstraint("remaining_seconds >= 0", name="remaining_not_negative"),
        Index("ix_supplement_requests_dossier_id", "dossier_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: each thing to supplement, as told to the citizen
    reasons: Mapped[list] = mapped_column(JSON)
    #: working time already spent on the dossier when the request went out
    spent_seconds: Mapped[int] = mapped_column(Integer)
    #: working time left of the statutory time, given back when the supplement arrives
    remaining_seconds: Mapped[int] = mapped_column(Integer)
    #: due time before the request
    previous_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the citizen's supplement arrived; None while the request is outstanding
    supplied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: due time recomputed from the supplement's arrival and the time left
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Rejection(Base):
    """Từ chối giải quyết, with the written reasons given to the citizen."""

    __tablename__ = "dossier_rejections"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True)
    rejected_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rejected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reasons: Mapped[list] = mapped_column(JSON)


class OpinionRequest(Base):
    """Lấy ý kiến liên thông: one cooperating agency asked for its opinion, with its own deadline."""

    __tablename__ = "opinion_requests"
    __table_args__ = (
        UniqueConstraint("dossier_id", "agency_id", "asked_at"),
        Index("ix_opinion_requests_dossier_id", "dossier_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    #: the cooperating agency asked
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    question: Mapped[str] = mapped_column(Text)
    #: its own deadline, in working time from the asking
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    agency = relationship("Agency")


class ApologyLetter(Base):
    """Thư xin lỗi (R-12, Điều 9.3.d): why the dossier is late and the new return date."""

    __tablename__ = "apology_letters"
    __table_args__ = (
        UniqueConstraint("dossier_id", "number"),
        CheckConstraint("new_appointment_date > previous_appointment_date", name="new_date_later"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    #: 1 for the first letter of this dossier, 2 for a second one
    number: Mapped[int] = mapped_column(Integer)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    #: the due time that was missed
    missed_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    previous_appointment_date: Mapped[date] = mapped_column(Date)
    new_appointment_date: Mapped[date] = mapped_column(Date)

    dossier = relationship("Dossier")
    issued_by = relationship("User")


class RefundFlag(Base):
    """A fee was paid for a dossier the agency will not perform: the payments area refunds it (R-13)."""

    __tablename__ = "refund_flags"
    __table_args__ = (CheckConstraint("amount_vnd > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True)
    #: fee paid and not yet refunded when the flag was raised, integer VND
    amount_vnd: Mapped[int] = mapped_column(Integer)
    #: "refused" (form 03 at reception), "rejected" or "withdrawn"
    cause: Mapped[str] = mapped_column(String(16))
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    flagged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: set by the payments area once the refund is made
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
