"""The public lookup API's shapes (R-19): the question (query string or body) and the answer, which holds only
the fields R-19 lists."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from postal_gateway.api.validation import IsoDateTime
from postal_gateway.dossiers.models import DossierStatus
from postal_gateway.lookup.models import LookupRecord
from postal_gateway.lookup.services import public_view

CODE_EXAMPLE = "000.00.20.H10-261207-0001"
ID_NUMBER_DESCRIPTION = "12-digit citizen ID, 9-digit legacy ID, or passport number."


class LookupByQuery(BaseModel):
    """Exactly one of `code` or `id_number`, in the query string (kept for existing clients)."""

    code: str = Field("", max_length=64, description="Dossier code.", examples=[CODE_EXAMPLE])
    id_number: str = Field("", max_length=32, description=ID_NUMBER_DESCRIPTION)


class LookupByBody(BaseModel):
    """Exactly one of `code` or `id_number`."""

    model_config = ConfigDict(title="LookupQuery")

    code: Annotated[StrictStr, Field(max_length=64)] | None = Field("", examples=[CODE_EXAMPLE])
    id_number: Annotated[StrictStr, Field(max_length=32)] | None = Field("", description=ID_NUMBER_DESCRIPTION)


class TimelineEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: str = Field(json_schema_extra={"format": "date-time"})
    label: str
    place: str


class LookupDossier(BaseModel):
    """What anyone may read about a dossier (R-19): no coordinates, staff names or phone numbers."""

    model_config = ConfigDict(title="LookupDossier", extra="forbid")

    code: str | None = Field(description="Dossier code, issued when the agency accepts the dossier (Điều 14.4); "
                                         "null before.")
    shipment_number: str = Field(description="Số hiệu bưu gửi: the submission's reference, known from intake on.")
    submitted_at: IsoDateTime = Field(description="When the post submitted the dossier online (Điều 21.1).")
    lookup_url: str = Field(description="The address the QR code encodes.")
    agency_name: str
    processing_department: str
    organisation_name: str
    applicant_name: str = Field(description="In full for a lookup by code; masked (family name and initials, "
                                            "\"Nguyễn V. A.\") for a lookup by ID number (Nghị định 13/2023/NĐ-CP).")
    received_at: IsoDateTime | None = Field(description="Official receipt time; null until accepted.")
    appointment_date: date | None = Field(description="Null until accepted.")
    status: DossierStatus
    supplements: list[str] = Field(description="What must be supplemented, for an incomplete dossier.")
    timeline: list[TimelineEntry]

    @classmethod
    def of(cls, record: LookupRecord, lookup_url: str, *, name_shown: bool = True) -> LookupDossier:
        return cls(**public_view(record, name_shown=name_shown), lookup_url=lookup_url)


class LookupFound(BaseModel):
    """Matching dossiers (one for a code, up to 20 for an ID number)."""

    dossiers: list[LookupDossier]
