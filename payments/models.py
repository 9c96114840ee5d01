"""Tables of the payments area: online payment attempts, rejected callbacks, refunds and reconciliation."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from payments.terminal_models import MerchantTerminal  # noqa: F401 - the area's tables, loaded together
from postal_gateway.core.db import Base, UTCDateTime, utcnow
from postal_gateway.dossiers.models import PaymentKind


class PaymentStatus(str, enum.Enum):
    #: sent to VNPay, no outcome known yet
    pending = "pending"
    #: VNPay confirmed it (IPN or querydr): ResponseCode and TransactionStatus both 00
    paid = "paid"
    #: VNPay reported a failure (cancelled 24, insufficient funds 51, timed out 11, ...)
    failed = "failed"
    #: closed without a known payment: past its window, or replaced by a newer attempt (a late IPN
    #: or querydr still settles it: money VNPay took is never ignored)
    expired = "expired"
    #: part of the amount went back to the citizen
    partially_refunded = "partially_refunded"
    #: the whole amount went back to the citizen
    refunded = "refunded"


#: statuses in which the money reached us (and may have been partly returned)
MONEY_RECEIVED = (PaymentStatus.paid, PaymentStatus.partially_refunded, PaymentStatus.refunded)
#: statuses a callback or querydr may still settle (a late success after expiry is still money taken)
SETTLEABLE = (PaymentStatus.pending, PaymentStatus.expired)


class Payment(Base):
    """One attempt to pay a dossier online: one vnp_TxnRef, with separate fee and postage lines."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("fee_vnd >= 0 AND postage_vnd >= 0", name="lines_not_negative"),
        CheckConstraint("amount_vnd = fee_vnd + postage_vnd AND amount_vnd > 0", name="amount_is_lines"),
        CheckConstraint("refunded_vnd >= 0 AND refunded_vnd <= amount_vnd", name="refund_within_amount"),
        CheckConstraint("expires_at > created_at", name="expiry_after_creation"),
        Index("ix_payments_dossier_id", "dossier_id"),
        Index("ix_payments_status_expires", "status", "expires_at"),
        Index("ix_payments_agency_paid", "agency_id", "pay_date"),
        # second and later attempts: where a dossier paid twice is looked for
        Index("ix_payments_retried", "agency_id", "dossier_id", postgresql_where=text("attempt > 1"),
              sqlite_where=text("attempt > 1")),
        # at most one open attempt per dossier: a double tap cannot start two payments of the same fee
        Index("uq_payments_one_pending_per_dossier", "dossier_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: vnp_TxnRef: the dossier code and the attempt number, unique per attempt
    txn_ref: Mapped[str] = mapped_column(String(100), unique=True)
    #: no ON DELETE CASCADE: a payment is money on the books and outlives any deletion of its dossier
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    #: the dossier's agency, copied so reconciliation by agency needs no join
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    #: lệ phí line, owed to the agency (from the dossier, never from the client)
    fee_vnd: Mapped[int] = mapped_column(Integer)
    #: cước line, owed to the post
    postage_vnd: Mapped[int] = mapped_column(Integer)
    #: what VNPay is asked to take: fee + postage
    amount_vnd: Mapped[int] = mapped_column(Integer)
    status: Mapped[PaymentStatus] = mapped_column(
        Enum(PaymentStatus, native_enum=False, length=24), default=PaymentStatus.pending
    )
    #: vnp_CreateDate, also the querydr/refund vnp_TransactionDate
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: vnp_ExpireDate
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the citizen's address sent as vnp_IpAddr
    ip_address: Mapped[str] = mapped_column(String(45))
    #: when we learnt the outcome
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "ipn" or "querydr": who told us
    settled_via: Mapped[str] = mapped_column(String(8), default="")
    #: vnp_PayDate as VNPay reported it
    pay_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_code: Mapped[str] = mapped_column(String(4), default="")
    transaction_status: Mapped[str] = mapped_column(String(4), default="")
    #: VNPay's transaction number, needed for refunds
    transaction_no: Mapped[str] = mapped_column(String(32), default="")
    bank_code: Mapped[str] = mapped_column(String(20), default="")
    #: sum of completed refunds
    refunded_vnd: Mapped[int] = mapped_column(Integer, default=0)
    #: last time the querydr job asked VNPay about it
    last_queried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dossier = relationship("Dossier")


class RejectedCallback(Base):
    """A callback (IPN, return, querydr answer) we refused, kept for audit; never holds the secret."""

    __tablename__ = "payment_rejected_callbacks"
    __table_args__ = (Index("ix_payment_rejected_callbacks_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: ipn, return, querydr, refund
    source: Mapped[str] = mapped_column(String(16))
    #: what we answered (IPN RspCode) or the reason code
    code: Mapped[str] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(String(255))
    txn_ref: Mapped[str] = mapped_column(String(100), default="")
    remote_addr: Mapped[str] = mapped_column(String(45), default="")
    #: the parameters as received, vnp_SecureHash kept (it is not the secret) but truncated
    params: Mapped[dict] = mapped_column(JSON, default=dict)


class RefundStatus(str, enum.Enum):
    #: authorised, not yet accepted by VNPay
    requested = "requested"
    #: VNPay accepted the request and is returning the money
    sent = "sent"
    #: VNPay confirmed the money went back
    completed = "completed"
    #: VNPay refused it (the reason is kept); the amount counts as paid again
    failed = "failed"


class Refund(Base):
    """Money returned to the citizen (R-13), authorised by an agency admin with a reason."""

    __tablename__ = "payment_refunds"
    __table_args__ = (
        CheckConstraint("amount_vnd > 0", name="amount_positive"),
        UniqueConstraint("dossier_id", "idempotency_key"),
        Index("ix_payment_refunds_status", "status"),
        # a payment's refunds, summed by the reconciliation for each refunded line
        Index("ix_payment_refunds_payment_id", "payment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: no ON DELETE CASCADE: a refund is money on the books and outlives any deletion of its dossier
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    amount_vnd: Mapped[int] = mapped_column(Integer)
    #: which line goes back: the lệ phí (fee) or the cước (postage) of the payment
    kind: Mapped[PaymentKind] = mapped_column(
        Enum(PaymentKind, native_enum=False, length=16), default=PaymentKind.fee, server_default=PaymentKind.fee.value
    )
    #: 02 full, 03 partial (VNPay's vnp_TransactionType)
    transaction_type: Mapped[str] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(Text)
    #: the agency admin who authorised it; None when queued automatically for a duplicate payment
    authorised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the form's one-time key: a double click finds this row instead of refunding twice
    idempotency_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[RefundStatus] = mapped_column(
        Enum(RefundStatus, native_enum=False, length=16), default=RefundStatus.requested
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: vnp_RequestId of the last call to VNPay's refund API
    request_id: Mapped[str] = mapped_column(String(32), default="")
    response_code: Mapped[str] = mapped_column(String(4), default="")
    message: Mapped[str] = mapped_column(String(255), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    payment: Mapped[Payment] = relationship()
    authorised_by = relationship("User")


class GatewayImport(Base):
    """One import of VNPay's daily transaction file (the rows live in gateway_transactions)."""

    __tablename__ = "payment_gateway_imports"
    __table_args__ = (Index("ix_payment_gateway_imports_agency_day", "agency_id", "business_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the Vietnamese day the file covers
    business_day: Mapped[date] = mapped_column(Date, index=True)
    #: the agency whose terminal's file this is; only that agency sees it, and only its days it changes
    #: (empty on files imported before terminals were per agency: no agency reads those any more)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    #: vnp_TmnCode of the terminal the file was issued for
    tmn_code: Mapped[str] = mapped_column(String(16), default="")
    filename: Mapped[str] = mapped_column(String(255), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    #: rows refused, each {"line", "column", "message"} (the first 200 kept)
    errors: Mapped[list] = mapped_column(JSON, default=list)
    error_count: Mapped[int] = mapped_column(Integer, default=0)


class GatewayTransaction(Base):
    """One row of VNPay's daily file, loaded in bulk (COPY on PostgreSQL)."""

    __tablename__ = "payment_gateway_transactions"
    __table_args__ = (
        # the reconciliation reads one agency's payments (01) or refunds (02, 03) of a day in txn_ref order
        Index("ix_payment_gateway_transactions_day_agency_type_ref",
              "business_day", "agency_code", "transaction_type", "txn_ref"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("payment_gateway_imports.id", ondelete="CASCADE"))
    business_day: Mapped[date] = mapped_column(Date)
    #: the agency code the txn_ref starts with (the dossier code's first part)
    agency_code: Mapped[str] = mapped_column(String(32))
    txn_ref: Mapped[str] = mapped_column(String(100))
    transaction_no: Mapped[str] = mapped_column(String(32))
    #: 01 payment, 02 full refund, 03 partial refund
    transaction_type: Mapped[str] = mapped_column(String(2))
    transaction_status: Mapped[str] = mapped_column(String(2))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    pay_date: Mapped[datetime] = mapped_column(UTCDateTime)
    bank_code: Mapped[str] = mapped_column(String(20), default="")


class DayStatus(str, enum.Enum):
    #: reconciled, exceptions may be open
    open = "open"
    #: signed off by an agency admin: locked
    signed_off = "signed_off"


class ReconciliationDay(Base):
    """Reconciliation (đối soát) of one agency's fees for one Vietnamese day."""

    __tablename__ = "payment_reconciliation_days"
    __table_args__ = (UniqueConstraint("agency_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[DayStatus] = mapped_column(Enum(DayStatus, native_enum=False, length=16), default=DayStatus.open)
    #: per category: {"count": n, "ours_vnd": x, "gateway_vnd": y}
    totals: Mapped[dict] = mapped_column(JSON, default=dict)
    #: whether the gateway's file for the day had been imported when this ran
    gateway_file_id: Mapped[int | None] = mapped_column(ForeignKey("payment_gateway_imports.id", ondelete="SET NULL"))
    reconciled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reconciled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    agency = relationship("Agency")
    signed_off_by = relationship("User", foreign_keys=[signed_off_by_id])


class ReconciliationItem(Base):
    """One line that is not simply matched: an exception to resolve, or a refund to show."""

    __tablename__ = "payment_reconciliation_items"
    __table_args__ = (Index("ix_payment_reconciliation_items_day", "day_id", "category"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("payment_reconciliation_days.id", ondelete="CASCADE"))
    #: see payments.reconciliation.CATEGORIES
    category: Mapped[str] = mapped_column(String(24))
    txn_ref: Mapped[str] = mapped_column(String(100), default="")
    dossier_code: Mapped[str] = mapped_column(String(32), default="")
    #: what the dossier owed (fee + postage lines of the attempt)
    owed_vnd: Mapped[int | None] = mapped_column(BigInteger)
    #: what our IPN/querydr records say
    ours_vnd: Mapped[int | None] = mapped_column(BigInteger)
    #: what the gateway's file says
    gateway_vnd: Mapped[int | None] = mapped_column(BigInteger)
    #: needs a comment from staff before the day can be signed off
    is_exception: Mapped[bool] = mapped_column(default=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, default="")

    resolved_by = relationship("User")
