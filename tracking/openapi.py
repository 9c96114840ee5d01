"""OpenAPI fragment of the tracking area: events from handhelds."""
from __future__ import annotations

from tracking.vocabulary import EventType

_PROBLEM = {"$ref": "#/components/responses/Problem"}

PATHS = {
    "/shipments/{shipment_id}/events": {
        "post": {
            "operationId": "recordShipmentEvents",
            "tags": ["tracking"],
            "summary": "Record one hand-over event or a batch (up to 200) for a dossier's shipment",
            "description": (
                "Postal staff and office managers of an office that holds the shipment (the dossier's post "
                "office, the leg's receiving office, or an office the leg was handed to by a `dispatched` event "
                "naming `details.to_post_office_code`), and operators; anyone else gets 403 and nothing is stored. "
                "`shipment_id` is the dossier code. Send one event object, a list, "
                "or `{\"events\": [...]}`. Each event is judged on its own and answered in order: `accepted`; "
                "`duplicate` (its `event_id` was seen before: acknowledged, not counted again); `rejected` "
                "(impossible at its place in the leg's history, e.g. delivered before pickup: kept for audit, "
                "`reason` says why); `invalid` (bad fields, listed in `errors`; not stored); `forbidden` (the "
                "caller's office does not hold that leg: not stored). Events are placed "
                "by `occurred_at`, and the leg's state is derived from the ordered history. Device clocks more "
                "than 10 minutes ahead or 30 days behind are refused."
            ),
            "parameters": [{"name": "shipment_id", "in": "path", "required": True,
                            "description": "The dossier code.", "schema": {"type": "string", "maxLength": 64}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                {"$ref": "#/components/schemas/ShipmentEvent"},
                {"type": "array", "maxItems": 200, "items": {"$ref": "#/components/schemas/ShipmentEvent"}},
                {"type": "object", "required": ["events"], "properties": {
                    "events": {"type": "array", "maxItems": 200, "items": {"$ref": "#/components/schemas/ShipmentEvent"}}}},
            ]}}}},
            "responses": {
                "200": {"description": "One result per event, in the order sent.", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["results"], "properties": {
                        "results": {"type": "array", "items": {"$ref": "#/components/schemas/ShipmentEventResult"}}}}}}},
                "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "422": _PROBLEM,
            },
        }
    }
}

SCHEMAS = {
    "ShipmentEvent": {
        "type": "object",
        "required": ["event_id", "type", "occurred_at"],
        "properties": {
            "event_id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$",
                         "description": "Made by the device (e.g. a UUID); the same id twice is one event."},
            "type": {"type": "string", "enum": [t.value for t in EventType]},
            "leg": {"type": "string", "enum": ["forward", "return"],
                    "description": "Optional; by default the event's own leg or the dossier's current leg."},
            "occurred_at": {"type": "string", "format": "date-time", "description": "Device clock, with offset."},
            "recorded_at": {"type": "string", "format": "date-time"},
            "post_office_code": {"type": "string", "maxLength": 16},
            "latitude": {"type": "number", "minimum": -90, "maximum": 90},
            "longitude": {"type": "number", "minimum": -180, "maximum": 180},
            "note": {"type": "string", "maxLength": 1000},
            "details": {"type": "object", "additionalProperties": False, "properties": {
                "officer_name": {"type": "string", "description": "handed_to_agency: who signed."},
                "officer_id": {"type": "integer"},
                "recipient_name": {"type": "string", "description": "delivered: required."},
                "id_checked": {"type": "boolean", "description": "delivered: must be true."},
                "proof": {"type": "string", "description": "Signature or photo as a data:image/… URL, < 300 KB."},
                "reason": {"type": "string", "description": "delivery_failed, returned_to_agency: required."},
                "to_post_office_code": {"type": "string", "maxLength": 16,
                                        "description": "dispatched: hands the leg to this post office, whose staff "
                                                       "may then record its events."},
            }},
        },
    },
    "ShipmentEventResult": {
        "type": "object",
        "required": ["event_id", "status"],
        "properties": {
            "event_id": {"type": "string"},
            "status": {"type": "string", "enum": ["accepted", "duplicate", "rejected", "invalid", "forbidden"]},
            "reason": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "message": {"type": "string"}}}},
            "leg_state": {"type": "string"},
            "dossier_code": {"type": "string"},
        },
    },
}
