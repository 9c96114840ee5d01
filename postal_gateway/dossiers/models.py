"""Dossiers (hồ sơ), their scans, the amounts collected for them and their status history."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from postal_gateway.core.db import Base, UTCDateTime, utcnow


class Channel(str, enum.Enum):
    #: collected by postal staff and submitted through the citizen's account
    postal = "postal"
    #: submitted online by the citizen
    online = "online"
    #: handed in at the one-stop counter
    counter = "counter"


class CollectionPlace(str, enum.Enum):
    #: at a postal service point
    post_office = "post_office"
    #: at the address the citizen asked for (Điều 20.1)
    citizen_address = "citizen_address"


class DossierStatus(str, enum.Enum):
    #: mới đăng ký: submitted online by the post, not yet accepted by the one-stop office (Điều 21.1)
    submitted = "submitted"
    #: đã tiếp nhận
    received = "received"
    #: đã chuyển phòng chuyên môn
    transferred = "transferred"
    #: đang xử lý
    in_processing = "in_processing"
    #: đang thẩm định / lấy ý kiến liên thông
    verification = "verification"
    #: có kết quả, chờ trả
    result_ready = "result_ready"
    #: đã giao kết quả cho bưu chính: the post holds the result, the citizen does not yet (Điều 25.2)
    result_with_post = "result_with_post"
    #: đã trả kết quả: the post delivered it, or the citizen collected it at the counter
    returned = "returned"
    #: yêu cầu bổ sung
    supplement_requested = "supplement_requested"
    #: từ chối
    rejected = "rejected"
    #: quá hạn, đã xin lỗi và hẹn lại
    overdue = "overdue"
    #: công dân rút hồ sơ
    withdrawn = "withdrawn"
    #: yêu cầu bổ sung, hoàn thiện hồ sơ: form 02 at reception, before any code (Điều 12.1.c, 9.1.b)
    completion_requested = "completion_requested"
    #: từ chối tiếp nhận: form 03 at reception; final, never got a code (Điều 9.1.b)
    refused = "refused"


class PaymentKind(str, enum.Enum):
    #: lệ phí, owed to the agency
    fee = "fee"
    #: cước, owed to the post
    postage = "postage"


class ReceiptBasis(str, enum.Enum):
    """What the official receipt time was taken from (Điều 12.1.d)."""

    #: the e-dossier was entered and notified valid: the officer's acceptance moment
    online_valid = "online_valid"
    #: the complete paper dossier was handed over by the postal worker: the hand-over moment
    paper_handover = "paper_handover"


#: the receipt columns a dossier has all together, from its acceptance, or none of (Điều 14.4)
RECEIPT_COLUMNS = ("code", "received_at", "processing_start_at", "due_at", "appointment_date", "accepted_at", "receipt_basis")


class CollectionMethod(str, enum.Enum):
    #: cash to the postal worker or at the counter
    cash = "cash"
    #: thu hộ: the post collects on the agency's behalf and remits later
    collection_on_behalf = "collection_on_behalf"
    bank_transfer = "bank_transfer"
    card = "card"
    #: VNPay online payment (level 4)
    online = "online"


class Dossier(Base):
    __tablename__ = "dossiers"
    __table_args__ = (
        CheckConstraint("level IN (3, 4)", name="online_level"),
        CheckConstraint("fee_vnd >= 0", name="fee_not_negative"),
        CheckConstraint("postage_vnd >= 0", name="postage_not_negative"),
        CheckConstraint(
            "collection_place != 'citizen_address' OR pickup_address != ''",
            name="address_pickup_has_address",
        ),
        # A retried or double-tapped submission carries the same key and finds this row.
        UniqueConstraint("submitted_by_id", "submission_key"),
        CheckConstraint(
            "(" + " AND ".join(f"{name} IS NULL" for name in RECEIPT_COLUMNS) + ") OR ("
            + " AND ".join(f"{name} IS NOT NULL" for name in RECEIPT_COLUMNS) + ")",
            name="receipt_all_or_nothing",
        ),
        CheckConstraint("received_at IS NULL OR received_at >= submitted_at", name="received_after_submitted"),
        CheckConstraint("receipt_basis IN ('online_valid', 'paper_handover')", name="receipt_basis_known"),
        Index("ix_dossiers_citizen_id", "citizen_id"),
        Index("ix_dossiers_agency_status", "agency_id", "status"),
        Index("ix_dossiers_agency_due", "agency_id", "due_at"),
        Index("ix_dossiers_agency_received", "agency_id", "received_at"),
        # the SLA scan's appointment clock: postal dossiers by due time, without reading every other one
        Index("ix_dossiers_postal_due", "due_at", postgresql_where=text("channel = 'postal' AND due_at IS NOT NULL"),
              sqlite_where=text("channel = 'postal' AND due_at IS NOT NULL")),
        # the post office's list, newest first (scanned backwards)
        Index("ix_dossiers_post_office_received", "post_office_id", "received_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX (Điều 15), issued on acceptance (Điều 14.4); None before
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    #: số hiệu bưu gửi (S10), the submission's public reference from the moment the post submits it
    shipment_number: Mapped[str] = mapped_column(String(13), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"))
    #: the account the dossier was submitted through
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: tổ chức nộp hồ sơ, if the citizen acts for an organisation
    organisation_name: Mapped[str] = mapped_column(String(255), default="")
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=16))
    level: Mapped[int] = mapped_column(Integer)
    status: Mapped[DossierStatus] = mapped_column(
        Enum(DossierStatus, native_enum=False, length=32), default=DossierStatus.submitted
    )
    #: level 4 without a digital signature: originals follow by post, marked with the code (Điều 7.3)
    digitally_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    collection_place: Mapped[CollectionPlace] = mapped_column(
        Enum(CollectionPlace, native_enum=False, length=16), default=CollectionPlace.post_office
    )
    post_office_id: Mapped[int | None] = mapped_column(ForeignKey("post_offices.id"))
    pickup_address: Mapped[str] = mapped_column(String(500), default="")
    #: where the result goes back; empty means collected at the post office
    delivery_address: Mapped[str] = mapped_column(String(500), default="")
    #: postal staff member who submitted it for the citizen
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))
    #: client-chosen key that makes a retried submission find this dossier again
    submission_key: Mapped[str | None] = mapped_column(String(64))
    #: hash of what was submitted, to tell a retry from a different dossier under a reused key
    submission_fingerprint: Mapped[str | None] = mapped_column(String(64))
    #: the moment the worker entered it
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the post submitted it online to the agency (Điều 21.1); not a legal receipt time
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the one-stop officer accepted it (the click); None until accepted
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the officer who accepted it; None before acceptance and for rows older than revision 0010
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: what the receipt time was taken from (a ReceiptBasis value); None until accepted
    receipt_basis: Mapped[ReceiptBasis | None] = mapped_column(
        Enum(ReceiptBasis, native_enum=False, length=16)
    )
    #: official receipt time (Điều 12.1.d); None until accepted
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the agency's clock starts (after 16:00: next working morning, Điều 12.1.đ)
    processing_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: due time: processing start + the procedure's working days
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ngày hẹn trả, in Vietnam
    appointment_date: Mapped[date | None] = mapped_column(Date)
    #: lệ phí owed, copied from the procedure at receipt
    fee_vnd: Mapped[int] = mapped_column(Integer, default=0)
    #: cước owed to the post
    postage_vnd: Mapped[int] = mapped_column(Integer, default=0)
    #: answers to the procedure's form
    form_data: Mapped[dict] = mapped_column(JSON, default=dict)
    #: checklist items the applicant lacked but chose to submit without (named on the slip)
    missing_items: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: first moment the result was ready (giải quyết xong); statistics' "settled" time
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: moment it was given back unsettled (rejected or withdrawn); statistics' "returned" (trả lại)
    given_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: optimistic lock: two officers acting at once cannot both win
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    agency = relationship("Agency")
    procedure = relationship("Procedure")
    citizen = relationship("User", foreign_keys=[citizen_id])
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    accepted_by = relationship("User", foreign_keys=[accepted_by_id])
    post_office = relationship("PostOffice")
    documents: Mapped[list["DossierDocument"]] = relationship(
        back_populates="dossier", order_by="DossierDocument.id", cascade="all, delete-orphan"
    )
    # money rows are never deleted with their dossier (no delete cascade): deleting a dossier that
    # collected money fails instead of erasing the books
    collected: Mapped[list["CollectedAmount"]] = relationship(
        back_populates="dossier", order_by="CollectedAmount.id", cascade="save-update, merge"
    )
    history: Mapped[list["DossierStatusChange"]] = relationship(
        back_populates="dossier", order_by="DossierStatusChange.id", cascade="all, delete-orphan"
    )

    @property
    def ref(self) -> str:
        """The public reference: the dossier code once accepted, the shipment number before."""
        return self.code or self.shipment_number


class DossierCodeCounter(Base):
    """Last sequence number issued per agency and Vietnamese calendar day.

    Incremented by an upsert in the transaction that inserts the dossier, so the row lock orders
    concurrent submissions and a rolled-back one gives its number back: codes stay gap-free.
    """

    __tablename__ = "dossier_code_counters"
    __table_args__ = (CheckConstraint("last_sequence BETWEEN 1 AND 9999", name="sequence_range"),)

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer)


class ShipmentNumberCounter(Base):
    """Last serial of the shipment numbers (S10) issued under one two-letter prefix."""

    __tablename__ = "shipment_number_counters"
    __table_args__ = (CheckConstraint("last_serial BETWEEN 1 AND 99999999", name="serial_range"),)

    prefix: Mapped[str] = mapped_column(String(2), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer)


class DossierDocument(Base):
    """One scanned document: one file per checklist item (Điều 7.2.a)."""

    __tablename__ = "dossier_documents"
    __table_args__ = (
        CheckConstraint("size_bytes > 0", name="not_empty"),
        UniqueConstraint("dossier_id", "checklist_item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    checklist_item_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_items.id"))
    #: the document's name as the checklist gives it
    title: Mapped[str] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(255))
    #: detected from the content, not taken from the client
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dossier: Mapped[Dossier] = relationship(back_populates="documents")


class CollectedAmount(Base):
    """Money taken for a dossier: the fee for the agency or the postage for the post."""

    __tablename__ = "collected_amounts"
    __table_args__ = (
        CheckConstraint("amount_vnd > 0", name="amount_positive"),
        # one fee row and one postage row per online payment: a replayed settlement cannot count twice
        UniqueConstraint("payment_id", "kind"),
        # cash and thu hộ are in the worker's till until remitted: each such row is a line of one shift's cash book
        CheckConstraint(
            "method NOT IN ('cash', 'collection_on_behalf') OR shift_id IS NOT NULL", name="cash_in_a_shift"
        ),
        Index("ix_collected_amounts_shift_id", "shift_id"),
        # the fee balance of the dossiers on a page
        Index("ix_collected_amounts_dossier_id", "dossier_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: no ON DELETE CASCADE: money taken stays on the books even if someone deletes the dossier
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    #: the online payment (VNPay attempt) that brought this money; None for cash, thu hộ, transfer at the post
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    kind: Mapped[PaymentKind] = mapped_column(Enum(PaymentKind, native_enum=False, length=16))
    method: Mapped[CollectionMethod] = mapped_column(
        Enum(CollectionMethod, native_enum=False, length=32)
    )
    #: integer VND
    amount_vnd: Mapped[int] = mapped_column(Integer)
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the collector's cash shift whose book this cash or thu hộ amount is a line of; None for other methods
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("cash_shifts.id"))

    dossier: Mapped[Dossier] = relationship(back_populates="collected")
    collected_by = relationship("User", foreign_keys=[collected_by_id])
    shift = relationship("CashShift")


class DossierStatusChange(Base):
    """One step of a dossier's history: who moved it, when, why."""

    __tablename__ = "dossier_status_changes"
    __table_args__ = (Index("ix_dossier_status_changes_dossier_id", "dossier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    from_status: Mapped[DossierStatus | None] = mapped_column(
        Enum(DossierStatus, native_enum=False, length=32)
    )
    to_status: Mapped[DossierStatus] = mapped_column(Enum(DossierStatus, native_enum=False, length=32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    #: the workflow action that made this step (dossiers.workflow.Action), e.g. "request_supplement"
    action: Mapped[str] = mapped_column(String(32), default="")
    #: facts of the step: reasons listed, new due time, how the result went back, ...
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    dossier: Mapped[Dossier] = relationship(back_populates="history")
