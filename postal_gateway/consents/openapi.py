"""OpenAPI fragment of the consents area (R-02)."""
from __future__ import annotations

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_CONSENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Consent"}}}


def _id_parameter(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1}}


PATHS = {
    "/consents": {
        "post": {
            "operationId": "requestConsent",
            "tags": ["consents"],
            "summary": "Ask a citizen for a consent; a 6-digit code is sent to the citizen's phone",
            "description": (
                "Postal staff only. The consent is for the staff member's post office and stays `pending` "
                "until the citizen's code is confirmed. A `single_dossier` consent needs no end date and "
                "lapses 7 days after confirmation if unused; a `period` consent needs `valid_until`, in the "
                "future and at most 366 days away. `valid_until` is an ISO 8601 time with offset, or a date "
                "`YYYY-MM-DD` meaning through the end of that day in Vietnam."
            ),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ConsentRequest"}}},
            },
            "responses": {
                "201": {"description": "Pending consent; the code was sent.", "content": _CONSENT},
                "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "422": _PROBLEM,
                "429": _PROBLEM,
            },
        }
    },
    "/consents/{consent_id}/confirm": {
        "post": {
            "operationId": "confirmConsent",
            "tags": ["consents"],
            "summary": "Confirm a pending consent with the code the citizen received",
            "description": "Postal staff of the consent's post office. Five wrong codes kill the code (429).",
            "parameters": [_id_parameter("consent_id", "The consent.")],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {
                    "type": "object", "required": ["code"],
                    "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$", "examples": ["042917"]}},
                }}},
            },
            "responses": {
                "200": {"description": "The consent is active.", "content": _CONSENT},
                "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "409": _PROBLEM, "422": _PROBLEM,
                "429": _PROBLEM,
            },
        }
    },
    "/consents/{consent_id}/revoke": {
        "post": {
            "operationId": "revokeConsent",
            "tags": ["consents"],
            "summary": "Revoke a consent for ever",
            "description": "The citizen, or postal staff of the consent's post office (who must give a reason).",
            "parameters": [_id_parameter("consent_id", "The consent.")],
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"reason": {"type": "string", "maxLength": 500}},
                }}},
            },
            "responses": {
                "200": {"description": "The consent is revoked.", "content": _CONSENT},
                "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "409": _PROBLEM, "422": _PROBLEM,
            },
        }
    },
    "/consents/{consent_id}/review": {
        "post": {
            "operationId": "reviewSignedConsent",
            "tags": ["consents"],
            "summary": "Approve a signed authorisation scan (a second person of the post office)",
            "description": (
                "A consent by signed scan stays awaiting_review until another postal worker or the office "
                "manager of its post office (never the one who attached it) reviews it, or the citizen confirms it."
            ),
            "parameters": [_id_parameter("consent_id", "The consent.")],
            "responses": {
                "200": {"description": "The consent is active.", "content": _CONSENT},
                "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "409": _PROBLEM,
            },
        }
    },
    "/citizens/{citizen_id}/consents": {
        "get": {
            "operationId": "listCitizenConsents",
            "tags": ["consents"],
            "summary": "A citizen's consents, newest first",
            "description": "The citizen sees all of theirs; postal staff see those for their own post office.",
            "parameters": [_id_parameter("citizen_id", "The citizen's account.")],
            "responses": {
                "200": {
                    "description": "The consents.",
                    "content": {"application/json": {"schema": {
                        "type": "object", "required": ["citizen_id", "items"],
                        "properties": {
                            "citizen_id": {"type": "integer"},
                            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Consent"}},
                        },
                    }}},
                },
                "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM,
            },
        }
    },
}

_TIME = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS = {
    "ConsentRequest": {
        "type": "object",
        "required": ["citizen_id", "scope"],
        "properties": {
            "citizen_id": {"type": "integer"},
            "scope": {"type": "string", "enum": ["single_dossier", "period"]},
            "valid_until": {
                "type": ["string", "null"],
                "description": "ISO 8601 time with offset, or YYYY-MM-DD (through that day in Vietnam).",
                "examples": ["2026-06-30", "2026-06-30T17:00:00+07:00"],
            },
        },
    },
    "Consent": {
        "type": "object",
        "description": "A citizen's authorisation (ủy quyền) of a post office to act on their account.",
        "required": ["id", "citizen_id", "post_office_id", "scope", "method", "status", "usable_now"],
        "properties": {
            "id": {"type": "integer"},
            "citizen_id": {"type": "integer"},
            "post_office_id": {"type": "integer"},
            "scope": {"type": "string", "enum": ["single_dossier", "period"]},
            "method": {"type": "string", "enum": ["one_time_code", "signed_scan"]},
            "status": {"type": "string", "enum": ["pending", "awaiting_review", "active", "used", "revoked"]},
            "valid_from": _TIME,
            "valid_until": _TIME,
            "created_at": _TIME,
            "confirmed_at": _TIME,
            "revoked_at": _TIME,
            "revocation_reason": {"type": "string"},
            "used_by_dossier_id": {"type": ["integer", "null"]},
            "scan_filename": {"type": ["string", "null"]},
            "scan_sha256": {"type": ["string", "null"]},
            "usable_now": {"type": "boolean", "description": "Would the intake accept it right now?"},
        },
    },
}
