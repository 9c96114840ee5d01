"""URLs of the notifications area: pages and API."""
from flask import Blueprint

blueprint = Blueprint("notifications", __name__, template_folder="templates")
