"""The sandbox gateway's own records: what a real VNPay would keep on its side."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from postal_gateway.core.db import Base, UTCDateTime


class SandboxTransaction(Base):
    """A payment (type 01) or refund (02 full, 03 partial) as the gateway sees it."""

    __tablename__ = "sandbox_transactions"
    __table_args__ = (
        CheckConstraint("amount_vnd > 0", name="amount_positive"),
        UniqueConstraint("tmn_code", "txn_ref", "transaction_type", "transaction_no"),
        Index("ix_sandbox_transactions_ref", "tmn_code", "txn_ref"),
        Index("ix_sandbox_transactions_pay_date", "pay_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tmn_code: Mapped[str] = mapped_column(String(16))
    txn_ref: Mapped[str] = mapped_column(String(100))
    #: the gateway's transaction number (digits)
    transaction_no: Mapped[str] = mapped_column(String(32))
    transaction_type: Mapped[str] = mapped_column(String(2), default="01")
    amount_vnd: Mapped[int] = mapped_column(Integer)
    order_info: Mapped[str] = mapped_column(String(255), default="")
    return_url: Mapped[str] = mapped_column(String(500), default="")
    #: vnp_CreateDate as sent by the merchant (yyyyMMddHHmmss GMT+7); querydr must quote it
    create_date: Mapped[str] = mapped_column(String(14), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "" while the customer is on the pay page, then the chosen vnp_ResponseCode
    response_code: Mapped[str] = mapped_column(String(2), default="")
    #: 01 not finished, 00 success, 02 failed
    transaction_status: Mapped[str] = mapped_column(String(2), default="01")
    bank_code: Mapped[str] = mapped_column(String(20), default="NCB")
    pay_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: fault injected on the IPN of this transaction (see gateway.FAULTS)
    fault: Mapped[str] = mapped_column(String(16), default="")


class SandboxIpnDelivery(Base):
    """One IPN call the gateway owes the merchant; retried like VNPay does until 00 or 02."""

    __tablename__ = "sandbox_ipn_deliveries"
    __table_args__ = (Index("ix_sandbox_ipn_deliveries_due", "delivered_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("sandbox_transactions.id", ondelete="CASCADE"))
    #: the signed vnp_ query parameters
    params: Mapped[dict] = mapped_column(JSON)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: the merchant's answer is ignored this many more times (simulated timeouts)
    drop_answers: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_answer: Mapped[str] = mapped_column(String(120), default="")


class SandboxRequestId(Base):
    """vnp_RequestId values seen on the merchant API: a repeat is answered 94."""

    __tablename__ = "sandbox_request_ids"

    request_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
