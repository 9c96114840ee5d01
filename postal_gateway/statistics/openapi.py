"""OpenAPI fragment of the statistics API (R-21)."""
from __future__ import annotations

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_COUNTS = ["carried_on_time", "carried_late", "received", "to_settle", "settled_on_time", "settled_late",
           "in_progress_on_time", "in_progress_late", "supplement_requested", "returned"]

PATHS = {
    "/statistics": {
        "get": {
            "operationId": "agencyStatistics",
            "summary": "Dossier handling statistics per agency and period (the columns of seed 001)",
            "description": (
                "Whole days in Vietnam (Asia/Ho_Chi_Minh), `from`..`to` inclusive; default 1 January of this "
                "year to today. `to` may not be after today; at most 5 years. Agency staff see only their own "
                "agency (another agency's code is 403); operators see every agency or the one named. How each "
                "column is computed: docs/statistics.md."
            ),
            "tags": ["statistics"],
            "parameters": [
                {"name": "agency", "in": "query", "required": False, "schema": {"type": "string"},
                 "description": "Agency code, e.g. 000.00.20.H10"},
                {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
            ],
            "responses": {
                "200": {"description": "The table", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Statistics"}}}},
                "401": _PROBLEM, "403": _PROBLEM, "422": _PROBLEM,
            },
        }
    }
}

_ROW = {
    "type": "object",
    "properties": {
        "agency_code": {"type": "string"},
        "agency_name": {"type": "string"},
        **{key: {"type": "integer", "minimum": 0} for key in _COUNTS},
        "on_time_pct": {"type": ["number", "null"], "description": "settled on time / settled × 100, one decimal; null if none settled"},
    },
}

SCHEMAS = {
    "Statistics": {
        "type": "object",
        "properties": {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "cutoff": {"type": "string", "format": "date-time", "description": "moment lateness of open dossiers is judged at"},
            "columns": {"type": "array", "items": {"type": "string"}},
            "agencies": {"type": "array", "items": _ROW},
            "total": _ROW,
        },
    }
}
