"""The dossiers API's shapes: the intake body, the dossier and the slip's query, checked and documented from
the same models."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from postal_gateway.api.validation import Base64Text, DatabaseId, IsoDateTime
from postal_gateway.dossiers.labels import status_label
from postal_gateway.dossiers.models import CollectionPlace, Dossier, DossierStatus
from postal_gateway.dossiers.services import ADDRESS_MAX, MAX_AMOUNT_VND, ORGANISATION_MAX, originals_follow_by_post

AmountVnd = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT_VND, description="Integer VND.")]
#: how the postal worker took money at intake (the other methods are not the worker's)
IntakeMethod = Literal["cash", "collection_on_behalf"]
RequiredText = Annotated[StrictStr, Field(min_length=1, pattern=r"\S")]


class ScanDocument(BaseModel):
    """One scan (PDF, JPEG or PNG) of one ticked checklist item."""

    checklist_item_id: DatabaseId
    filename: Annotated[RequiredText, Field(max_length=255)]
    content_base64: Annotated[Base64Text, Field(json_schema_extra={"contentEncoding": "base64"})]


class FeeCollected(BaseModel):
    """The lệ phí taken now; it must equal the procedure's fee."""

    amount_vnd: AmountVnd = 0
    method: IntakeMethod


class PostageOwed(BaseModel):
    """The cước owed; ``method`` null when it is collected later."""

    amount_vnd: AmountVnd = 0
    method: IntakeMethod | None = Field(None, description="How the postal worker took it; null: not collected now.")


class PostalSubmission(BaseModel):
    """A dossier collected by postal staff, submitted through the citizen's account (Điều 21.1)."""

    citizen_id: DatabaseId
    procedure_code: Annotated[RequiredText, Field(max_length=64, examples=["T-BPC-281520-TT"])]
    checklist: list[DatabaseId] = Field(default_factory=list, description="Checklist item ids present.")
    documents: list[ScanDocument] = Field(default_factory=list, description="One scan per ticked checklist item.")
    collection_place: CollectionPlace = CollectionPlace.post_office
    pickup_address: Annotated[StrictStr, Field(max_length=ADDRESS_MAX)] | None = Field(
        "", description="Required for citizen_address."
    )
    delivery_address: Annotated[StrictStr, Field(max_length=ADDRESS_MAX)] | None = Field(
        "", description="Empty: result collected at the post office."
    )
    organisation_name: Annotated[StrictStr, Field(max_length=ORGANISATION_MAX)] | None = ""
    fee: FeeCollected | None = Field(None, description="Omit or null if the fee is not collected now.")
    postage: PostageOwed | None = None
    form_data: dict[str, Any] | None = None
    digitally_signed: StrictBool = False


class CollectedOut(BaseModel):
    kind: Literal["fee", "postage"]
    method: str
    amount_vnd: int


class DocumentOut(BaseModel):
    checklist_item_id: int | None
    title: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


class StatusChangeOut(BaseModel):
    from_status: str | None
    to_status: str
    at: IsoDateTime
    actor_id: int | None
    on_behalf_of_id: int | None


class DossierOut(BaseModel):
    """A dossier as the API shows it to the citizen, staff of its post office or agency, and operators."""

    model_config = ConfigDict(title="Dossier")

    code: str | None = Field(description="Dossier code (Điều 14.4), e.g. 000.00.20.H10-261207-0001; issued when "
                                         "the agency accepts the dossier, null before.")
    status: str
    status_label: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    agency_name: str
    citizen_id: int
    applicant_name: str
    organisation_name: str
    channel: str
    level: int
    collection_place: str
    pickup_address: str
    delivery_address: str
    entered_at: IsoDateTime
    shipment_number: str = Field(description="Số hiệu bưu gửi (UPU S10): the submission's reference from intake on.")
    submitted_at: IsoDateTime = Field(description="When the post submitted it online (Điều 21.1).")
    accepted_at: IsoDateTime | None = Field(description="When the one-stop officer accepted it; null before.")
    receipt_basis: Literal["online_valid", "paper_handover"] | None = Field(
        description="What the receipt time was taken from (Điều 12.1.d); null before acceptance.")
    received_at: IsoDateTime | None = Field(description="Official receipt time (Điều 12.1.d); null before acceptance.")
    processing_start_at: IsoDateTime | None
    due_at: IsoDateTime | None
    appointment_date: date | None
    fee_vnd: int
    postage_vnd: int
    originals_by_post: bool = Field(description="Level 4 without digital signature (Điều 7.3).")
    collected: list[CollectedOut]
    documents: list[DocumentOut]
    history: list[StatusChangeOut]
    forms_url: str = Field(description="Where the forms the agency issued for it are listed (form 01 on "
                                       "acceptance, 02 and 03 at reception; Điều 9.1.b–c, 18).")

    @classmethod
    def of(cls, dossier: Dossier) -> DossierOut:
        return cls(
            code=dossier.code,
            status=dossier.status.value,
            status_label=status_label(dossier.status),
            procedure_code=dossier.procedure.code,
            procedure_name=dossier.procedure.name,
            agency_code=dossier.agency.code,
            agency_name=dossier.agency.name,
            citizen_id=dossier.citizen_id,
            applicant_name=dossier.citizen.full_name,
            organisation_name=dossier.organisation_name,
            channel=dossier.channel.value,
            level=dossier.level,
            collection_place=dossier.collection_place.value,
            pickup_address=dossier.pickup_address,
            delivery_address=dossier.delivery_address,
            entered_at=dossier.entered_at,
            shipment_number=dossier.shipment_number,
            submitted_at=dossier.submitted_at,
            accepted_at=dossier.accepted_at,
            receipt_basis=dossier.receipt_basis.value if dossier.receipt_basis else None,
            received_at=dossier.received_at,
            processing_start_at=dossier.processing_start_at,
            due_at=dossier.due_at,
            appointment_date=dossier.appointment_date,
            fee_vnd=dossier.fee_vnd,
            postage_vnd=dossier.postage_vnd,
            originals_by_post=originals_follow_by_post(dossier),
            collected=[
                CollectedOut(kind=c.kind.value, method=c.method.value, amount_vnd=c.amount_vnd)
                for c in dossier.collected
            ],
            documents=[
                DocumentOut(
                    checklist_item_id=d.checklist_item_id, title=d.title, filename=d.filename,
                    content_type=d.content_type, size_bytes=d.size_bytes, sha256=d.sha256,
                )
                for d in dossier.documents
            ],
            history=[
                StatusChangeOut(
                    from_status=h.from_status.value if h.from_status else None, to_status=h.to_status.value,
                    at=h.at, actor_id=h.actor_id, on_behalf_of_id=h.on_behalf_of_id,
                )
                for h in dossier.history
            ],
            forms_url=f"/api/v1/dossiers/{quote(dossier.ref, safe='')}/forms",
        )


class Resubmission(BaseModel):
    """The completed dossier goes back to the one-stop office (Điều 12.1.c): the person confirms every item
    asked for is completed, and may say how."""

    confirmed: StrictBool = Field(False, description="Every item of the completion request (form 02) is completed.")
    note: Annotated[StrictStr, Field(max_length=2000)] | None = Field(
        None, description="What was completed and how the papers were handed in.")
    version: Annotated[StrictInt, Field(ge=0, le=2**31 - 1)] | None = Field(
        None, description="The dossier version the caller saw; a different current version answers 409.")


class SlipQuery(BaseModel):
    layout: Literal["a4", "a5", "roll80"] = Field("a4", description="Paper: A4, A5 or an 80 mm receipt roll.")


class DossierListQuery(BaseModel):
    page: Annotated[int, Field(ge=1, le=100_000)] = Field(1, description="Page number, from 1.")
    per_page: Annotated[int, Field(ge=1, le=200)] = Field(50, description="Dossiers per page, at most 200.")
    status: Literal[tuple(status.value for status in DossierStatus)] | None = Field(
        None, description="Only the dossiers in this status.")


class DossierSummaryOut(BaseModel):
    code: str | None = Field(description="Dossier code (Điều 14.4); null until the agency accepts the dossier.")
    shipment_number: str = Field(description="Số hiệu bưu gửi (S10), the reference from intake on.")
    status: str
    status_label: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    submitted_at: IsoDateTime
    received_at: IsoDateTime | None
    appointment_date: date | None
    fee_vnd: int
    fee_state: Literal["due", "paid"] | None = Field(
        description="`due`: the fee is still to be paid online; `paid`; null when nothing is owed.")
    url: str = Field(description="The dossier in full (GET).")


class DossierList(BaseModel):
    """A page of the dossiers the caller may see, newest first: postal staff their post office's, agency staff
    their agency's, citizens their own, operators all."""

    model_config = ConfigDict(title="DossierList")

    items: list[DossierSummaryOut]
    page: int
    per_page: int
    total: int = Field(description="Dossiers over all the pages.")
    pages: int

    @classmethod
    def of(cls, dossiers: list[Dossier], *, fee_states: dict[int, str], urls: dict[int, str], page: int,
           per_page: int, total: int) -> DossierList:
        items = [DossierSummaryOut(
            code=d.code, shipment_number=d.shipment_number, status=d.status.value, status_label=status_label(d.status),
            procedure_code=d.procedure.code, procedure_name=d.procedure.name, applicant_name=d.citizen.full_name,
            submitted_at=d.submitted_at, received_at=d.received_at, appointment_date=d.appointment_date,
            fee_vnd=d.fee_vnd, fee_state=fee_states.get(d.id), url=urls[d.id],
        ) for d in dossiers]
        return cls(items=items, page=page, per_page=per_page, total=total, pages=max(1, -(-total // per_page)))
