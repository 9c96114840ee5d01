"""URLs of the one-stop office's official forms: the stored forms 01–04 of a dossier, the control sheet
(form 05) and the register book (form 06).

GET  /dossiers/<code>/forms/<int:form_id>.pdf         stored_form_pdf      a form 01–04 as issued
GET  /workbench/<code>/control-sheet.pdf              control_sheet_pdf    form 05 of one dossier (Điều 9.2.a-b)
GET  /workbench/register                              register_page        form 06 for a period (Điều 9.3.c, 10.2.g)
GET  /workbench/register.xlsx                         register_xlsx        the same, as a workbook
GET  /workbench/register.pdf                          register_pdf         the same, A4 landscape

GET  /api/v1/dossiers/<code>/forms                    api_dossier_forms    the dossier's stored forms
GET  /api/v1/dossiers/<code>/forms/<int:form_id>.pdf  api_stored_form_pdf  one of them as issued
"""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.official_forms import controllers

blueprint = Blueprint("official_forms", __name__, template_folder="templates")
api = Blueprint("official_forms_api", __name__, url_prefix="/api/v1")

blueprint.add_url_rule("/dossiers/<code>/forms/<int:form_id>.pdf", view_func=controllers.stored_form_pdf,
                       methods=["GET"])
blueprint.add_url_rule("/workbench/<code>/control-sheet.pdf", view_func=controllers.control_sheet_pdf,
                       methods=["GET"])
blueprint.add_url_rule("/workbench/register", view_func=controllers.register_page, methods=["GET"])
blueprint.add_url_rule("/workbench/register.xlsx", view_func=controllers.register_xlsx, methods=["GET"])
blueprint.add_url_rule("/workbench/register.pdf", view_func=controllers.register_pdf, methods=["GET"])

api.add_url_rule("/dossiers/<code>/forms", view_func=controllers.api_dossier_forms, methods=["GET"])
api.add_url_rule("/dossiers/<code>/forms/<int:form_id>.pdf", view_func=controllers.api_stored_form_pdf,
                 methods=["GET"])
