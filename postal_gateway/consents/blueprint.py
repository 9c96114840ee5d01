"""URLs of the consents area: pages and API."""
from flask import Blueprint

blueprint = Blueprint("consents", __name__, template_folder="templates")
