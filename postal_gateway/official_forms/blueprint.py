"""URLs of the one-stop office's official forms: the control sheet (form 05) and the register book (form 06).

GET  /workbench/<code>/control-sheet.pdf   control_sheet_pdf   form 05 of one dossier (Điều 9.2.a-b)
GET  /workbench/register                   register_page       form 06 for a period (Điều 9.3.c, 10.2.g)
GET  /workbench/register.xlsx              register_xlsx       the same, as a workbook
GET  /workbench/register.pdf               register_pdf        the same, A4 landscape
"""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.official_forms import controllers

blueprint = Blueprint("official_forms", __name__, template_folder="templates", url_prefix="/workbench")

blueprint.add_url_rule("/<code>/control-sheet.pdf", view_func=controllers.control_sheet_pdf, methods=["GET"])
blueprint.add_url_rule("/register", view_func=controllers.register_page, methods=["GET"])
blueprint.add_url_rule("/register.xlsx", view_func=controllers.register_xlsx, methods=["GET"])
blueprint.add_url_rule("/register.pdf", view_func=controllers.register_pdf, methods=["GET"])
