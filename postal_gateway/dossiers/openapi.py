"""OpenAPI fragment of the dossiers API: postal intake, reading a dossier, its slip."""
from __future__ import annotations

from postal_gateway.api.validation import openapi_schemas
from postal_gateway.dossiers.schemas import PostalSubmission

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "Dossier code, e.g. 000.00.20.H10-261207-0001 (Điều 15).",
    "schema": {"type": "string", "pattern": r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9A-Z]{2}-[0-9]{6}-[0-9]{4}$"},
}
_DOSSIER = {"application/json": {"schema": {"$ref": "#/components/schemas/Dossier"}}}
_PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
_LAYOUT = {
    "name": "layout",
    "in": "query",
    "required": False,
    "description": "Paper: A4, A5 or an 80 mm receipt roll.",
    "schema": {"type": "string", "enum": ["a4", "a5", "roll80"], "default": "a4"},
}

PATHS = {
    "/dossiers": {
        "post": {
            "operationId": "submitPostalDossier",
            "summary": "Submit a dossier collected by postal staff, through the citizen's account",
            "description": (
                "Postal staff only. The citizen must have an active consent for the staff member's post "
                "office. Missing required checklist documents are all named at once (field `checklist`). "
                "One scan per ticked document. A level-3 fee must be collected at intake; a level-4 fee may "
                "be left for online payment. The `Idempotency-Key` header is required: the same key with the "
                "same body answers 200 with the same dossier and `Idempotent-Replayed: true`; the same key "
                "with a different body answers 409."
            ),
            "tags": ["dossiers"],
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PostalSubmission"}}},
            },
            "responses": {
                "201": {
                    "description": "Received; `Location` names the new dossier.",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": _DOSSIER,
                },
                "200": {
                    "description": "A retry of an earlier submission with the same key and body.",
                    "headers": {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]}}},
                    "content": _DOSSIER,
                },
                "400": _PROBLEM,
                "401": _PROBLEM,
                "403": _PROBLEM,
                "404": _PROBLEM,
                "409": _PROBLEM,
                "422": _PROBLEM,
            },
        }
    },
    "/dossiers/{code}": {
        "get": {
            "operationId": "getDossier",
            "summary": "Read a dossier (the citizen, staff of its post office or agency, operators)",
            "tags": ["dossiers"],
            "parameters": [_CODE],
            "responses": {"200": {"description": "The dossier.", "content": _DOSSIER}, "401": _PROBLEM, "404": _PROBLEM},
        }
    },
    "/dossiers/{code}/slip.pdf": {
        "get": {
            "operationId": "getDossierSlip",
            "summary": "Receipt and appointment slip (Điều 18) as PDF",
            "tags": ["dossiers"],
            "parameters": [_CODE, _LAYOUT],
            "responses": {
                "200": {"description": "The slip, inline.", "content": _PDF},
                "401": _PROBLEM,
                "404": _PROBLEM,
                "422": _PROBLEM,
            },
        }
    },
}

SCHEMAS = {
    **openapi_schemas(PostalSubmission),
    "Dossier": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "status": {"type": "string"},
            "status_label": {"type": "string"},
            "procedure_code": {"type": "string"},
            "procedure_name": {"type": "string"},
            "agency_code": {"type": "string"},
            "agency_name": {"type": "string"},
            "citizen_id": {"type": "integer"},
            "applicant_name": {"type": "string"},
            "organisation_name": {"type": "string"},
            "channel": {"type": "string"},
            "level": {"type": "integer"},
            "collection_place": {"type": "string"},
            "pickup_address": {"type": "string"},
            "delivery_address": {"type": "string"},
            "entered_at": {"type": "string", "format": "date-time"},
            "received_at": {"type": "string", "format": "date-time"},
            "processing_start_at": {"type": "string", "format": "date-time"},
            "due_at": {"type": "string", "format": "date-time"},
            "appointment_date": {"type": "string", "format": "date"},
            "fee_vnd": {"type": "integer"},
            "postage_vnd": {"type": "integer"},
            "originals_by_post": {"type": "boolean", "description": "Level 4 without digital signature (Điều 7.3)."},
            "collected": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": ["fee", "postage"]},
                        "method": {"type": "string"},
                        "amount_vnd": {"type": "integer"},
                    },
                },
            },
            "documents": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "checklist_item_id": {"type": ["integer", "null"]},
                        "title": {"type": "string"},
                        "filename": {"type": "string"},
                        "content_type": {"type": "string"},
                        "size_bytes": {"type": "integer"},
                        "sha256": {"type": "string"},
                    },
                },
            },
            "history": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "from_status": {"type": ["string", "null"]},
                        "to_status": {"type": "string"},
                        "at": {"type": "string", "format": "date-time"},
                        "actor_id": {"type": ["integer", "null"]},
                        "on_behalf_of_id": {"type": ["integer", "null"]},
                    },
                },
            },
        },
    },
}
