"""The OpenAPI 3 document, assembled from the fragments each area keeps beside its API code.

An area documents its endpoints in ``<area>/openapi.py`` as ``PATHS`` and ``SCHEMAS`` dicts;
a test checks that every /api/v1 route appears here and that the document is valid.
"""
from __future__ import annotations

import copy

from postal_gateway.api import spec
from postal_gateway.api.request_guards import MAX_DATABASE_INT
from postal_gateway.areas import area_parts

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details; `errors` lists every offending field at once.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


HTTP_METHODS = ("get", "put", "post", "delete", "patch")
# Any refusal the operation does not list (a role guard, a throttle, a malformed body) is still a
# problem+json: the document says so once per operation instead of guessing every code.
ANY_REFUSAL = "4XX"


def _with_any_refusal(paths: dict) -> dict:
    for operations in paths.values():
        for method in HTTP_METHODS:
            if method in operations:
                operations[method]["responses"].setdefault(ANY_REFUSAL, {"$ref": "#/components/responses/Problem"})
    return paths


def _with_id_bounds(paths: dict) -> dict:
    """Every integer URL segment goes through DatabaseIdConverter: the document gives its range."""
    for operations in paths.values():
        for method in HTTP_METHODS:
            for parameter in operations.get(method, {}).get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer":
                    parameter["schema"] = {**parameter["schema"], "minimum": 1, "maximum": MAX_DATABASE_INT}
    return paths


def build_document(server_url: str = "/api/v1") -> dict:
    generated = spec.build_document(server_url)
    paths: dict = generated["paths"]
    schemas: dict = generated["components"]["schemas"]
    for module in area_parts("openapi"):
        paths.update(copy.deepcopy(getattr(module, "PATHS", {})))
        schemas.update(getattr(module, "SCHEMAS", {}))
    _with_any_refusal(paths)
    _with_id_bounds(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Postal public-service gateway API",
            "version": "1.0.0",
            "description": (
                "Dossiers submitted through the public postal service on citizens' accounts. "
                "Authenticate with `POST /token`, then send `Authorization: Bearer <token>`. "
                "Errors are `application/problem+json`."
            ),
        },
        "servers": [{"url": server_url}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
            "responses": {
                "Problem": {
                    "description": "The request was refused; see `detail` and `errors`.",
                    "content": {
                        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                    },
                }
            },
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
