"""OpenAPI fragment of the payments area: fee balance, refunds, reconciliation totals."""
from __future__ import annotations

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_CODE = {"name": "code", "in": "path", "required": True, "description": "The dossier code.",
         "schema": {"type": "string", "maxLength": 32}}
_DAY = {"name": "day", "in": "path", "required": True, "description": "The Vietnamese day, YYYY-MM-DD.",
        "schema": {"type": "string", "format": "date"}}

PATHS = {
    "/payments/dossiers/{code}": {
        "get": {
            "operationId": "getDossierPayments", "tags": ["payments"],
            "summary": "Fee owed, paid and refunded for a dossier, with its online payment attempts",
            "description": "Agency staff and admins of the dossier's agency. `paid_vnd` counts every fee collected "
                           "(any method) minus refunds; `settled` is false while paid and owed differ (R-14).",
            "parameters": [_CODE],
            "responses": {"200": {"description": "The balance.", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/FeeBalance"}}}},
                "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM},
        }
    },
    "/payments/dossiers/{code}/refunds": {
        "post": {
            "operationId": "refundDossierFee", "tags": ["payments"],
            "summary": "Authorise a full or partial refund of a dossier's online fee (R-13) and send it to VNPay",
            "description": "Agency admins only. The same `idempotency_key` again returns the same refund. Refused "
                           "(409) once the dossier's result is ready or returned, and (422) above what can still be refunded.",
            "parameters": [_CODE],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["amount_vnd", "reason", "idempotency_key"],
                "properties": {"amount_vnd": {"type": "integer", "minimum": 1},
                               "reason": {"type": "string", "maxLength": 1000},
                               "idempotency_key": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"}}}}}},
            "responses": {"201": {"description": "The refund and its state.", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Refund"}}}},
                "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "409": _PROBLEM, "422": _PROBLEM},
        }
    },
    "/payments/reconciliation/{day}": {
        "get": {
            "operationId": "getReconciliationDay", "tags": ["payments"],
            "summary": "Totals per category of the caller's agency's fee reconciliation for a day",
            "parameters": [_DAY],
            "responses": {"200": {"description": "The day.", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/ReconciliationDay"}}}},
                "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "422": _PROBLEM},
        }
    },
}

_TOTAL = {"type": "object", "properties": {"count": {"type": "integer"}, "ours_vnd": {"type": "integer"},
                                           "gateway_vnd": {"type": "integer"}}}

SCHEMAS = {
    "PaymentAttempt": {"type": "object", "properties": {
        "txn_ref": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "paid", "failed", "expired", "partially_refunded", "refunded"]},
        "fee_vnd": {"type": "integer"}, "postage_vnd": {"type": "integer"}, "amount_vnd": {"type": "integer"},
        "refunded_vnd": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"},
        "expires_at": {"type": "string", "format": "date-time"},
        "settled_at": {"type": ["string", "null"], "format": "date-time"},
        "settled_via": {"type": ["string", "null"], "enum": ["ipn", "querydr", None]}}},
    "FeeBalance": {"type": "object", "properties": {
        "dossier_code": {"type": "string"}, "owed_vnd": {"type": "integer"}, "paid_vnd": {"type": "integer"},
        "refunded_vnd": {"type": "integer"}, "settled": {"type": "boolean"},
        "payments": {"type": "array", "items": {"$ref": "#/components/schemas/PaymentAttempt"}}}},
    "Refund": {"type": "object", "properties": {
        "id": {"type": "integer"}, "status": {"type": "string", "enum": ["requested", "sent", "completed", "failed"]},
        "amount_vnd": {"type": "integer"}, "transaction_type": {"type": "string", "enum": ["02", "03"]},
        "response_code": {"type": ["string", "null"]}}},
    "ReconciliationDay": {"type": "object", "properties": {
        "day": {"type": "string", "format": "date"}, "status": {"type": "string", "enum": ["open", "signed_off"]},
        "totals": {"type": "object", "additionalProperties": _TOTAL},
        "open_exceptions": {"type": "integer"},
        "signed_off_at": {"type": ["string", "null"], "format": "date-time"}}},
}
