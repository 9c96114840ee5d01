"""The URLs of the area: which controller answers which path and method."""
from __future__ import annotations

from flask import Blueprint

from postal_gateway.dossiers import controllers

blueprint = Blueprint("dossiers", __name__, template_folder="templates")
api = Blueprint("dossiers_api", __name__, url_prefix="/api/v1")

blueprint.add_url_rule("/intake", view_func=controllers.intake_start, methods=["GET"])
blueprint.add_url_rule("/intake", view_func=controllers.intake_create, methods=["POST"])
blueprint.add_url_rule("/intake/<wizard_id>/checklist", view_func=controllers.intake_checklist, methods=["GET", "POST"])
blueprint.add_url_rule("/intake/<wizard_id>/scans", view_func=controllers.intake_scans, methods=["GET", "POST"])
blueprint.add_url_rule("/intake/<wizard_id>/scans/<int:checklist_item_id>/pages", view_func=controllers.intake_pages,
                       methods=["GET", "POST"])
blueprint.add_url_rule("/intake/<wizard_id>/scans/<int:checklist_item_id>/pages/move",
                       view_func=controllers.intake_page_move, methods=["POST"])
blueprint.add_url_rule("/intake/<wizard_id>/scans/<int:checklist_item_id>/pages/delete",
                       view_func=controllers.intake_page_delete, methods=["POST"])
blueprint.add_url_rule("/intake/<wizard_id>/scans/<int:checklist_item_id>/pages/<page_id>.jpg",
                       view_func=controllers.intake_page_thumbnail, methods=["GET"])
blueprint.add_url_rule("/intake/<wizard_id>/collection", view_func=controllers.intake_collection, methods=["GET", "POST"])
blueprint.add_url_rule("/intake/<wizard_id>/review", view_func=controllers.intake_review, methods=["GET", "POST"])
blueprint.add_url_rule("/dossiers", view_func=controllers.list_dossiers, methods=["GET"])
blueprint.add_url_rule("/dossiers/<code>", view_func=controllers.dossier_detail, methods=["GET"])
blueprint.add_url_rule("/dossiers/<code>/consignment.pdf", view_func=controllers.consignment_pdf, methods=["GET"])
blueprint.add_url_rule("/dossiers/<code>/slip.pdf", view_func=controllers.slip_pdf, methods=["GET"])
blueprint.add_url_rule("/dossiers/<code>/resubmit", view_func=controllers.resubmit, methods=["POST"])
api.add_url_rule("/dossiers", view_func=controllers.api_create_dossier, methods=["POST"])
api.add_url_rule("/dossiers", view_func=controllers.api_list_dossiers, methods=["GET"])
api.add_url_rule("/dossiers/<code>", view_func=controllers.api_get_dossier, methods=["GET"])
api.add_url_rule("/dossiers/<code>/slip.pdf", view_func=controllers.api_slip_pdf, methods=["GET"])
api.add_url_rule("/dossiers/<code>/resubmit", view_func=controllers.api_resubmit, methods=["POST"])
