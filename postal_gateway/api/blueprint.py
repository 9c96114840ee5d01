"""The API's own URLs: the OpenAPI document and its browsable docs."""
from flask import Blueprint

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
