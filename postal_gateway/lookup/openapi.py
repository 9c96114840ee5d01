"""OpenAPI fragment of the public lookup (R-19)."""
from __future__ import annotations

_PROBLEM = {"$ref": "#/components/responses/Problem"}

_FOUND = {"description": "Matching dossiers (one for a code, up to 20 for an ID number).",
          "content": {"application/json": {"schema": {
              "type": "object", "required": ["dossiers"],
              "properties": {"dossiers": {"type": "array", "items": {"$ref": "#/components/schemas/LookupDossier"}}},
          }}}}

PATHS = {
    "/lookup": {
        "get": {
            "operationId": "lookupDossier",
            "tags": ["lookup"],
            "summary": "Public lookup of a dossier by its code or the applicant's ID number (R-19)",
            "description": (
                "No authentication. Give exactly one of `code` or `id_number`. The answer holds only the "
                "fields R-19 lists and a public timeline (no coordinates, staff names or phone numbers). "
                "Rate-limited per client: 30 lookups by code in a burst then one a second; 10 by ID number "
                "then one every 20 seconds (429 with Retry-After)."
            ),
            "security": [],
            "parameters": [
                {"name": "code", "in": "query", "required": False, "description": "Dossier code.",
                 "schema": {"type": "string", "maxLength": 64, "examples": ["000.00.20.H10-261207-0001"]}},
                {"name": "id_number", "in": "query", "required": False,
                 "description": "12-digit citizen ID, 9-digit legacy ID, or passport number.",
                 "schema": {"type": "string", "maxLength": 32}},
            ],
            "responses": {"200": _FOUND, "404": _PROBLEM, "422": _PROBLEM, "429": _PROBLEM},
        },
        "post": {
            "operationId": "lookupDossierByBody",
            "tags": ["lookup"],
            "summary": "The same lookup with the code or ID number in the body, out of URLs and access logs",
            "description": (
                "Preferred for lookups by ID number: a query string is kept by proxies, browser history and "
                "access logs. Same answer, same rate limits as GET."
            ),
            "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/LookupQuery"}}}},
            "responses": {"200": _FOUND, "404": _PROBLEM, "422": _PROBLEM, "429": _PROBLEM},
        },
    }
}

SCHEMAS = {
    "LookupQuery": {
        "type": "object",
        "description": "Exactly one of `code` or `id_number`.",
        "properties": {
            "code": {"type": "string", "maxLength": 64, "examples": ["000.00.20.H10-261207-0001"]},
            "id_number": {"type": "string", "maxLength": 32,
                          "description": "12-digit citizen ID, 9-digit legacy ID, or passport number."},
        },
    },
    "LookupDossier": {
        "type": "object",
        "required": ["code", "agency_name", "applicant_name", "received_at", "appointment_date", "status", "timeline"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string"},
            "lookup_url": {"type": "string", "description": "The address the QR code encodes."},
            "agency_name": {"type": "string"},
            "processing_department": {"type": "string"},
            "organisation_name": {"type": "string"},
            "applicant_name": {"type": "string"},
            "received_at": {"type": "string", "format": "date-time"},
            "appointment_date": {"type": "string", "format": "date"},
            "status": {"type": "string", "enum": [
                "received", "transferred", "in_processing", "verification", "result_ready", "returned",
                "supplement_requested", "rejected", "overdue", "withdrawn"]},
            "supplements": {"type": "array", "items": {"type": "string"},
                            "description": "What must be supplemented, for an incomplete dossier."},
            "timeline": {"type": "array", "items": {
                "type": "object", "required": ["at", "label"], "additionalProperties": False,
                "properties": {"at": {"type": "string", "format": "date-time"},
                               "label": {"type": "string"}, "place": {"type": "string"}},
            }},
        },
    }
}
