"""URLs of the one-stop office's workbench: queue, receiving from the post, working a dossier.

Pages ----------------------------------------------------------------------------------------
GET       /workbench                                   queue           dossiers by state
GET/POST  /workbench/receive                           receive_scan    scan or type the slip's code
GET/POST  /workbench/<code>/receive                    receive_compare compare paper with online, sign
GET       /workbench/<code>                            dossier         facts, timeline, next steps
GET       /workbench/<code>/documents/<int:document_id>  document      one scan, by a 5-minute signed link, audited
POST      /workbench/<code>/accept                     accept          tiếp nhận a submitted dossier (Điều 12.1.d)
POST      /workbench/<code>/completion                 request_completion  form 02 at reception (Điều 12.1.c)
POST      /workbench/<code>/refuse                     refuse          form 03 at reception (Điều 9.1.b)
POST      /workbench/<code>/step                       step            transfer, start, verify, ...
POST      /workbench/<code>/supplement                 supplement      ask for a supplement
POST      /workbench/<code>/supplement/received        supplement_received
POST      /workbench/<code>/opinions                   ask_opinion     liên thông
POST      /workbench/<code>/opinions/<int:opinion_id>  record_opinion
POST      /workbench/<code>/reject                     reject
POST      /workbench/<code>/withdraw                   withdraw
POST      /workbench/<code>/apology                    apology         letter and new date
POST      /workbench/<code>/apology/<int:number>/forward  forward_apology  one-stop office to citizen (Điều 9.4.d)
GET       /workbench/<code>/apology/<int:number>.pdf   apology_pdf     redirects to the stored form 04
GET/POST  /workbench/<code>/apology-form               apology_form    form 04: processing or cooperating agency
POST      /workbench/<code>/result                     result_ready
POST      /workbench/<code>/return                     return_result   complete
API ------------------------------------------------------------------------------------------
GET       /api/v1/workbench/dossiers                   api_queue
GET       /api/v1/workbench/dossiers/<code>            api_dossier     with timeline and next steps
POST      /api/v1/workbench/dossiers/<code>/handover   api_handover
POST      /api/v1/workbench/dossiers/<code>/actions    api_action      any step, by name
GET       /api/v1/workbench/dossiers/<code>/apology-letters/<int:number>.pdf   api_apology_pdf  redirects to form 04
"""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.workbench import controllers

blueprint = Blueprint("workbench", __name__, template_folder="templates", url_prefix="/workbench")
api = Blueprint("workbench_api", __name__, url_prefix="/api/v1")

blueprint.add_url_rule("", view_func=controllers.queue, methods=["GET"])
blueprint.add_url_rule("/receive", view_func=controllers.receive_scan, methods=["GET", "POST"])
blueprint.add_url_rule("/<code>/receive", view_func=controllers.receive_compare, methods=["GET", "POST"])
blueprint.add_url_rule("/<code>", view_func=controllers.dossier, methods=["GET"])
blueprint.add_url_rule("/<code>/documents/<int:document_id>", view_func=controllers.document, methods=["GET"])
blueprint.add_url_rule("/<code>/apology/<int:number>.pdf", view_func=controllers.apology_pdf, methods=["GET"])
api.add_url_rule("/workbench/dossiers", view_func=controllers.api_queue, methods=["GET"])
api.add_url_rule("/workbench/dossiers/<code>", view_func=controllers.api_dossier, methods=["GET"])
api.add_url_rule("/workbench/dossiers/<code>/handover", view_func=controllers.api_handover, methods=["POST"])
api.add_url_rule("/workbench/dossiers/<code>/actions", view_func=controllers.api_action, methods=["POST"])
api.add_url_rule("/workbench/dossiers/<code>/apology-letters/<int:number>.pdf", view_func=controllers.api_apology_pdf, methods=["GET"])
blueprint.add_url_rule("/<code>/accept", view_func=controllers.step_views["accept"], methods=["POST"])
blueprint.add_url_rule("/<code>/completion", view_func=controllers.step_views["request_completion"], methods=["POST"])
blueprint.add_url_rule("/<code>/refuse", view_func=controllers.step_views["refuse"], methods=["POST"])
blueprint.add_url_rule("/<code>/step", view_func=controllers.step_views["step"], methods=["POST"])
blueprint.add_url_rule("/<code>/supplement", view_func=controllers.step_views["supplement"], methods=["POST"])
blueprint.add_url_rule("/<code>/supplement/received", view_func=controllers.step_views["supplement_received"], methods=["POST"])
blueprint.add_url_rule("/<code>/opinions", view_func=controllers.step_views["ask_opinion"], methods=["POST"])
blueprint.add_url_rule("/<code>/opinions/<int:opinion_id>", view_func=controllers.step_views["record_opinion"], methods=["POST"])
blueprint.add_url_rule("/<code>/reject", view_func=controllers.step_views["reject"], methods=["POST"])
blueprint.add_url_rule("/<code>/withdraw", view_func=controllers.step_views["withdraw"], methods=["POST"])
blueprint.add_url_rule("/<code>/apology", view_func=controllers.step_views["apology"], methods=["POST"])
blueprint.add_url_rule("/<code>/apology/<int:number>/forward", view_func=controllers.step_views["forward_apology"],
                       methods=["POST"])
blueprint.add_url_rule("/<code>/apology-form", view_func=controllers.apology_form,
                       methods=["GET", "POST"])
blueprint.add_url_rule("/<code>/result", view_func=controllers.step_views["result_ready"], methods=["POST"])
blueprint.add_url_rule("/<code>/return", view_func=controllers.step_views["return_result"], methods=["POST"])
