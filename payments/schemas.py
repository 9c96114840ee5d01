"""The payments API's shapes: the refund body, the fee balance, the refund and the reconciliation day, checked
and documented from the same models."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from payments.models import Payment, ReconciliationDay, Refund
from payments.services import FeeBalance
from postal_gateway.api.validation import IsoDateTime

#: the path segment naming a dossier
CODE_PARAMETER = {"name": "code", "in": "path", "required": True, "description": "The dossier code.",
                  "schema": {"type": "string", "maxLength": 32}}
#: the path segment naming a reconciliation day
DAY_PARAMETER = {"name": "day", "in": "path", "required": True, "description": "The Vietnamese day, YYYY-MM-DD.",
                 "schema": {"type": "string", "format": "date"}}


class RefundIn(BaseModel):
    """A refund of a dossier's online fee authorised by the agency's admin (R-13)."""

    amount_vnd: Annotated[StrictInt, Field(ge=1, description="Integer VND.")]
    reason: Annotated[StrictStr, Field(max_length=1000)]
    idempotency_key: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$",
                                                description="The same key again returns the same refund.")]


class PaymentAttempt(BaseModel):
    """One online payment attempt through VNPay."""

    txn_ref: str
    status: Literal["pending", "paid", "failed", "expired", "partially_refunded", "refunded"]
    fee_vnd: int
    postage_vnd: int
    amount_vnd: int
    refunded_vnd: int
    created_at: IsoDateTime
    expires_at: IsoDateTime
    settled_at: IsoDateTime | None
    settled_via: Literal["ipn", "querydr"] | None

    @classmethod
    def of(cls, payment: Payment) -> PaymentAttempt:
        return cls(
            txn_ref=payment.txn_ref, status=payment.status.value, fee_vnd=payment.fee_vnd,
            postage_vnd=payment.postage_vnd, amount_vnd=payment.amount_vnd, refunded_vnd=payment.refunded_vnd,
            created_at=payment.created_at, expires_at=payment.expires_at, settled_at=payment.settled_at,
            settled_via=payment.settled_via or None,
        )


class FeeBalanceOut(BaseModel):
    """What a dossier owes in lệ phí, what was paid (any method, minus refunds) and refunded (R-14)."""

    model_config = ConfigDict(title="FeeBalance")

    dossier_code: str
    owed_vnd: int
    paid_vnd: int
    refunded_vnd: int
    settled: bool = Field(description="False while paid and owed differ.")
    payments: list[PaymentAttempt]

    @classmethod
    def of(cls, dossier_code: str, balance: FeeBalance, payments: list[Payment]) -> FeeBalanceOut:
        return cls(
            dossier_code=dossier_code, owed_vnd=balance.owed_vnd, paid_vnd=balance.paid_vnd,
            refunded_vnd=balance.refunded_vnd, settled=balance.settled,
            payments=[PaymentAttempt.of(payment) for payment in payments],
        )


class RefundOut(BaseModel):
    """A refund and where it stands with VNPay."""

    model_config = ConfigDict(title="Refund")

    id: int
    status: Literal["requested", "sent", "completed", "failed"]
    amount_vnd: int
    transaction_type: Literal["02", "03"] = Field(description="02: the whole payment, 03: part of it.")
    response_code: str | None = Field(description="VNPay's answer; null until it answered.")

    @classmethod
    def of(cls, refund: Refund) -> RefundOut:
        return cls(id=refund.id, status=refund.status.value, amount_vnd=refund.amount_vnd,
                   transaction_type=refund.transaction_type, response_code=refund.response_code or None)


class ReconciliationTotal(BaseModel):
    """How many lines fell in one category, with our amount and the gateway's."""

    count: int
    ours_vnd: int
    gateway_vnd: int


class ReconciliationDayOut(BaseModel):
    """An agency's fee reconciliation for one Vietnamese day."""

    model_config = ConfigDict(title="ReconciliationDay")

    day: date
    status: Literal["open", "signed_off"]
    totals: dict[str, ReconciliationTotal] = Field(description="Per category.")
    open_exceptions: int
    signed_off_at: IsoDateTime | None

    @classmethod
    def of(cls, record: ReconciliationDay, open_exceptions: int) -> ReconciliationDayOut:
        return cls(day=record.day, status=record.status.value, totals=record.totals, open_exceptions=open_exceptions,
                   signed_off_at=record.signed_off_at)
