"""The API's own URLs: the OpenAPI document and its browsable docs."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from postal_gateway.api.openapi import build_document

blueprint = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")


@blueprint.get("/openapi.json")
def openapi_document():
    return jsonify(build_document())


@blueprint.get("/docs")
def docs():
    return render_template("api/docs.html", document=build_document())
