"""The JSON body of ``POST /api/v1/dossiers``: checked here, and documented from the same models."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt, StrictStr

from postal_gateway.api.validation import Base64Text, DatabaseId
from postal_gateway.dossiers.models import CollectionPlace
from postal_gateway.dossiers.services import ADDRESS_MAX, MAX_AMOUNT_VND, ORGANISATION_MAX

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
