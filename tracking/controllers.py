"""The tracking area's handlers: the handheld page and its sync, managers' views and exports, the
compensation steps, and the events API.

Each one parses the request, calls the area's use cases inside one unit of work, and renders."""
from __future__ import annotations

from functools import cache

from babel.support import Translations
from flask import (
    Response,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from spectree import Response as Documented

from postal_gateway.accounts.models import POST_OFFICE_ROLES, Role
from postal_gateway.api.spec import operation
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import N_, Forbidden, InvalidInput, NotFound
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.web.auth import api_auth, current_account, roles_required
from postal_gateway.web.errors import translate
from tracking import compensation, custody, forms, ingestion, progress, reports, run_sheet, schemas, services
from tracking.models import LegState
from tracking.vocabulary import EVENTS, LEG_LABELS, STATE_LABELS, EventType

RECORDERS = (Role.postal_staff, Role.office_manager, Role.operator)
#: the SLA page and its exports: also the agency's officers, on the legs of their own agency's dossiers
CLOCK_READERS = (*RECORDERS, Role.agency_staff, Role.agency_admin)
AGENCY_ROLES = (Role.agency_staff, Role.agency_admin)


def _result_out(result: ingestion.EventResult) -> schemas.ShipmentEventResult:
    reason = translate(result.reason, _readable(result.params)) if result.reason else ""
    messages = [translate(error.message, error.params or None) for error in result.errors]
    return schemas.ShipmentEventResult.of(result, reason=reason, messages=messages)


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


@api_auth(*RECORDERS)
@operation(
    resp=Documented(HTTP_200=schemas.ShipmentEventResults, HTTP_401=None, HTTP_403=None, HTTP_404=None),
    tags=["tracking"],
    operation_id="recordShipmentEvents",
    openapi_extra={
        "parameters": [{"name": "shipment_id", "in": "path", "required": True, "description": "The dossier code.",
                        "schema": {"type": "string", "maxLength": 64}}],
    },
    documented_body=schemas.ShipmentEventsIn,
)
def api_record_events(shipment_id: str):
    """Record one hand-over event or a batch (up to 200) for a dossier's shipment

    Postal staff and office managers of an office that holds the shipment (the dossier's post office, the leg's
    receiving office, or an office the leg was handed to by a `dispatched` event naming
    `details.to_post_office_code`), and operators; anyone else gets 403 and nothing is stored. `shipment_id` is
    the dossier code. Send one event object, a list, or `{"events": [...]}`. Each event is judged on its own and
    answered in order: `accepted`; `duplicate` (its `event_id` was seen before: acknowledged, not counted again);
    `rejected` (impossible at its place in the leg's history, e.g. delivered before pickup: kept for audit,
    `reason` says why); `invalid` (bad fields, listed in `errors`; not stored); `forbidden` (the caller's office
    does not hold that leg: not stored). Events are placed by `occurred_at`, and the leg's state is derived from
    the ordered history. Device clocks more than 10 minutes ahead or 30 days behind are refused.
    """
    with unit_of_work() as session:
        dossier = ingestion.find_dossier(session, shipment_id)
        if dossier is None:
            raise NotFound(N_("Không tìm thấy hồ sơ %(code)s."), params={"code": shipment_id[:40]})
        if not custody.holds_any_leg(session, current_account(), dossier):
            raise Forbidden(N_("Bưu cục của bạn không giữ hồ sơ này; không thể ghi sự kiện."))
        events = _events_from_body(request.get_json(silent=True))
        results = ingestion.record_events(session, actor=current_account(), events=events, now=utcnow(),
                                          dossier_code=shipment_id)
    return schemas.ShipmentEventResults(results=[_result_out(result) for result in results])


def _progress_out(found: progress.ShipmentProgress) -> schemas.ShipmentProgressOut:
    def leg_out(leg: progress.LegProgress) -> schemas.LegProgressOut:
        return schemas.LegProgressOut(leg=leg.kind.value, leg_label=_(LEG_LABELS[leg.kind]), state=leg.state.value,
                                      state_label=_(STATE_LABELS[leg.state]), may_record=leg.may_record)

    return schemas.ShipmentProgressOut(
        dossier_ref=found.reference, shipment_number=found.shipment_number,
        current=leg_out(found.current) if found.current is not None else None,
        legs=[leg_out(leg) for leg in found.legs],
        next_events=[schemas.NextEventOut(type=event.value, label=_(EVENTS[event].label), leg=kind.value,
                                          required=list(EVENTS[event].required)) for event, kind in found.allowed],
    )


@api_auth(*RECORDERS)
@operation(
    resp=Documented(HTTP_200=schemas.ShipmentProgressOut, HTTP_401=None, HTTP_403=None, HTTP_404=None, HTTP_422=None),
    tags=["tracking"],
    operation_id="getShipmentProgress",
    openapi_extra={
        "parameters": [{"name": "shipment_id", "in": "path", "required": True,
                        "description": "The dossier code or the shipment number (a scanned lookup link too).",
                        "schema": {"type": "string", "maxLength": 64}}],
    },
)
def api_shipment_progress(shipment_id: str):
    """A shipment's current state and the events that may be recorded from it

    Postal staff and office managers of an office that holds a leg of the shipment, and operators. Each leg's state
    and whether the caller may record on it; `next_events` lists the events the recording API would accept now
    from the caller (the transition table of the leg each lands on, and custody), with the details each must carry.
    """
    return _progress_out(progress.shipment_progress(db_session(), reference=shipment_id, actor=current_account()))


# --- handheld page ------------------------------------------------------------------------------


@roles_required(*RECORDERS)
def handheld():
    staff = current_account()
    office = staff.post_office.code if staff.post_office is not None else ""
    choices = [(kind.value, _(info.label)) for kind, info in EVENTS.items()]
    return render_template("tracking/handheld.html", choices=choices, office=office,
                           code=(request.args.get("code") or "").strip()[:40])


@roles_required(*RECORDERS)
def progress_page_json(shipment_id: str):
    """The handheld page's twin of the progress API (session), for the code typed or scanned."""
    found = progress.shipment_progress(db_session(), reference=shipment_id[:200], actor=current_account())
    return _progress_out(found).model_dump(mode="json")


def service_worker():
    static_folder = current_app.blueprints["tracking"].static_folder
    response = send_from_directory(static_folder, "sw.js", mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/tracking/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@roles_required(*RECORDERS)
def sync():
    """The handheld page's queue: each event names its dossier; the answer is one line per event."""
    events = _events_from_body(request.get_json(silent=True))
    with unit_of_work() as session:
        results = ingestion.record_events(session, actor=current_account(), events=events, now=utcnow())
    answer = schemas.ShipmentEventResults(results=[_result_out(result) for result in results]).model_dump(mode="json")
    # the page keeps its lines on the phone; with the untranslated words it can have them reworded after the
    # worker switches language (sync_words)
    for line, result in zip(answer["results"], results):
        line["words"] = {"reason": [result.reason, _plain(result.params)] if result.reason else None,
                         "errors": [[error.message, _plain(error.params)] for error in result.errors]}
    return answer


def _plain(params: dict | None) -> dict:
    return {str(key): value if isinstance(value, int | float) else str(value) for key, value in (params or {}).items()}


@cache
def _known_words(translations_dir: str) -> frozenset[str]:
    """Message ids a handheld line may ask to have reworded: the catalogue's own, never a format of the caller's."""
    catalogue = Translations.load(translations_dir, ["en"])
    return frozenset(key for key in getattr(catalogue, "_catalog", {}) if isinstance(key, str) and key)


def _reword(words) -> str:
    """One kept [message id, params] in the reader's language now; "" for anything not ours or malformed."""
    if not (isinstance(words, list) and len(words) == 2 and isinstance(words[0], str) and isinstance(words[1], dict)):
        return ""
    message, params = words
    if message not in _known_words(f"{current_app.root_path}/translations") or len(params) > 10:
        return ""
    params = {str(key)[:40]: value if isinstance(value, int | float) else str(value)[:80]
              for key, value in params.items()}
    try:
        return _(message) % _readable(params) if "%(" in message else _(message)
    except (KeyError, TypeError, ValueError):
        return ""


@roles_required(*RECORDERS)
def sync_words():
    """The handheld page's kept result lines, reworded in the reader's language (after a language switch).

    Takes {"lines": [{"reason": [id, params] | null, "errors": [[id, params], ...]}, ...]} (at most 50 lines)
    and answers {"lines": [{"reason": "...", "errors": ["...", ...]}, ...]} in the same order."""
    body = request.get_json(silent=True)
    lines = body.get("lines") if isinstance(body, dict) else None
    if not isinstance(lines, list) or len(lines) > 50:
        raise InvalidInput.on_field("lines", N_("Tối đa %(max)s sự kiện mỗi lần gửi."), max=50)
    answer = []
    for line in lines:
        line = line if isinstance(line, dict) else {}
        errors = line.get("errors") if isinstance(line.get("errors"), list) else []
        answer.append({"reason": _reword(line.get("reason")) if line.get("reason") else "",
                       "errors": [_reword(words) for words in errors[:20]]})
    return {"lines": answer}


# --- the day's run sheet ------------------------------------------------------------------------

RUNNERS = (Role.postal_staff,)  # the office manager holds every right of the office's postal staff


def _todays_sheet() -> run_sheet.RunSheet:
    office = current_account().post_office
    if office is None:
        raise Forbidden(N_("Tài khoản của bạn không thuộc bưu cục nào."))
    return run_sheet.run_sheet(db_session(), post_office=office, now=utcnow())


@roles_required(*RUNNERS)
def run_sheet_page():
    sheet = _todays_sheet()
    labels = {state: _(label) for state, label in STATE_LABELS.items()}
    return render_template("tracking/run_sheet.html", sheet=sheet, labels=labels, now=sheet.made_at)


@api_auth(*RUNNERS)
@operation(
    resp=Documented(HTTP_200=schemas.RunSheetOut, HTTP_401=None, HTTP_403=None),
    tags=["tracking"],
    operation_id="getRunSheet",
)
def api_run_sheet():
    """Today's run sheet of the caller's post office

    Postal staff and office managers. The pickups requested at citizens' addresses (forward legs of dossiers
    to be collected at the door that are not yet picked up) and the results to deliver to an address whose
    earliest promise (the 24-hour commitment of Điều 25.2 or the contract's delivery time) falls by the end of
    today in Vietnam, overdue ones included, until delivered, returned, lost or left at the counter. Ordered by
    due time (none last), then by geodesic distance from the post office (unplaced addresses last).
    """
    return schemas.RunSheetOut.of(_todays_sheet())


# --- managers -----------------------------------------------------------------------------------


def _at_risk_share() -> float:
    return current_app.config["SETTINGS"].tracking_at_risk_share


def _office_scope():
    user = current_account()
    return user.post_office_id if user.role in POST_OFFICE_ROLES else None


def _agency_scope():
    """An agency officer sees the clocks of the dossiers addressed to their own agency only."""
    user = current_account()
    return user.agency_id if user.role in AGENCY_ROLES else None


@roles_required(*CLOCK_READERS)
def manager():
    now = utcnow()
    state = request.args.get("state") or ""
    page = request.args.get("page", default=1, type=int) or 1
    overview = reports.overview(db_session(), now=now, at_risk_share=_at_risk_share(), post_office_id=_office_scope(),
                                agency_id=_agency_scope(), state=state, page=page)
    return render_template("tracking/manager.html", overview=overview, state=state,
                           chart=reports.chart_svg(overview.weeks),
                           shows_compensations=current_account().role not in AGENCY_ROLES)


@roles_required(*CLOCK_READERS)
def export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise NotFound(N_("Chỉ xuất được CSV hoặc XLSX."))
    rows = reports.leg_rows(db_session(), now=utcnow(), at_risk_share=_at_risk_share(), post_office_id=_office_scope(),
                            agency_id=_agency_scope())
    if fmt == "csv":
        return Response(reports.to_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=chang-van-chuyen.csv"})
    return Response(reports.to_xlsx(rows),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=chang-van-chuyen.xlsx"})


@roles_required(*RECORDERS)
def compensations():
    cases = services.open_compensations(db_session(), post_office_id=_office_scope())
    return render_template("tracking/compensations.html", cases=cases, viewer=current_account(),
                           may_approve=compensation.may_approve, may_pay=compensation.may_pay,
                           methods=compensation.PAYMENT_METHOD_LABELS)


def _own_case(case_id: int):
    case = services.get_compensation(db_session(), case_id)
    scope = _office_scope()
    if scope is not None and compensation.office_concerned(case) != scope:
        raise NotFound(N_("Không tìm thấy hồ sơ bồi thường."))
    return case


@roles_required(*RECORDERS)
def propose_compensation(case_id: int):
    _own_case(case_id)
    form = forms.ProposeCompensationForm(formdata=request.form)
    with unit_of_work() as session:
        compensation.propose_compensation(session, case_id, actor=current_account(), costs_vnd=form.costs,
                                          note=form.note.data)
    return redirect(url_for("tracking.compensations"))


@roles_required(*RECORDERS)
def approve_compensation(case_id: int):
    _own_case(case_id)
    with unit_of_work() as session:
        compensation.approve_compensation(session, case_id, actor=current_account())
    return redirect(url_for("tracking.compensations"))


@roles_required(*RECORDERS)
def pay_compensation(case_id: int):
    _own_case(case_id)
    form = forms.PayCompensationForm(formdata=request.form)
    with unit_of_work() as session:
        compensation.pay_compensation(session, case_id, actor=current_account(),
                                      payment_reference=form.payment_reference.data,
                                      payment_method=form.payment_method.data, redo_arranged=form.redo)
    return redirect(url_for("tracking.compensations"))

