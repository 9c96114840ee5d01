"""URLs of the catalogue area: pages and API."""
from flask import Blueprint

blueprint = Blueprint("catalogue", __name__, template_folder="templates")
