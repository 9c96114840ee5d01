"""OpenAPI fragment of the contracts area: itemised postage quotes (R-18)."""
from __future__ import annotations

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_ZONE = {"type": "string", "enum": ["same_district", "same_province", "other_province"]}

PATHS = {
    "/quotes": {
        "post": {
            "tags": ["contracts"],
            "summary": "Itemised postage for a procedure, pickup and delivery place and weight",
            "description": (
                "Places the pickup address (or the post office where the dossier is handed in) and the "
                "delivery address in zones relative to the procedure's agency, then prices both legs with "
                "the tariff of the contract in force now: postage by weight band and zone, home pickup and "
                "delivery surcharges, the collection-on-behalf fee (a percentage with a minimum), VAT "
                "computed once on the post's lines and rounded half up to the đồng, and the agency's fee. "
                "All amounts are integer VND. Every bad field is named in `errors`."
            ),
            "operationId": "createQuote",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QuoteRequest"}}},
            },
            "responses": {
                "200": {
                    "description": "The itemised quote.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Quote"}}},
                },
                "401": _PROBLEM,
                "422": _PROBLEM,
            },
        }
    },
}

SCHEMAS = {
    "QuoteRequest": {
        "type": "object",
        "required": ["procedure_code"],
        "properties": {
            "procedure_code": {"type": "string", "examples": ["T-BPC-281520-TT"]},
            "pickup_address": {
                "type": "string", "maxLength": 500,
                "description": "Address for home pickup; empty when handed in at `post_office_code`.",
            },
            "post_office_code": {"type": "string", "maxLength": 16, "examples": ["830000"]},
            "delivery_address": {
                "type": "string", "maxLength": 500,
                "description": "Where the result goes; empty means back where the dossier was handed in.",
            },
            "weight_grams": {"type": "integer", "minimum": 1, "maximum": 30000, "default": 500},
            "fee_collected_on_behalf": {"type": "boolean", "default": False},
        },
    },
    "QuoteLine": {
        "type": "object",
        "required": ["code", "label", "amount_vnd", "owed_to"],
        "properties": {
            "code": {
                "type": "string",
                "enum": ["postage_forward", "postage_return", "home_pickup", "home_delivery",
                         "collection_fee", "vat", "fee"],
            },
            "label": {"type": "string"},
            "amount_vnd": {"type": "integer", "minimum": 0},
            "owed_to": {"type": "string", "enum": ["post", "agency"]},
        },
    },
    "Quote": {
        "type": "object",
        "required": ["procedure_code", "contract_number", "contract_version", "forward_zone", "return_zone",
                     "weight_grams", "lines", "postage_total_vnd", "fee_vnd", "total_vnd", "full_trip_hours",
                     "return_commitment_hours"],
        "properties": {
            "procedure_code": {"type": "string"},
            "contract_number": {"type": "string"},
            "contract_version": {"type": "integer"},
            "forward_zone": _ZONE,
            "return_zone": _ZONE,
            "weight_grams": {"type": "integer"},
            "lines": {"type": "array", "items": {"$ref": "#/components/schemas/QuoteLine"}},
            "postage_total_vnd": {"type": "integer", "description": "owed to the post, VAT included"},
            "fee_vnd": {"type": "integer", "description": "lệ phí owed to the agency"},
            "total_vnd": {"type": "integer"},
            "full_trip_hours": {
                "type": "object",
                "description": "agreed full-trip time of each leg, in clock hours",
                "properties": {"forward": {"type": "integer"}, "return": {"type": "integer"}},
            },
            "return_commitment_hours": {"type": "integer", "maximum": 24},
            "pickup_distance_km": {"type": ["number", "null"]},
        },
    },
}
