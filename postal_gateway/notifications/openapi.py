"""OpenAPI fragment of the notifications area: the citizen's own notification preferences (R-20)."""
from __future__ import annotations

from postal_gateway.notifications.service import CITIZEN_MESSAGE_KINDS, MANDATORY_TEMPLATES

_PROBLEM = {"$ref": "#/components/responses/Problem"}
_PREFERENCES = {"application/json": {"schema": {"$ref": "#/components/schemas/NotificationPreferences"}}}
_KIND = {"type": "string", "enum": list(CITIZEN_MESSAGE_KINDS)}

PATHS = {
    "/me/notification-preferences": {
        "get": {
            "operationId": "getMyNotificationPreferences",
            "tags": ["notifications"],
            "summary": "The channels and kinds of message the citizen receives",
            "description": "Citizen only. A citizen who never chose receives everything on both channels.",
            "responses": {"200": {"description": "The citizen's preferences.", "content": _PREFERENCES},
                          "401": _PROBLEM, "403": _PROBLEM},
        },
        "put": {
            "operationId": "setMyNotificationPreferences",
            "tags": ["notifications"],
            "summary": "Choose the channels and the kinds of message to receive",
            "description": (
                "Citizen only. `sms` and `email` are required; `muted_templates` lists the kinds turned off "
                "(absent: kept as they are, `[]`: every kind on). One-time codes (`always_sent`) cannot be "
                "turned off. A message held back is kept in the outbox as `skipped`."
            ),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NotificationPreferencesUpdate"}}},
            },
            "responses": {"200": {"description": "The preferences now in force.", "content": _PREFERENCES},
                          "401": _PROBLEM, "403": _PROBLEM, "422": _PROBLEM},
        },
    },
}

SCHEMAS = {
    "NotificationPreferencesUpdate": {
        "type": "object",
        "required": ["sms", "email"],
        "properties": {
            "sms": {"type": "boolean", "description": "Text messages to the account's phone."},
            "email": {"type": "boolean", "description": "E-mails to the account's address."},
            "muted_templates": {"type": "array", "items": _KIND,
                                "examples": [["apology", "delivery_scheduled"]]},
        },
    },
    "NotificationPreferences": {
        "type": "object",
        "required": ["sms", "email", "muted_templates", "kinds", "always_sent", "updated_at"],
        "properties": {
            "sms": {"type": "boolean"},
            "email": {"type": "boolean"},
            "muted_templates": {"type": "array", "items": _KIND},
            "kinds": {"type": "array", "items": _KIND, "description": "Every kind a citizen may turn off."},
            "always_sent": {"type": "array", "items": {"type": "string", "enum": sorted(MANDATORY_TEMPLATES)}},
            "updated_at": {"type": ["string", "null"], "format": "date-time",
                           "description": "Null until the citizen first chooses."},
        },
    },
}
