"""OpenAPI fragment of the catalogue's public API (no authentication: the catalogue is public, R-03)."""
from __future__ import annotations

_PROBLEM = {"$ref": "#/components/responses/Problem"}

PATHS = {
    "/procedures": {
        "get": {
            "tags": ["catalogue"],
            "summary": "Search the published procedures",
            "description": (
                "Procedures with their fee, processing time and whether the post may receive them. "
                "`q` matches code or name word by word, ignoring case and Vietnamese diacritics "
                "(`cap giay phep` finds `Cấp giấy phép`). Every bad parameter is named in `errors`."
            ),
            "operationId": "searchProcedures",
            "security": [],
            "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}},
                {
                    "name": "field",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["press", "broadcasting", "publishing", "postal"]},
                },
                {
                    "name": "level",
                    "in": "query",
                    "description": "online service level",
                    "schema": {"type": "integer", "enum": [3, 4]},
                },
                {
                    "name": "administrative_level",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["province", "district", "commune"]},
                },
                {
                    "name": "postal",
                    "in": "query",
                    "description": "`true`: only procedures the post may receive and return",
                    "schema": {"type": "boolean"},
                },
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
            ],
            "responses": {
                "200": {
                    "description": "One page of procedures, ordered by field then code.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProcedurePage"}}},
                },
                "422": _PROBLEM,
            },
        }
    },
    "/procedures/{code}": {
        "get": {
            "tags": ["catalogue"],
            "summary": "One procedure with its checklist",
            "operationId": "getProcedure",
            "security": [],
            "parameters": [
                {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}, "example": "T-BPC-281520-TT"}
            ],
            "responses": {
                "200": {
                    "description": "The procedure.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Procedure"}}},
                },
                "404": _PROBLEM,
            },
        }
    },
    "/agencies/{code}": {
        "get": {
            "tags": ["catalogue"],
            "summary": "An agency's published contacts",
            "operationId": "getAgency",
            "security": [],
            "parameters": [
                {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}, "example": "000.00.20.H10"}
            ],
            "responses": {
                "200": {
                    "description": "The agency.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Agency"}}},
                },
                "404": _PROBLEM,
            },
        }
    },
}

_PROCEDURE_PROPERTIES = {
    "code": {"type": "string"},
    "name": {"type": "string"},
    "field": {"type": "string", "enum": ["press", "broadcasting", "publishing", "postal"]},
    "field_label": {"type": "string"},
    "sector": {"type": "string"},
    "administrative_level": {"type": "string", "enum": ["province", "district", "commune"]},
    "level": {"type": "integer", "enum": [3, 4]},
    "processing_days": {"type": "number", "multipleOf": 0.5, "description": "working days"},
    "fee_vnd": {"type": "integer", "minimum": 0, "description": "0 means no fee"},
    "postal_eligible": {"type": "boolean"},
    "postal_exclusion_reason": {"type": ["string", "null"]},
    "processing_department": {"type": "string"},
    "agency_code": {"type": "string"},
    "agency_name": {"type": "string"},
    "demo_figures": {"type": "boolean", "description": "time, fee or checklist are demonstration figures"},
    "needs_review": {"type": "boolean"},
    "url": {"type": "string", "format": "uri"},
}

SCHEMAS = {
    "ProcedureSummary": {
        "type": "object",
        "required": ["code", "name", "field", "level", "processing_days", "fee_vnd", "postal_eligible", "agency_code"],
        "properties": _PROCEDURE_PROPERTIES,
    },
    "Procedure": {
        "type": "object",
        "required": ["code", "name", "field", "level", "processing_days", "fee_vnd", "postal_eligible", "agency_code", "checklist"],
        "properties": {
            **_PROCEDURE_PROPERTIES,
            "checklist": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["position", "name"],
                    "properties": {
                        "position": {"type": "integer"},
                        "name": {"type": "string"},
                        "required": {"type": "boolean"},
                        "copies": {"type": "integer"},
                    },
                },
            },
        },
    },
    "ProcedurePage": {
        "type": "object",
        "required": ["items", "total", "limit", "offset"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/ProcedureSummary"}},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    },
    "Agency": {
        "type": "object",
        "required": ["code", "name", "one_stop_phone"],
        "properties": {
            "code": {"type": "string", "pattern": "^[0-9]{3}\\.[0-9]{2}\\.[0-9]{2}\\.[A-Z][0-9]{2}$"},
            "name": {"type": "string"},
            "one_stop_phone": {"type": "string"},
            "address": {"type": "string"},
            "head_name": {"type": "string"},
            "head_phone": {"type": "string"},
            "head_email": {"type": "string"},
            "province_office_email": {"type": "string"},
            "inspection_team_email": {"type": "string"},
        },
    },
}
