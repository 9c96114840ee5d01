"""URLs of the dossiers area: pages and API."""
from flask import Blueprint

blueprint = Blueprint("dossiers", __name__, template_folder="templates")
