"""OpenAPI fragment of the accounts area: tokens and citizens registered by postal staff."""
from __future__ import annotations

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_CITIZEN = {"application/json": {"schema": {"$ref": "#/components/schemas/Citizen"}}}
_SUMMARY = {"application/json": {"schema": {"$ref": "#/components/schemas/CitizenSummary"}}}
_CITIZEN_ID = {"name": "citizen_id", "in": "path", "required": True, "schema": {"type": "integer"}}

SCHEMAS = {
    "TokenRequest": {
        "type": "object",
        "required": ["identifier", "password"],
        "properties": {
            "identifier": {"type": "string", "description": "E-mail or ID document number"},
            "password": {"type": "string", "format": "password"},
        },
    },
    "Token": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"type": "string", "const": "Bearer"},
            "expires_in": {"type": "integer", "description": "seconds (12 hours)"},
        },
    },
    "CitizenRegistration": {
        "type": "object",
        "required": ["full_name", "id_number", "phone"],
        "properties": {
            "full_name": {"type": "string", "description": "exactly as on the ID document"},
            "id_number": {"type": "string", "description": "12-digit citizen ID, 9-digit legacy ID or passport"},
            "phone": {"type": "string", "description": "Vietnamese mobile number; the activation code goes here"},
            "email": {"type": "string"},
            "organisation_name": {"type": "string"},
            "address": {"type": "string"},
            "activation_channel": {"type": "string", "enum": ["sms", "email"], "default": "sms"},
            "id_issued_on": {"type": "string", "format": "date",
                             "description": "issue date printed on the ID document the worker holds; required for a new account"},
            "id_photo_base64": {"type": "string", "contentEncoding": "base64",
                                "description": "photo (JPEG, PNG or PDF) of the card's front; required for a new account"},
            "id_photo_filename": {"type": "string"},
        },
    },
    "CitizenSummary": {
        "type": "object",
        "description": "What postal staff need to pick the right person, no more (Nghị định 13/2023/NĐ-CP)",
        "required": ["id", "full_name", "id_number_masked", "phone_masked", "status"],
        "properties": {
            "id": {"type": "integer"},
            "full_name": {"type": "string"},
            "id_kind": {"type": ["string", "null"], "enum": ["citizen_id", "legacy_id", "passport", None]},
            "id_number_masked": {"type": "string", "examples": ["070******111"]},
            "phone_masked": {"type": "string", "examples": ["+849*****678"]},
            "status": {"type": "string", "enum": ["active", "activation_pending"]},
        },
    },
    "Citizen": {
        "type": "object",
        "required": ["id", "full_name", "id_number", "status"],
        "properties": {
            "id": {"type": "integer"},
            "full_name": {"type": "string"},
            "id_kind": {"type": ["string", "null"], "enum": ["citizen_id", "legacy_id", "passport", None]},
            "id_number": {"type": "string"},
            "phone": {"type": "string", "description": "E.164"},
            "email": {"type": ["string", "null"]},
            "organisation_name": {"type": "string"},
            "address": {"type": "string"},
            "status": {"type": "string", "enum": ["active", "activation_pending"]},
            "registered_by_id": {"type": ["integer", "null"]},
            "created_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "ActivationCode": {
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"}},
    },
}

PATHS = {
    "/token": {
        "post": {
            "summary": "Exchange an identifier and password for a bearer token (12 hours)",
            "tags": ["accounts"],
            "security": [],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TokenRequest"}}},
            },
            "responses": {
                "200": {
                    "description": "The token; shown only this once",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Token"}}},
                },
                "401": _PROBLEM,
                "422": _PROBLEM,
                "429": _PROBLEM,
            },
        },
        "delete": {
            "summary": "Revoke the token used for this request",
            "tags": ["accounts"],
            "responses": {"204": {"description": "Revoked"}, "401": _PROBLEM},
        },
    },
    "/citizens": {
        "get": {
            "summary": "Find the citizen holding exactly this ID number or mobile number (postal staff; audited)",
            "tags": ["accounts"],
            "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string", "minLength": 2}}],
            "responses": {
                "200": {
                    "description": "Up to 20 citizens",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/CitizenSummary"}}},
                            }
                        }
                    },
                },
                "401": _PROBLEM,
                "403": _PROBLEM,
            },
        },
        "post": {
            "summary": "Register a citizen on their behalf (postal staff); an existing account is returned instead",
            "description": (
                "Creates an inactive account and sends the activation code to the citizen's phone; the worker "
                "records the ID document seen (issue date and photo) and the citizen is told by SMS and e-mail. "
                "If the ID number already has an account, its summary is returned with 200 (Điều 6.2)."
            ),
            "tags": ["accounts"],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CitizenRegistration"}}},
            },
            "responses": {
                "201": {"description": "Created, status activation_pending", "content": _CITIZEN},
                "200": {"description": "The citizen already had an account", "content": _SUMMARY},
                "401": _PROBLEM,
                "403": _PROBLEM,
                "409": _PROBLEM,
                "422": _PROBLEM,
                "429": _PROBLEM,
            },
        },
    },
    "/citizens/{citizen_id}": {
        "get": {
            "summary": "One citizen: in full to the citizen themself, as a summary to postal staff",
            "tags": ["accounts"],
            "parameters": [_CITIZEN_ID],
            "responses": {"200": {"description": "The citizen", "content": {"application/json": {"schema": {"oneOf": [
                {"$ref": "#/components/schemas/Citizen"}, {"$ref": "#/components/schemas/CitizenSummary"}]}}}},
                "401": _PROBLEM, "404": _PROBLEM},
        }
    },
    "/citizens/{citizen_id}/activation": {
        "post": {
            "summary": "Activate a citizen's account with the code the citizen reads out (postal staff)",
            "tags": ["accounts"],
            "parameters": [_CITIZEN_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActivationCode"}}},
            },
            "responses": {
                "200": {"description": "Activated", "content": _CITIZEN},
                "401": _PROBLEM,
                "404": _PROBLEM,
                "409": _PROBLEM,
                "422": _PROBLEM,
                "429": _PROBLEM,
            },
        }
    },
}
