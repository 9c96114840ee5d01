"""The API's own pages: the OpenAPI document and its browsable docs."""
from __future__ import annotations

from flask import current_app, jsonify, render_template

from postal_gateway.api.spec import build_document


def _document() -> dict:
    """Built once per app: its routes do not change once it serves."""
    if "openapi_document" not in current_app.extensions:
        current_app.extensions["openapi_document"] = build_document()
    return current_app.extensions["openapi_document"]


def openapi_document():
    return jsonify(_document())


def docs():
    return render_template("api/docs.html", document=_document())
