"""Request bodies validated by pydantic models, refused as the API's usual problem+json.

One model per body gives both the check (``parse_body``) and the OpenAPI schema
(``openapi_schemas``), so the document cannot drift from what the code accepts.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    PlainSerializer,
    StrictInt,
    StrictStr,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from postal_gateway.api.request_guards import MAX_DATABASE_INT, unstorable
from postal_gateway.core.domain import N_, FieldError, InvalidInput

Model = TypeVar("Model", bound=BaseModel)

#: a database id sent in a body: an INTEGER column's range, so a huge number is a named field, not an overflow
DatabaseId = Annotated[StrictInt, Field(ge=1, le=MAX_DATABASE_INT)]

BODY_NOT_AN_OBJECT = N_("Nội dung yêu cầu phải là một đối tượng JSON.")
INVALID_FIELDS = N_("Dữ liệu không hợp lệ. Vui lòng xem từng mục.")
UNSTORABLE_TEXT = N_("Chứa ký tự không hợp lệ (ký tự NUL hoặc mã không phải UTF-8).")

# Message ids per pydantic error type; ``%(name)s`` placeholders are filled from the error's context.
MESSAGES = {
    "missing": N_("Bắt buộc."),
    "int_type": N_("Phải là số nguyên."),
    "int_parsing": N_("Phải là số nguyên."),
    "int_from_float": N_("Phải là số nguyên."),
    "string_type": N_("Phải là chuỗi ký tự."),
    "bool_type": N_("Phải là true hoặc false."),
    "bool_parsing": N_("Phải là true hoặc false."),
    "list_type": N_("Phải là một danh sách."),
    "dict_type": N_("Phải là một đối tượng."),
    "model_type": N_("Phải là một đối tượng."),
    "model_attributes_type": N_("Phải là một đối tượng."),
    "literal_error": N_("Một trong: %(expected)s."),
    "enum": N_("Một trong: %(expected)s."),
    "string_too_short": N_("Bắt buộc."),
    "string_too_long": N_("Tối đa %(max_length)s ký tự."),
    "too_long": N_("Tối đa %(max_length)s mục."),
    "greater_than_equal": N_("Không được nhỏ hơn %(ge)s."),
    "less_than_equal": N_("Không được lớn hơn %(le)s."),
    "string_pattern_mismatch": N_("Không đúng định dạng."),
    "invalid_base64": N_("Không phải base64 hợp lệ."),
}
OTHER_FAULT = N_("Giá trị không hợp lệ.")


def _decodes_as_base64(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise PydanticCustomError("invalid_base64", "not valid base64") from None
    return value


#: an aware datetime in the API's ISO form (``+00:00``, as ``datetime.isoformat`` writes it)
IsoDateTime = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

#: a file's content in standard base64, checked (not decoded) on the way in
Base64Text = Annotated[StrictStr, AfterValidator(_decodes_as_base64)]


def field_name(location: tuple[int | str, ...]) -> str:
    """pydantic's ("documents", 0, "filename") as the API names it: documents[0].filename."""
    name = ""
    for part in location:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def _field_error(detail: ErrorDetails) -> FieldError:
    message = MESSAGES.get(detail["type"], OTHER_FAULT)
    context = detail.get("ctx") or {}
    params = {key: str(value) for key, value in context.items() if f"%({key})s" in message}
    if "expected" in params:  # pydantic's "'a', 'b' or 'c'" as a plain list: a, b, c
        params["expected"] = params["expected"].replace("' or '", ", ").replace("', '", ", ").strip("'")
    return FieldError(field_name(detail["loc"]), message, params)


def field_errors(error: ValidationError) -> list[FieldError]:
    """Every fault pydantic found, in the API's own words, at most one per field."""
    found: dict[str, FieldError] = {}
    for detail in error.errors(include_url=False, include_input=False):
        item = _field_error(detail)
        found.setdefault(item.field, item)
    return list(found.values())


def _strings_in_json(document: Any) -> Iterator[tuple[str, str]]:
    """(field name, text) for every key and string value of a JSON document, walked without recursion."""
    pending: list[tuple[tuple[int | str, ...], Any]] = [((), document)]
    while pending:
        location, value = pending.pop()
        if isinstance(value, str):
            yield field_name(location), value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield field_name(location), key
                pending.append(((*location, key), item))
        elif isinstance(value, list):
            pending.extend(((*location, index), item) for index, item in enumerate(value))


def unstorable_fields(document: Any) -> list[FieldError]:
    """Every field holding text the database could not store (a NUL, a lone surrogate)."""
    fields = dict.fromkeys(name for name, text in _strings_in_json(document) if unstorable(text))
    return [FieldError(name, UNSTORABLE_TEXT) for name in fields]


def parse_body(model: type[Model], payload: Any) -> Model:
    """The request body as ``model``, or InvalidInput naming every bad field at once."""
    if not isinstance(payload, dict):
        raise InvalidInput.on_field("body", BODY_NOT_AN_OBJECT)
    if faults := unstorable_fields(payload):  # before pydantic: it would accept them as valid strings
        raise InvalidInput(INVALID_FIELDS, field_errors=faults)
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise InvalidInput(INVALID_FIELDS, field_errors=field_errors(error)) from None


def openapi_schemas(*models: type[BaseModel]) -> dict[str, dict]:
    """Components for the OpenAPI document: each model by its class name, nested models beside it."""
    schemas: dict[str, dict] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas
