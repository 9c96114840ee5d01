"""The consents API's shapes (R-02): the request, the code, the revocation and the consent itself, checked and
documented from the same models; and the reading of an end date, shared with the staff page."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, StrictStr, WithJsonSchema
from pydantic_core import PydanticCustomError

from postal_gateway.accounts.schemas import TextOrBlank, documented_as_six_digits
from postal_gateway.api.validation import DatabaseId
from postal_gateway.consents import models
from postal_gateway.consents.models import ConsentMethod, ConsentScope, ConsentStatus
from postal_gateway.consents.services import MAX_REASON_LENGTH, is_usable
from postal_gateway.core.domain import N_, FieldError, InvalidInput
from postal_gateway.core.formatting import VIETNAM

#: a moment in UTC written with a ``Z``, as the consents API always wrote it
UtcZulu = Annotated[
    datetime,
    PlainSerializer(lambda moment: moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def parse_valid_until(raw) -> datetime | None:
    """'' -> None; 'YYYY-MM-DD' -> the end of that day in Vietnam; ISO datetime with offset as given."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    error = InvalidInput(
        N_("Thông tin ủy quyền chưa hợp lệ."),
        field_errors=[FieldError("valid_until", N_("Ngày hết hạn không hợp lệ (dạng năm-tháng-ngày)."))],
    )
    if not isinstance(raw, str):
        raise error
    raw = raw.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            # "Until 30/06" means through that whole day: the consent ends at the next local midnight.
            return datetime.combine(day + timedelta(days=1), time(0, 0), VIETNAM).astimezone(timezone.utc)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise error from None
    if moment.tzinfo is None:
        raise error
    return moment.astimezone(timezone.utc)


def _end_of_validity(raw: str | None) -> datetime | None:
    try:
        return parse_valid_until(raw)
    except InvalidInput:
        raise PydanticCustomError("valid_until", "not a date or a time with offset") from None


class ConsentRequest(BaseModel):
    citizen_id: DatabaseId
    scope: ConsentScope
    valid_until: Annotated[StrictStr | None, AfterValidator(_end_of_validity)] = Field(
        None,
        description="ISO 8601 time with offset, or YYYY-MM-DD (through that day in Vietnam).",
        examples=["2026-06-30", "2026-06-30T17:00:00+07:00"],
    )


class ConsentCode(BaseModel):
    """The six digits the citizen received."""

    model_config = ConfigDict(json_schema_extra={"required": ["code"]})

    code: TextOrBlank = Field("", json_schema_extra=documented_as_six_digits)


class ConsentRevocation(BaseModel):
    reason: StrictStr = Field("", json_schema_extra={"maxLength": MAX_REASON_LENGTH})


class Consent(BaseModel):
    """A citizen's authorisation (ủy quyền) of a post office to act on their account."""

    id: int
    citizen_id: int
    post_office_id: int
    scope: ConsentScope
    method: ConsentMethod
    status: ConsentStatus
    valid_from: UtcZulu | None
    valid_until: UtcZulu | None
    created_at: UtcZulu | None
    confirmed_at: UtcZulu | None
    revoked_at: UtcZulu | None
    revocation_reason: str
    used_by_dossier_id: int | None
    scan_filename: str | None
    scan_sha256: str | None
    usable_now: bool = Field(description="Would the intake accept it right now?")

    @classmethod
    def of(cls, consent: models.Consent, now: datetime) -> Consent:
        return cls(
            id=consent.id,
            citizen_id=consent.citizen_id,
            post_office_id=consent.post_office_id,
            scope=consent.scope,
            method=consent.method,
            status=consent.status,
            valid_from=consent.valid_from,
            valid_until=consent.valid_until,
            created_at=consent.created_at,
            confirmed_at=consent.confirmed_at,
            revoked_at=consent.revoked_at,
            revocation_reason=consent.revocation_reason or "",
            used_by_dossier_id=consent.used_by_dossier_id,
            scan_filename=consent.scan_filename,
            scan_sha256=consent.scan_sha256,
            usable_now=is_usable(consent, now),
        )


class CitizenConsentsOut(BaseModel):
    """A citizen's consents, newest first."""

    citizen_id: int
    items: list[Consent]
