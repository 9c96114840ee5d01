"""URLs of the tracking area: handheld page, its sync endpoint, managers' view and exports, API.

# GET  /tracking/handheld                      handheld        record events (QR scan or typed code), offline queue
# GET  /tracking/sw.js                         service_worker  keeps the handheld page usable with no signal
# GET  /tracking/shipments/<shipment_id>/progress  progress   a shipment's state and the events allowed now (JSON)
# POST /tracking/sync                          sync            the page's queued events (session + CSRF)
# POST /tracking/sync/words                    sync_words      the page's kept result lines, in the reader's language
# GET  /tracking/run-sheet                     run_sheet_page  today's pickups and deliveries, by due time then distance
# GET  /tracking/manager                       manager         legs by SLA state, on-time % chart
# GET  /tracking/manager/export.<fmt>          export          csv | xlsx
# GET  /tracking/compensations                 compensations   lost dossiers (R-16)
# POST /tracking/compensations/<id>/propose    propose_compensation  postal staff state the amount
# POST /tracking/compensations/<id>/approve    approve_compensation  the office manager or an operator, not the proposer
# POST /tracking/compensations/<id>/pay        pay_compensation
# API
# POST /api/v1/shipments/<shipment_id>/events  api_record_events  one event or a batch
# GET  /api/v1/shipments/<shipment_id>/progress api_shipment_progress  legs' states, events allowed now
# GET  /api/v1/run-sheet                       api_run_sheet   the run sheet page's twin
"""
from __future__ import annotations

from flask import Blueprint

from tracking import controllers

blueprint = Blueprint("tracking", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/tracking/static")
api = Blueprint("tracking_api", __name__, url_prefix="/api/v1")

api.add_url_rule("/shipments/<shipment_id>/events", view_func=controllers.api_record_events, methods=["POST"])
api.add_url_rule("/shipments/<shipment_id>/progress", view_func=controllers.api_shipment_progress, methods=["GET"])
api.add_url_rule("/run-sheet", view_func=controllers.api_run_sheet, methods=["GET"])
blueprint.add_url_rule("/tracking/handheld", view_func=controllers.handheld, methods=["GET"])
blueprint.add_url_rule("/tracking/sw.js", view_func=controllers.service_worker, methods=["GET"])
blueprint.add_url_rule("/tracking/shipments/<shipment_id>/progress", "progress", view_func=controllers.progress_page_json,
                       methods=["GET"])
blueprint.add_url_rule("/tracking/sync", view_func=controllers.sync, methods=["POST"])
blueprint.add_url_rule("/tracking/sync/words", view_func=controllers.sync_words, methods=["POST"])
blueprint.add_url_rule("/tracking/run-sheet", view_func=controllers.run_sheet_page, methods=["GET"])
blueprint.add_url_rule("/tracking/manager", view_func=controllers.manager, methods=["GET"])
blueprint.add_url_rule("/tracking/manager/export.<fmt>", view_func=controllers.export, methods=["GET"])
blueprint.add_url_rule("/tracking/compensations", view_func=controllers.compensations, methods=["GET"])
blueprint.add_url_rule("/tracking/compensations/<int:case_id>/propose", view_func=controllers.propose_compensation, methods=["POST"])
blueprint.add_url_rule("/tracking/compensations/<int:case_id>/approve", view_func=controllers.approve_compensation, methods=["POST"])
blueprint.add_url_rule("/tracking/compensations/<int:case_id>/pay", view_func=controllers.pay_compensation, methods=["POST"])
