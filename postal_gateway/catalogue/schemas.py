"""The catalogue API's shapes: the search's query, procedures and agencies, checked and documented from the
same models. The catalogue is public (R-03)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import url_for
from flask_babel import gettext as _
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from postal_gateway.catalogue.models import AdministrativeLevel, Agency, ChecklistItem, Procedure, ProcedureField
from postal_gateway.catalogue.services import FIELD_LABELS, MAX_OFFSET, MAX_PAGE_SIZE, parse_field

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _known_field(value: Any) -> ProcedureField | None:
    """A field by its code or its Vietnamese heading, with or without diacritics (as the pages take it)."""
    try:
        return parse_field(value if isinstance(value, (str, ProcedureField)) else str(value))
    except ValueError:
        raise PydanticCustomError(
            "enum", "not a field", {"expected": ", ".join(member.value for member in ProcedureField)}
        ) from None


def _yes_or_no(value: Any) -> bool:
    text = str(value).strip().lower()
    if text not in _TRUE | _FALSE:
        raise PydanticCustomError("bool_parsing", "not a boolean")
    return text in _TRUE


class ProcedureSearchQuery(BaseModel):
    """The filters of ``GET /procedures``; an empty parameter is as if it were left out."""

    q: str | None = Field(None, max_length=200)
    field: Annotated[ProcedureField | None, BeforeValidator(_known_field)] = None
    level: Literal[3, 4] | None = Field(None, description="online service level")
    administrative_level: AdministrativeLevel | None = None
    postal: Annotated[bool, BeforeValidator(_yes_or_no)] = Field(
        False, description="`true`: only procedures the post may receive and return"
    )
    limit: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_left_out(cls, data: Any) -> Any:
        """Query parameters arrive as text: surrounding spaces go, an empty one is left out, and a level
        is the number it spells."""
        if not isinstance(data, dict):
            return data
        cleaned = {}
        for name, value in data.items():
            value = value.strip() if isinstance(value, str) else value
            if value == "" or value is None:
                continue
            if name == "level" and isinstance(value, str) and value.isdigit():
                value = int(value)
            cleaned[name] = value
        return cleaned


class ChecklistItemOut(BaseModel):
    position: int
    name: str
    required: bool
    copies: int

    @classmethod
    def of(cls, item: ChecklistItem) -> ChecklistItemOut:
        return cls(position=item.position, name=item.name, required=item.required, copies=item.copies)


class ProcedureSummary(BaseModel):
    """A procedure as the search lists it."""

    model_config = ConfigDict(title="ProcedureSummary")

    code: str
    name: str
    field: ProcedureField
    field_label: str
    sector: str
    administrative_level: AdministrativeLevel
    level: Literal[3, 4] = Field(description="online service level")
    processing_days: float = Field(multiple_of=0.5, description="working days")
    fee_vnd: int = Field(ge=0, description="0 means no fee")
    postal_eligible: bool
    postal_exclusion_reason: str | None
    processing_department: str
    agency_code: str
    agency_name: str
    demo_figures: bool = Field(description="time, fee or checklist are demonstration figures")
    needs_review: bool
    url: str = Field(json_schema_extra={"format": "uri"})

    @classmethod
    def fields_of(cls, procedure: Procedure) -> dict[str, Any]:
        return {
            "code": procedure.code,
            "name": procedure.name,
            "field": procedure.field,
            "field_label": _(FIELD_LABELS[procedure.field]),
            "sector": procedure.sector,
            "administrative_level": procedure.administrative_level,
            "level": procedure.level,
            "processing_days": float(procedure.processing_days),
            "fee_vnd": procedure.fee_vnd,
            "postal_eligible": procedure.postal_eligible,
            "postal_exclusion_reason": procedure.postal_exclusion_reason or None,
            "processing_department": procedure.processing_department,
            "agency_code": procedure.agency.code,
            "agency_name": procedure.agency.name,
            "demo_figures": procedure.demo_figures,
            "needs_review": procedure.needs_review,
            "url": url_for("catalogue.procedure_detail", code=procedure.code, _external=True),
        }

    @classmethod
    def of(cls, procedure: Procedure) -> ProcedureSummary:
        return cls(**cls.fields_of(procedure))


class ProcedureOut(ProcedureSummary):
    """One procedure with its checklist, in the published order."""

    model_config = ConfigDict(title="Procedure")

    checklist: list[ChecklistItemOut]

    @classmethod
    def of(cls, procedure: Procedure) -> ProcedureOut:
        return cls(
            **ProcedureSummary.fields_of(procedure),
            checklist=[ChecklistItemOut.of(item) for item in procedure.checklist],
        )


class ProcedurePageOut(BaseModel):
    """One page of procedures, ordered by field then code."""

    model_config = ConfigDict(title="ProcedurePage")

    items: list[ProcedureSummary]
    total: int
    limit: int
    offset: int


class AgencyOut(BaseModel):
    """An agency's published contacts."""

    model_config = ConfigDict(title="Agency")

    code: str = Field(pattern=r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")
    name: str
    one_stop_phone: str
    address: str
    head_name: str
    head_phone: str
    head_email: str
    province_office_email: str
    inspection_team_email: str

    @classmethod
    def of(cls, agency: Agency) -> AgencyOut:
        return cls(
            code=agency.code, name=agency.name, one_stop_phone=agency.one_stop_phone, address=agency.address,
            head_name=agency.head_name, head_phone=agency.head_phone, head_email=agency.head_email,
            province_office_email=agency.province_office_email, inspection_team_email=agency.inspection_team_email,
        )
