"""The contracts API's shapes: the quote's request and itemised answer (R-18), a cash refund of a lệ phí
(Điều 14.2.c) and its payment, checked and documented from the same models."""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from contracts import tariff
from contracts.models import CashRefund, Zone
from contracts.quotes import DEFAULT_WEIGHT_GRAMS, MAX_WEIGHT_GRAMS, Quote
from postal_gateway.api.validation import IsoDateTime

#: the longest address the quote places; the form and the intake wizard cut at the same length
ADDRESS_MAX = 500


class QuoteIn(BaseModel):
    """A procedure, where the dossier is picked up or handed in, where the result goes, and the weight."""

    model_config = ConfigDict(title="QuoteRequest")

    procedure_code: StrictStr = Field(examples=["T-BPC-281520-TT"])
    pickup_address: Annotated[StrictStr, Field(max_length=ADDRESS_MAX)] = Field(
        "", description="Address for home pickup; empty when handed in at `post_office_code`."
    )
    post_office_code: Annotated[StrictStr, Field(max_length=16)] = Field("", examples=["830000"])
    delivery_address: Annotated[StrictStr, Field(max_length=ADDRESS_MAX)] = Field(
        "", description="Where the result goes; empty means back where the dossier was handed in."
    )
    # lax: "400" was always read as 400 grams; 1.5 is still refused
    weight_grams: int = Field(DEFAULT_WEIGHT_GRAMS, ge=1, le=MAX_WEIGHT_GRAMS)
    fee_collected_on_behalf: StrictBool = False


class QuoteLine(BaseModel):
    """One priced line, owed to the post (cước) or to the agency (lệ phí)."""

    code: Literal["postage_forward", "postage_return", "home_pickup", "home_delivery", "collection_fee", "vat", "fee"]
    label: str
    amount_vnd: int = Field(ge=0)
    owed_to: Literal["post", "agency"]


class FullTripHours(BaseModel):
    """The agreed full-trip time of each leg, in clock hours."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    forward: int
    return_: int = Field(alias="return")


class QuoteOut(BaseModel):
    """The itemised quote: integer VND, VAT once on the post's lines (rounded half up to the đồng)."""

    model_config = ConfigDict(title="Quote")

    procedure_code: str
    contract_number: str
    contract_version: int
    forward_zone: Zone
    return_zone: Zone
    weight_grams: int
    lines: list[QuoteLine]
    postage_total_vnd: int = Field(description="owed to the post, VAT included")
    fee_vnd: int = Field(description="lệ phí owed to the agency")
    total_vnd: int
    full_trip_hours: FullTripHours = Field(description="agreed full-trip time of each leg, in clock hours")
    return_commitment_hours: int = Field(le=24)
    pickup_distance_km: float | None

    @classmethod
    def of(cls, quote: Quote, translate: Callable[[str, dict | None], str]) -> QuoteOut:
        """The answer in the reader's language (``translate(message, params)``); the distance to 0.1 km."""

        def line_out(line: tariff.QuoteLine) -> QuoteLine:
            return QuoteLine(code=line.code, label=translate(line.label, line.params),
                                amount_vnd=line.amount_vnd, owed_to=line.owed_to)

        distance = quote.pickup_distance_km
        return cls(
            procedure_code=quote.procedure_code,
            contract_number=quote.contract_number,
            contract_version=quote.version_number,
            forward_zone=quote.forward_zone,
            return_zone=quote.return_zone,
            weight_grams=quote.weight_grams,
            lines=[line_out(line) for line in quote.lines],
            postage_total_vnd=quote.postage_total_vnd,
            fee_vnd=quote.fee_vnd,
            total_vnd=quote.total_vnd,
            full_trip_hours=FullTripHours(forward=quote.forward_trip_hours, return_=quote.return_trip_hours),
            return_commitment_hours=quote.return_commitment_hours,
            pickup_distance_km=round(distance, 1) if distance is not None else None,
        )


#: the path segment naming a cash refund
REFUND_ID_PARAMETER = {"name": "refund_id", "in": "path", "required": True, "description": "The cash refund's id.",
                       "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}


class CashRefundIn(BaseModel):
    """The agency admin's authorisation to pay a flagged lệ phí back in cash at the post (Điều 14.2.c)."""

    model_config = ConfigDict(title="CashRefundRequest")

    amount_vnd: Annotated[StrictInt, Field(ge=1, le=10_000_000_000)] | None = Field(
        None, description="Integer VND; absent: all the fee taken in cash or on behalf that the flag names."
    )


class CashRefundPaymentIn(BaseModel):
    """What the postal worker records when paying the refund out: who took it and the voucher they signed."""

    model_config = ConfigDict(title="CashRefundPayment")

    recipient_name: Annotated[StrictStr, Field(min_length=1, max_length=255)]
    id_last4: Annotated[StrictStr, Field(pattern=r"^[0-9]{4}$", description="Last four digits of the ID number.")]
    voucher_number: Annotated[StrictStr, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z./_-]{0,31}$",
                                               description="Số phiếu chi: the voucher the recipient signed.")]


class CashRefundOut(BaseModel):
    """A lệ phí paid back in cash through the post (Điều 14.2.c): authorised, then paid."""

    model_config = ConfigDict(title="CashRefund")

    id: int
    dossier_ref: str = Field(description="The dossier code, or its shipment number when it never got one.")
    amount_vnd: int
    status: Literal["authorised", "paid"]
    authorised_at: IsoDateTime
    paid_at: IsoDateTime | None
    voucher_number: str | None

    @classmethod
    def of(cls, refund: CashRefund) -> CashRefundOut:
        return cls(id=refund.id, dossier_ref=refund.dossier.ref, amount_vnd=refund.amount_vnd,
                   status="paid" if refund.paid_at is not None else "authorised",
                   authorised_at=refund.authorised_at, paid_at=refund.paid_at, voucher_number=refund.voucher_number)
