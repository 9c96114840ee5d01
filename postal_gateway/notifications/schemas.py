"""The citizen's notification preferences as the API reads and writes them (R-20), checked and documented from
the same models."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StrictBool, WithJsonSchema
from pydantic_core import PydanticCustomError

from postal_gateway.api.validation import IsoDateTime
from postal_gateway.notifications.models import NotificationPreference
from postal_gateway.notifications.service import CITIZEN_MESSAGE_KINDS, MANDATORY_TEMPLATES

#: a kind of message a citizen may turn off
CitizenMessageKind = Literal[tuple(CITIZEN_MESSAGE_KINDS)]
#: a kind of message sent whatever the citizen chose
MandatoryTemplate = Literal[tuple(sorted(MANDATORY_TEMPLATES))]


def _kinds_turned_off(value: Any) -> list[str]:
    """The list as a whole is named when it is wrong, as the preferences page names its ticks."""
    if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
        raise PydanticCustomError("list_type", "a list of kinds of message")
    if not set(value) <= CITIZEN_MESSAGE_KINDS.keys():
        raise PydanticCustomError("literal_error", "one of the kinds", {"expected": ", ".join(CITIZEN_MESSAGE_KINDS)})
    return value


KindsTurnedOff = Annotated[
    list[str],
    PlainValidator(_kinds_turned_off),
    WithJsonSchema({"type": "array", "items": {"type": "string", "enum": list(CITIZEN_MESSAGE_KINDS)},
                    "examples": [["apology", "delivery_scheduled"]]}),
]


class PreferencesIn(BaseModel):
    """`sms` and `email` are required; `muted_templates` absent keeps the kinds as they are, `[]` turns every
    kind on."""

    model_config = ConfigDict(title="NotificationPreferencesUpdate")

    sms: StrictBool = Field(description="Text messages to the account's phone.")
    email: StrictBool = Field(description="E-mails to the account's address.")
    muted_templates: KindsTurnedOff | None = None
    zalo: StrictBool | None = Field(
        default=None, description="Zalo notices (ZNS) to the account's phone instead of text messages; a legal "
                                  "notice Zalo cannot deliver goes by SMS. Absent: kept as it is.")


class PreferencesOut(BaseModel):
    """The citizen's choices, with the defaults of a citizen who never chose (everything on)."""

    model_config = ConfigDict(title="NotificationPreferences")

    sms: bool
    email: bool
    zalo: bool = Field(description="Zalo notices instead of text messages (off until chosen).")
    muted_templates: list[CitizenMessageKind]
    kinds: list[CitizenMessageKind] = Field(description="Every kind a citizen may turn off.")
    always_sent: list[MandatoryTemplate]
    updated_at: IsoDateTime | None = Field(description="Null until the citizen first chooses.")

    @classmethod
    def of(cls, preference: NotificationPreference | None) -> PreferencesOut:
        return cls(
            sms=preference is None or preference.sms,
            email=preference is None or preference.email,
            zalo=bool(preference is not None and preference.zalo),
            muted_templates=list(preference.muted_templates or []) if preference else [],
            kinds=list(CITIZEN_MESSAGE_KINDS),
            always_sent=sorted(MANDATORY_TEMPLATES),
            updated_at=preference.updated_at if preference else None,
        )
