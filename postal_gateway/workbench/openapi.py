"""OpenAPI fragment of the one-stop workbench API: queue, a dossier with its timeline, the paper
hand-over and every workflow step, apology letters."""
from __future__ import annotations

from postal_gateway.api.validation import openapi_schemas
from postal_gateway.workbench.schemas import WorkbenchAction, WorkbenchHandover

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "Dossier code, e.g. 000.00.20.H10-261207-0001. Another agency's dossier answers 404.",
    "schema": {"type": "string"},
}
_VIEW = {"application/json": {"schema": {"$ref": "#/components/schemas/WorkbenchDossier"}}}
_REFUSALS = {"400": _PROBLEM, "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "409": _PROBLEM, "422": _PROBLEM}
_STATES = ["received", "transferred", "in_processing", "verification", "result_ready", "returned",
           "supplement_requested", "rejected", "overdue", "withdrawn"]

PATHS = {
    "/workbench/dossiers": {
        "get": {
            "operationId": "workbenchQueue",
            "summary": "The officer's agency's dossiers: counts per state and the chosen list by due time",
            "tags": ["workbench"],
            "parameters": [{
                "name": "status", "in": "query", "required": False,
                "description": "A state, or `late` for dossiers past their due time; default: all open dossiers.",
                "schema": {"type": "string", "enum": [*_STATES, "late"]},
            }],
            "responses": {
                "200": {"description": "Queue", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WorkbenchQueue"}}}},
                "400": _PROBLEM, "401": _PROBLEM, "403": _PROBLEM, "422": _PROBLEM,
            },
        }
    },
    "/workbench/dossiers/{code}": {
        "get": {
            "operationId": "workbenchDossier",
            "summary": "One dossier of the officer's agency with its timeline and the steps allowed next",
            "tags": ["workbench"],
            "parameters": [_CODE],
            "responses": {"200": {"description": "Dossier", "content": _VIEW}, "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM},
        }
    },
    "/workbench/dossiers/{code}/handover": {
        "post": {
            "operationId": "workbenchHandover",
            "summary": "Sign for the paper dossier brought by the post after comparing it with the online one",
            "description": "Postal dossiers only, once. `discrepancies` is required when `paper_matches` is false. "
                           "Ends the forward shipment leg (tracking).",
            "tags": ["workbench"],
            "parameters": [_CODE],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WorkbenchHandover"}}}},
            "responses": {"200": {"description": "Signed", "content": _VIEW}, **_REFUSALS},
        }
    },
    "/workbench/dossiers/{code}/actions": {
        "post": {
            "operationId": "workbenchAction",
            "summary": "Take one workflow step",
            "description": (
                "`version` is the dossier version the caller saw; if someone acted in between the answer is 409 "
                "and nothing changes. A step the state machine does not allow from the current state is 409 with "
                "the reason. Fields per action: request_supplement and reject: `reasons` (list, all at once); "
                "withdraw: `reason`; ask_opinion: `agency_code`, `question`, `working_days` (1-30); "
                "record_opinion: `opinion_id`, `answer`; apologise: `reason`, `new_date` (a later working day; "
                "only past the due time); mark_result_ready: `note`; return_result: `via` (post or counter; level 4 "
                "is refused until the fee paid equals the fee owed)."
            ),
            "tags": ["workbench"],
            "parameters": [_CODE],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WorkbenchAction"}}}},
            "responses": {"200": {"description": "Done", "content": _VIEW}, **_REFUSALS},
        }
    },
    "/workbench/dossiers/{code}/apology-letters/{number}.pdf": {
        "get": {
            "operationId": "workbenchApologyLetter",
            "summary": "An apology letter (Vietnamese PDF)",
            "tags": ["workbench"],
            "parameters": [_CODE, {"name": "number", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": {"description": "PDF", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                          "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM},
        }
    },
}

_SUMMARY = {
    "type": "object",
    "properties": {
        "code": {"type": "string"}, "status": {"type": "string", "enum": _STATES}, "version": {"type": "integer"},
        "procedure_code": {"type": "string"}, "applicant_name": {"type": "string"}, "channel": {"type": "string"},
        "level": {"type": "integer"}, "received_at": {"type": "string", "format": "date-time"},
        "due_at": {"type": "string", "format": "date-time"}, "appointment_date": {"type": "string", "format": "date"},
        "late": {"type": "boolean"},
    },
}

SCHEMAS = {
    "WorkbenchQueue": {
        "type": "object",
        "properties": {
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "late": {"type": "integer"},
            "dossiers": {"type": "array", "items": _SUMMARY},
        },
    },
    "WorkbenchDossier": {
        "allOf": [_SUMMARY, {
            "type": "object",
            "properties": {
                "allowed_actions": {"type": "array", "items": {"type": "string"}},
                "timeline": {"type": "array", "items": {"type": "object", "properties": {
                    "at": {"type": "string", "format": "date-time"}, "kind": {"type": "string"},
                    "title": {"type": "string"}, "lines": {"type": "array", "items": {"type": "string"}},
                    "actor": {"type": "string"}}}},
                "apology_letters": {"type": "array", "items": {"type": "object", "properties": {
                    "number": {"type": "integer"}, "issued_at": {"type": "string", "format": "date-time"},
                    "reason": {"type": "string"}, "new_appointment_date": {"type": "string", "format": "date"}}}},
            },
        }],
    },
    **openapi_schemas(WorkbenchAction, WorkbenchHandover),
}
