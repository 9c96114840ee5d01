"""The API's one description: pydantic models in and out, the OpenAPI document generated from them.

An API handler declares what it takes and what it answers with ``@operation``::

    @api.post("/dossiers")
    @api_auth(Role.postal_staff)
    @operation(resp=Response(HTTP_201=DossierOut, HTTP_200=DossierOut), tags=["dossiers"])
    def create_dossier(json: PostalSubmissionIn, headers: IdempotencyHeaders): ...

spectree checks the body, query and headers against the annotated models before the handler runs,
checks what the handler returns against ``resp``, and builds the paths of the OpenAPI document from the
same models (summary and description from the handler's docstring). A refused request is the API's usual
``application/problem+json`` with every offending field named at once (``field_errors``), in Vietnamese
or English, never spectree's own error shape.

What spectree cannot say (a PDF answer, a header on a response, a path segment's pattern) is given as
``openapi_extra`` and merged into the generated operation. A body the handler must judge item by item (a
batch where each element is accepted or refused on its own) is described, not validated, by
``documented_body``: any pydantic-describable type, its models added to the document's components.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, request
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from spectree import SpecTree
from spectree.models import SecurityScheme, SecuritySchemeData

from postal_gateway.api.request_guards import MAX_DATABASE_INT
from postal_gateway.api.validation import (
    BODY_NOT_AN_OBJECT,
    INVALID_FIELDS,
    field_errors,
    unstorable_fields,
)
from postal_gateway.core.domain import InvalidInput

API_PREFIX = "/api/v1"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
# Any refusal an operation does not list (a role guard, a throttle, a malformed body) is still a
# problem+json: the document says so once per operation instead of guessing every code.
ANY_REFUSAL = "4XX"
_EXTRA_ATTRIBUTE = "_openapi_extra"
_REF_TEMPLATE = "#/components/schemas/{model}"


class ProblemField(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details; `errors` lists every offending field at once."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemField] | None = Field(None, description="Every offending field, at once.")


def _json_body_expected() -> bool:
    if request.method in ("GET", "DELETE") or request.url_rule is None:
        return False
    handler = _handler(request.url_rule, request.method)
    metadata = api_spec.get_function_metadata(handler) if handler is not None else None
    return bool(metadata and metadata.json)


def _refuse_invalid_request(req: Any, resp: Any, req_validation_error: Any, instance: Any, *_: Any) -> None:
    """spectree's ``before`` hook: a refusal becomes InvalidInput, rendered as problem+json.

    The raw body is looked at first: a body that is not a JSON object, or text the database could not
    store (a NUL, a lone surrogate, which pydantic would accept as a valid string), is named as such."""
    body_expected = _json_body_expected()
    if request.mimetype == "application/json" or body_expected:
        payload = request.get_json(silent=True)
        if body_expected and not isinstance(payload, dict):
            raise InvalidInput.on_field("body", BODY_NOT_AN_OBJECT)
        if payload is not None and (faults := unstorable_fields(payload)):
            raise InvalidInput(INVALID_FIELDS, field_errors=faults)
    if isinstance(req_validation_error, ValidationError):
        raise InvalidInput(INVALID_FIELDS, field_errors=field_errors(req_validation_error)) from None


api_spec = SpecTree(
    "flask",
    mode="strict",  # only the operations declared with @operation are documented
    title="Postal public-service gateway API",
    version="1.0.0",
    description=(
        "Dossiers submitted through the public postal service on citizens' accounts. "
        "Authenticate with `POST /token`, then send `Authorization: Bearer <token>`. "
        "Errors are `application/problem+json`."
    ),
    annotations=True,
    before=_refuse_invalid_request,
    validation_error_status=422,
    validation_error_model=Problem,
    # components named by the model's title or class, as the document always named them (spectree's default
    # adds a hash of the module)
    naming_strategy=lambda model: model.model_config.get("title") or model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(type="http", scheme="bearer"))],
    security={"bearer": []},
)


def operation(*, openapi_extra: dict | None = None, documented_body: Any = None, **validate: Any) -> Callable:
    """Declare an API operation: spectree's ``validate`` (``resp``, ``tags``, ``query``, ``headers``,
    ``security``...) plus ``openapi_extra``, merged into the generated operation, and ``documented_body``,
    a request body described but left to the handler to judge."""
    extra = copy.deepcopy(openapi_extra or {})
    if documented_body is not None:
        schema = TypeAdapter(documented_body).json_schema(ref_template=_REF_TEMPLATE)
        extra["x-components"] = schema.pop("$defs", {})
        extra["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}

    def decorator(view: Callable) -> Callable:
        validated = api_spec.validate(**validate)(view)
        setattr(validated, _EXTRA_ATTRIBUTE, extra)
        return validated

    return decorator


def reach_checked_before_the_body(check: Callable[[Any], Any], argument: str = "code") -> Callable:
    """Put under the role guard and above ``@operation``: ``check`` of the path's ``argument`` (the dossier's
    ``code`` unless told) runs before spectree reads the body, so an object the caller may not reach is refused
    (403/404) whatever the body holds."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def checked(**path_values):
            check(path_values[argument])
            return view(**path_values)

        return checked

    return decorator


def _merge(target: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif key == "parameters" and isinstance(target.get(key), list):
            by_name = {(p["in"], p["name"]): p for p in target[key]}
            for parameter in value:
                if (parameter["in"], parameter["name"]) in by_name:
                    _merge(by_name[(parameter["in"], parameter["name"])], parameter)
                else:
                    target[key].append(copy.deepcopy(parameter))
        else:
            target[key] = copy.deepcopy(value)


def _declared(view: Callable | None) -> Callable | None:
    """The function ``@operation`` decorated, under any wrapper (a role guard)."""
    while view is not None and not hasattr(view, _EXTRA_ATTRIBUTE):
        view = getattr(view, "__wrapped__", None)
    return view


def _handler(rule: Any, method: str) -> Callable | None:
    """The handler answering ``method`` on ``rule``: the view function, or a class-based view's method."""
    view = current_app.view_functions.get(rule.endpoint)
    view_class = getattr(view, "view_class", None)
    return getattr(view_class, method.lower(), None) if view_class is not None else view


def _extras_by_operation() -> dict[tuple[str, str], dict]:
    """(OpenAPI path, method) -> the operation's ``openapi_extra``, found through the URL map."""
    extras = {}
    for rule in current_app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            declared = _declared(_handler(rule, method))
            if declared is not None:
                path, _ = api_spec.backend.parse_path(rule, None)
                extras[(path, method.lower())] = getattr(declared, _EXTRA_ATTRIBUTE)
    return extras


def _with_id_bounds(operation_spec: dict) -> None:
    """Every integer URL segment goes through DatabaseIdConverter: the document gives its range."""
    for parameter in operation_spec.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer":
            parameter["schema"] = {**parameter["schema"], "minimum": 1, "maximum": MAX_DATABASE_INT}


def _as_problem(responses: dict) -> None:
    """Refusals are application/problem+json, described once in components."""
    for code, response in list(responses.items()):
        if code.startswith("4") or code.startswith("5"):
            responses[code] = {"$ref": "#/components/responses/Problem"} if code != "422" else {
                "description": response.get("description") or "Invalid input; `errors` names every field.",
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
    responses.setdefault(ANY_REFUSAL, {"$ref": "#/components/responses/Problem"})


def build_document(server_url: str = API_PREFIX) -> dict:
    """The OpenAPI 3.1 document of every @operation, paths relative to the API's prefix."""
    api_spec.__dict__.pop("_spec", None)  # spectree caches per instance; each app has its own routes
    models = copy.deepcopy(api_spec.models)
    try:
        generated = copy.deepcopy(api_spec.spec)
    finally:
        api_spec.models = models  # generating moves nested definitions out of the stored schemas
    extras = _extras_by_operation()
    documented_components: dict[str, dict] = {}
    paths = {}
    for path, operations in generated.get("paths", {}).items():
        for method, operation_spec in operations.items():
            if method not in HTTP_METHODS:
                continue
            extra = copy.deepcopy(extras.get((path, method), {}))
            documented_components.update(extra.pop("x-components", {}))
            _merge(operation_spec, extra)
            _with_id_bounds(operation_spec)
            _as_problem(operation_spec.setdefault("responses", {}))
        paths[path.removeprefix(API_PREFIX) or "/"] = operations
    components = generated.get("components", {})
    schemas = components.setdefault("schemas", {})
    # spectree names components "<Model>.<hash>"-free by class; nested models sit under $defs of theirs
    components["responses"] = {
        "Problem": {
            "description": "The request was refused; see `detail` and `errors`.",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    }
    for name, schema in documented_components.items():
        schemas.setdefault(name, schema)
    problem_schema = Problem.model_json_schema(ref_template=_REF_TEMPLATE)
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["Problem"] = problem_schema
    generated["components"] = components
    generated["servers"] = [{"url": server_url}]
    generated["paths"] = paths
    return generated
