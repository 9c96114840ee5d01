"""What the one-stop office writes while working a dossier, beside its status history:
the paper hand-over from the post, supplement requests, rejections, inter-agency opinions,
apology letters and refunds flagged for the payments area."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from postal_gateway.core.db import Base, UTCDateTime

#: who writes a Phiếu xin lỗi (form 04): the body that caused the delay (Điều 9.3.d, 10.2.g), or the
#: one-stop office for its own reception error (Điều 9.4.b, 10.2.đ)
ISSUER_KINDS = ("processing_agency", "cooperating_agency", "one_stop_office")
#: why: the dossier is late, or the one-stop office missed something at reception
APOLOGY_CAUSES = ("late", "reception_error")
#: where a supplement is asked for: at reception (before a code) or during processing
SUPPLEMENT_STAGES = ("reception", "processing")
#: why a processing-stage supplement is asked for: found on verification (Điều 9.3.b) or missed at reception
SUPPLEMENT_CAUSES = ("verification", "reception_error")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


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
    """Yêu cầu bổ sung (form 02): every item at once, each with its reason (Điều 12.1.c); the clock stops
    and the time already spent counts (Điều 9.3.b, 10.2.đ). A request caused by a reception error goes
    with the one-stop office's Phiếu xin lỗi (Điều 9.4.b, 10.2.đ)."""

    __tablename__ = "supplement_requests"
    __table_args__ = (
        CheckConstraint("spent_seconds >= 0", name="spent_not_negative"),
        CheckConstraint("remaining_seconds >= 0", name="remaining_not_negative"),
        CheckConstraint(f"stage IN ({_quoted(SUPPLEMENT_STAGES)})", name="stage_known"),
        CheckConstraint(f"cause IN ({_quoted(SUPPLEMENT_CAUSES)})", name="cause_known"),
        CheckConstraint("cause <> 'reception_error' OR apology_letter_id IS NOT NULL",
                        name="reception_error_with_apology"),
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
    #: "reception" or "processing"
    stage: Mapped[str] = mapped_column(String(16), default="processing", server_default="processing")
    #: "verification" (Điều 9.3.b) or "reception_error" (Điều 9.4.b, 10.2.đ)
    cause: Mapped[str] = mapped_column(String(24), default="verification", server_default="verification")
    #: what form 02 lists: [{"item": ..., "reason": ...}], every item at once
    items: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    #: the form 02 issued with the request (None for requests recorded before forms were stored)
    form_id: Mapped[int | None] = mapped_column(ForeignKey("official_forms.id"))
    #: the one-stop office's Phiếu xin lỗi given with a reception-error request
    apology_letter_id: Mapped[int | None] = mapped_column(ForeignKey("apology_letters.id"))


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


def _dossier_agency(context) -> int | None:
    """A letter recorded without its issuing body is the processing agency's: the dossier's agency (as the
    letters written before form 04 were backfilled)."""
    dossier_id = context.get_current_parameters().get("dossier_id")
    return context.connection.scalar(
        select(Base.metadata.tables["dossiers"].c.agency_id).where(Base.metadata.tables["dossiers"].c.id == dossier_id)
    )


class ApologyLetter(Base):
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (form 04, R-12): the body that caused the delay states the
    reason and the new date (Điều 9.3.d, 10.2.g), or the one-stop office apologises for its reception error
    (Điều 9.4.b, 10.2.đ); the one-stop office forwards it to the citizen (Điều 9.4.d). ``number`` counts the
    dossier's letters; the printed number is the form's, in the issuing body's sequence."""

    __tablename__ = "apology_letters"
    __table_args__ = (
        UniqueConstraint("dossier_id", "number"),
        CheckConstraint("new_appointment_date > previous_appointment_date", name="new_date_later"),
        CheckConstraint(f"issuer_kind IN ({_quoted(ISSUER_KINDS)})", name="issuer_kind_known"),
        CheckConstraint(f"cause IN ({_quoted(APOLOGY_CAUSES)})", name="cause_known"),
        CheckConstraint("(issuer_kind = 'cooperating_agency') = (opinion_request_id IS NOT NULL)",
                        name="cooperating_through_opinion"),
        CheckConstraint("(issuer_kind = 'one_stop_office') = (cause = 'reception_error')",
                        name="one_stop_office_for_reception_error"),
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
    #: "processing_agency", "cooperating_agency" or "one_stop_office"
    issuer_kind: Mapped[str] = mapped_column(String(24), default="processing_agency")
    #: the body named on the form and whose sequence numbers it
    issuer_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), default=_dossier_agency)
    #: a cooperating agency reaches the dossier through the opinion it was asked for (Điều 10.2.g)
    opinion_request_id: Mapped[int | None] = mapped_column(ForeignKey("opinion_requests.id"))
    #: "late" (Điều 9.3.d) or "reception_error" (Điều 9.4.b)
    cause: Mapped[str] = mapped_column(String(24), default="late", server_default="late")
    #: the stored form 04 (None for letters written before form 04 was stored: no PDF is rendered in a migration)
    form_id: Mapped[int | None] = mapped_column(ForeignKey("official_forms.id"), unique=True)
    #: when the one-stop office forwarded it to the citizen, moving the appointment (Điều 9.4.d)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: when the lead agency's officers were told of a cooperating agency's letter (Điều 10.2.g)
    lead_agency_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dossier = relationship("Dossier")
    issued_by = relationship("User", foreign_keys=[issued_by_id])
    issuer_agency = relationship("Agency")
    form = relationship("OfficialForm")


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


class ResultDocument(Base):
    """The result itself as a file (scan or signed PDF), given with "Báo có kết quả" (Điều 25.2): required for
    an electronic result (level 4 returned without paper), optional otherwise; one per dossier. Validated by
    content like every scan (PDF, JPEG or PNG, no active content)."""

    __tablename__ = "result_documents"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    #: detected from the content, not taken from the client
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
