"""The accounts API's shapes: tokens, citizens registered by postal staff, their activation and search, checked
and documented from the same models."""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel

from postal_gateway.accounts.identity import mask_id_number, mask_phone
from postal_gateway.accounts.models import IdKind, User
from postal_gateway.accounts.services import citizen_status
from postal_gateway.accounts.tokens import TOKEN_LIFETIME
from postal_gateway.api.validation import IsoDateTime


def _blank_unless_text(value: Any) -> str:
    return value if isinstance(value, str) else ""


#: text whose absence or wrong type counts as left blank, so that the use case names it together with every
#: other bad field of the body (a refusal at the edge would name it alone) and a login fails as a login does
TextOrBlank = Annotated[str, BeforeValidator(_blank_unless_text)]
CitizenStatus = Literal["active", "activation_pending"]


def documented(**keywords: Any) -> Callable[[dict[str, Any]], None]:
    """JSON-schema keywords for a field whose absence counts as blank: the blank stand-in is no value to
    advertise as a default (the keywords say what callers must send; the use case names a blank one)."""

    def amend(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        schema.update(keywords)

    return amend


#: a one-time code as callers must send it
documented_as_six_digits = documented(pattern="^[0-9]{6}$", examples=["042917"])


class TokenRequest(BaseModel):
    identifier: TextOrBlank = Field("", description="E-mail or ID document number")
    password: TextOrBlank = Field("", json_schema_extra={"format": "password"})

    model_config = ConfigDict(
        json_schema_extra={"required": ["identifier", "password"]},
    )


class TokenOut(BaseModel):
    """The token; shown only this once."""

    model_config = ConfigDict(title="Token")

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="seconds (12 hours)")

    @classmethod
    def of(cls, raw_token: str) -> TokenOut:
        return cls(access_token=raw_token, token_type="Bearer", expires_in=int(TOKEN_LIFETIME.total_seconds()))


class CitizenRegistration(BaseModel):
    """A citizen registered by postal staff, with the ID document the worker holds (Điều 6.2)."""

    model_config = ConfigDict(json_schema_extra={"required": ["full_name", "id_number", "phone"]})

    full_name: TextOrBlank = Field("", description="exactly as on the ID document")
    id_number: TextOrBlank = Field("", description="12-digit citizen ID, 9-digit legacy ID or passport")
    phone: TextOrBlank = Field("", description="Vietnamese mobile number; the activation code goes here")
    email: TextOrBlank = ""
    organisation_name: TextOrBlank = ""
    address: TextOrBlank = ""
    activation_channel: TextOrBlank = Field("sms", json_schema_extra={"enum": ["sms", "email"]})
    id_issued_on: TextOrBlank = Field(
        "", description="issue date printed on the ID document the worker holds; required for a new account",
        json_schema_extra=documented(format="date"),
    )
    id_photo_base64: TextOrBlank = Field(
        "", description="photo (JPEG, PNG or PDF) of the card's front; required for a new account",
        json_schema_extra=documented(contentEncoding="base64"),
    )
    id_photo_filename: TextOrBlank = ""


class ActivationCode(BaseModel):
    model_config = ConfigDict(json_schema_extra={"required": ["code"]})

    code: TextOrBlank = Field("", json_schema_extra=documented_as_six_digits)


class CitizenSearchQuery(BaseModel):
    q: str = Field(
        "", description="The citizen's ID document number or mobile number, exactly; anything else finds nobody."
    )


class CitizenSummary(BaseModel):
    """What postal staff need to pick the right person, no more (Nghị định 13/2023/NĐ-CP): no e-mail, address or
    organisation; the ID and phone numbers masked."""

    model_config = ConfigDict(title="CitizenSummary")

    id: int
    full_name: str
    id_kind: IdKind | None
    id_number_masked: str = Field(examples=["070******111"])
    phone_masked: str = Field(examples=["+849*****678"])
    status: CitizenStatus

    @classmethod
    def of(cls, user: User) -> CitizenSummary:
        return cls(
            id=user.id,
            full_name=user.full_name,
            id_kind=user.id_kind,
            id_number_masked=mask_id_number(user.id_number),
            phone_masked=mask_phone(user.phone) if user.phone else "",
            status=citizen_status(user),
        )


class Citizen(BaseModel):
    """A citizen's account in full: for the citizen themself, and for the worker who just registered it."""

    model_config = ConfigDict(title="Citizen")

    id: int
    full_name: str
    id_kind: IdKind | None
    id_number: str | None
    phone: str = Field(description="E.164")
    email: str | None
    organisation_name: str
    address: str
    status: CitizenStatus
    registered_by_id: int | None
    created_at: IsoDateTime | None

    @classmethod
    def of(cls, user: User) -> Citizen:
        return cls(
            id=user.id,
            full_name=user.full_name,
            id_kind=user.id_kind,
            id_number=user.id_number,
            phone=user.phone,
            email=user.email,
            organisation_name=user.organisation_name,
            address=user.address,
            status=citizen_status(user),
            registered_by_id=user.registered_by_id,
            created_at=user.created_at,
        )


class CitizenSearchOut(BaseModel):
    """Up to 20 citizens."""

    items: list[CitizenSummary]


def _exactly_one_of(schema: dict[str, Any]) -> None:
    schema["oneOf"] = schema.pop("anyOf")  # the two never match the same answer: each lacks the other's numbers


class CitizenView(RootModel[Citizen | CitizenSummary]):
    """One citizen: in full to the citizen themself, as a summary to postal staff."""

    model_config = ConfigDict(json_schema_extra=_exactly_one_of)
