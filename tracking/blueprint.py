"""URLs of the tracking area: handheld page, its sync endpoint, managers' view and exports, API.

# GET  /tracking/handheld                      handheld        record events (QR scan or typed code), offline queue
# GET  /tracking/sw.js                         service_worker  keeps the handheld page usable with no signal
# POST /tracking/sync                          sync            the page's queued events (session + CSRF)
# GET  /tracking/manager                       manager         legs by SLA state, on-time % chart
# GET  /tracking/manager/export.<fmt>          export          csv | xlsx
# GET  /tracking/compensations                 compensations   lost dossiers (R-16)
# POST /tracking/compensations/<id>/propose    propose_compensation  postal staff state the amount
# POST /tracking/compensations/<id>/approve    approve_compensation  the office manager or an operator, not the proposer
# POST /tracking/compensations/<id>/pay        pay_compensation
# API
# POST /api/v1/shipments/<shipment_id>/events  api_record_events  one event or a batch
"""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _

from postal_gateway.accounts.models import POST_OFFICE_ROLES, Role
from postal_gateway.auth import api_auth, current_account, roles_required
from postal_gateway.db import db_session, utcnow
from postal_gateway.domain import N_, Forbidden, InvalidInput, NotFound
from postal_gateway.errors import translate
from tracking import compensation, custody, ingestion, reports, services
from tracking.models import LegState
from tracking.vocabulary import EVENTS, STATE_LABELS, EventType

blueprint = Blueprint("tracking", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/tracking/static")
api = Blueprint("tracking_api", __name__, url_prefix="/api/v1")

RECORDERS = (Role.postal_staff, Role.office_manager, Role.operator)


def _result_json(result: ingestion.EventResult) -> dict:
    body = {"event_id": result.event_id, "status": result.status}
    if result.reason:
        body["reason"] = translate(result.reason, _readable(result.params))
    if result.errors:
        body["errors"] = [{"field": e.field, "message": translate(e.message, e.params or None)} for e in result.errors]
    if result.leg_state:
        body["leg_state"] = result.leg_state
    if result.dossier_code:
        body["dossier_code"] = result.dossier_code
    return body


def _readable(params: dict) -> dict:
    """Event and state names in the reader's words, for the reasons given back."""
    readable = {"event": "", "state": "", **(params or {})}
    if readable["event"] in EventType._value2member_map_:
        readable["event"] = translate(EVENTS[EventType(readable["event"])].label)
    if readable["state"] in LegState._value2member_map_:
        readable["state"] = translate(STATE_LABELS[LegState(readable["state"])])
    return readable


def _events_from_body(body) -> list:
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and "events" in body:
        return body["events"] if isinstance(body["events"], list) else []
    if isinstance(body, dict):
        return [body]
    raise InvalidInput.on_field("events", N_("Nội dung phải là một sự kiện hoặc {\"events\": [...]} dạng JSON."))


@api.post("/shipments/<shipment_id>/events")
@api_auth(*RECORDERS)
def api_record_events(shipment_id: str):
    dossier = ingestion.find_dossier(db_session, shipment_id)
    if dossier is None:
        raise NotFound(N_("Không tìm thấy hồ sơ %(code)s."), params={"code": shipment_id[:40]})
    if not custody.holds_any_leg(db_session, current_account(), dossier):
        raise Forbidden(N_("Bưu cục của bạn không giữ hồ sơ này; không thể ghi sự kiện."))
    events = _events_from_body(request.get_json(silent=True))
    results = ingestion.record_events(db_session, actor=current_account(), events=events, now=utcnow(),
                                      dossier_code=shipment_id)
    db_session.commit()
    return jsonify(results=[_result_json(r) for r in results])


# --- handheld page ------------------------------------------------------------------------------


@blueprint.get("/tracking/handheld")
@roles_required(*RECORDERS)
def handheld():
    staff = current_account()
    office = staff.post_office.code if staff.post_office is not None else ""
    choices = [(kind.value, _(info.label)) for kind, info in EVENTS.items()]
    return render_template("tracking/handheld.html", choices=choices, office=office,
                           code=(request.args.get("code") or "").strip()[:40])


@blueprint.get("/tracking/sw.js")
def service_worker():
    response = send_from_directory(blueprint.static_folder, "sw.js", mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/tracking/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.post("/tracking/sync")
@roles_required(*RECORDERS)
def sync():
    """The handheld page's queue: each event names its dossier; the answer is one line per event."""
    events = _events_from_body(request.get_json(silent=True))
    results = ingestion.record_events(db_session, actor=current_account(), events=events, now=utcnow())
    db_session.commit()
    return jsonify(results=[_result_json(r) for r in results])


# --- managers -----------------------------------------------------------------------------------


def _at_risk_share() -> float:
    return current_app.config["SETTINGS"].tracking_at_risk_share


def _office_scope():
    user = current_account()
    return user.post_office_id if user.role in POST_OFFICE_ROLES else None


@blueprint.get("/tracking/manager")
@roles_required(*RECORDERS)
def manager():
    now = utcnow()
    state = request.args.get("state") or ""
    overview = reports.overview(db_session, now=now, at_risk_share=_at_risk_share(), post_office_id=_office_scope(),
                                state=state)
    return render_template("tracking/manager.html", overview=overview, state=state,
                           chart=reports.chart_svg(overview.weeks))


@blueprint.get("/tracking/manager/export.<fmt>")
@roles_required(*RECORDERS)
def export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise NotFound(N_("Chỉ xuất được CSV hoặc XLSX."))
    rows = reports.leg_rows(db_session, now=utcnow(), at_risk_share=_at_risk_share(), post_office_id=_office_scope())
    if fmt == "csv":
        return Response(reports.to_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=chang-van-chuyen.csv"})
    return Response(reports.to_xlsx(rows),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=chang-van-chuyen.xlsx"})


@blueprint.get("/tracking/compensations")
@roles_required(*RECORDERS)
def compensations():
    cases = services.open_compensations(db_session, post_office_id=_office_scope())
    return render_template("tracking/compensations.html", cases=cases, viewer=current_account(),
                           may_approve=compensation.may_approve, may_pay=compensation.may_pay,
                           methods=compensation.PAYMENT_METHOD_LABELS)


def _int(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < 2**31 else None


def _own_case(case_id: int):
    case = services.get_compensation(db_session, case_id)
    scope = _office_scope()
    if scope is not None and compensation.office_concerned(case) != scope:
        raise NotFound(N_("Không tìm thấy hồ sơ bồi thường."))
    return case


@blueprint.post("/tracking/compensations/<int:case_id>/propose")
@roles_required(*RECORDERS)
def propose_compensation(case_id: int):
    _own_case(case_id)
    costs = _int(request.form.get("costs_vnd") or "0")
    compensation.propose_compensation(db_session, case_id, actor=current_account(),
                                      costs_vnd=costs if costs is not None else -1, note=request.form.get("note", ""))
    db_session.commit()
    return redirect(url_for("tracking.compensations"))


@blueprint.post("/tracking/compensations/<int:case_id>/approve")
@roles_required(*RECORDERS)
def approve_compensation(case_id: int):
    _own_case(case_id)
    compensation.approve_compensation(db_session, case_id, actor=current_account())
    db_session.commit()
    return redirect(url_for("tracking.compensations"))


@blueprint.post("/tracking/compensations/<int:case_id>/pay")
@roles_required(*RECORDERS)
def pay_compensation(case_id: int):
    _own_case(case_id)
    compensation.pay_compensation(db_session, case_id, actor=current_account(),
                                  payment_reference=request.form.get("payment_reference", ""),
                                  payment_method=request.form.get("payment_method", ""),
                                  redo_arranged=request.form.get("redo_arranged") == "1")
    db_session.commit()
    return redirect(url_for("tracking.compensations"))


__all__ = ["api", "blueprint", "EventType"]
