"""URLs of the one-stop office's workbench: queue, receiving from the post, working a dossier.

Pages ----------------------------------------------------------------------------------------
GET       /workbench                                   queue           dossiers by state
GET/POST  /workbench/receive                           receive_scan    scan or type the slip's code
GET/POST  /workbench/<code>/receive                    receive_compare compare paper with online, sign
GET       /workbench/<code>                            dossier         facts, timeline, next steps
POST      /workbench/<code>/step                       step            transfer, start, verify, ...
POST      /workbench/<code>/supplement                 supplement      ask for a supplement
POST      /workbench/<code>/supplement/received        supplement_received
POST      /workbench/<code>/opinions                   ask_opinion     liên thông
POST      /workbench/<code>/opinions/<int:opinion_id>  record_opinion
POST      /workbench/<code>/reject                     reject
POST      /workbench/<code>/withdraw                   withdraw
POST      /workbench/<code>/apology                    apology         letter and new date
GET       /workbench/<code>/apology/<int:number>.pdf   apology_pdf
POST      /workbench/<code>/result                     result_ready
POST      /workbench/<code>/return                     return_result   complete
API ------------------------------------------------------------------------------------------
GET       /api/v1/workbench/dossiers                   api_queue
GET       /api/v1/workbench/dossiers/<code>            api_dossier     with timeline and next steps
POST      /api/v1/workbench/dossiers/<code>/handover   api_handover
POST      /api/v1/workbench/dossiers/<code>/actions    api_action      any step, by name
GET       /api/v1/workbench/dossiers/<code>/apology-letters/<int:number>.pdf   api_apology_pdf
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from postal_gateway.accounts.models import Role
from postal_gateway.api.validation import parse_body
from postal_gateway.auth import api_auth, current_account, roles_required
from postal_gateway.db import db_session, utcnow
from postal_gateway.domain import N_, Conflict, DomainError, InvalidInput
from postal_gateway.dossiers.models import DossierStatus
from postal_gateway.dossiers.workflow import ACTION_LABELS, Action, allowed_actions
from postal_gateway.workbench import letters, schemas, services

blueprint = Blueprint("workbench", __name__, template_folder="templates", url_prefix="/workbench")
api = Blueprint("workbench_api", __name__, url_prefix="/api/v1")

OFFICERS = (Role.agency_staff, Role.agency_admin)


def _base_url() -> str:
    return current_app.config["SETTINGS"].public_base_url


def _version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _translated(error: DomainError) -> list[str]:
    lines = [_(error.message) % error.params if error.params else _(error.message)]
    for item in error.field_errors:
        text = _(item.message) % item.params if item.params else _(item.message)
        if text not in lines:
            lines.append(text)
    return lines


def _run(code: str, work, success: str):
    """Run one use case in one transaction; a refusal is rolled back and shown on the dossier page."""
    session = db_session()
    try:
        work(session)
        session.commit()
    except DomainError as refused:
        session.rollback()
        if isinstance(refused, (InvalidInput, Conflict)):
            for line in _translated(refused):
                flash(line, "error")
            return redirect(url_for("workbench.dossier", code=code))
        raise
    except Exception:
        session.rollback()
        raise
    flash(_(success), "success")
    return redirect(url_for("workbench.dossier", code=code))


# --- pages ------------------------------------------------------------------------------------


@blueprint.get("")
@roles_required(*OFFICERS)
def queue():
    raw = request.args.get("status", "")
    status = DossierStatus(raw) if raw in {s.value for s in DossierStatus} else None
    overdue_only = raw == "late"
    view = services.queue(db_session(), current_account(), status=status, overdue_only=overdue_only, now=utcnow())
    return render_template("workbench/queue.html", view=view, chosen=raw, now=utcnow(), is_late=services.is_late)


@blueprint.route("/receive", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def receive_scan():
    error = None
    code = ""
    if request.method == "POST":
        code = (request.form.get("code") or "").strip().upper()
        try:
            dossier = services.officer_dossier(db_session(), current_account(), code)
        except DomainError as refused:
            error = _translated(refused)[0]
        else:
            return redirect(url_for("workbench.receive_compare", code=dossier.code))
    return render_template("workbench/receive_scan.html", error=error, code=code), (422 if error else 200)


@blueprint.route("/<code>/receive", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def receive_compare(code: str):
    session = db_session()
    dossier = services.officer_dossier(session, current_account(), code)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        answer = request.form.get("paper_matches")
        matches = {"yes": True, "no": False}.get(answer)
        try:
            services.receive_from_post(session, officer=current_account(), code=dossier.code, paper_matches=matches,
                                       discrepancies=request.form.get("discrepancies", ""), now=utcnow())
            session.commit()
        except InvalidInput as refused:
            session.rollback()
            for item in refused.field_errors:
                errors.setdefault(item.field, []).append(_(item.message) % item.params if item.params else _(item.message))
            if not refused.field_errors:
                errors["code"] = _translated(refused)
        except DomainError as refused:
            session.rollback()
            for line in _translated(refused):
                flash(line, "error")
            return redirect(url_for("workbench.dossier", code=dossier.code))
        else:
            flash(_("Đã ký nhận hồ sơ giấy từ bưu chính."), "success")
            return redirect(url_for("workbench.dossier", code=dossier.code))
    return render_template("workbench/receive_compare.html", dossier=dossier, errors=errors,
                           handover=services.handover_of(session, dossier)), (422 if errors else 200)


@blueprint.get("/<code>")
@roles_required(*OFFICERS)
def dossier(code: str):
    session = db_session()
    now = utcnow()
    row = services.officer_dossier(session, current_account(), code)
    return render_template(
        "workbench/dossier.html", dossier=row, now=now, late=services.is_late(row, now),
        left=services.working_time_left(row, now), allowed=allowed_actions(row.status), Action=Action,
        labels=ACTION_LABELS, simple=services.SIMPLE_ACTIONS, timeline=services.timeline(session, row),
        handover=services.handover_of(session, row), opinions=services.opinions_of(session, row),
        letters=services.apology_letters(session, row), supplement=services.outstanding_supplement(session, row),
        fee_paid=services.fee_paid(session, row), by_post=services.returns_by_post(row),
    )


def _pdf(code: str, number: int) -> Response:
    letter = services.apology_letter(db_session(), viewer=current_account(), code=code, number=number)
    response = Response(letters.apology_pdf(letter), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="thu-xin-loi-{letter.dossier.code}-{number}.pdf"'
    return response


@blueprint.get("/<code>/apology/<int:number>.pdf")
@roles_required(*OFFICERS)
def apology_pdf(code: str, number: int):
    return _pdf(code, number)


# --- the officer's step forms on the dossier page ------------------------------------------------


def _text(value: str | None) -> str:
    return value or ""


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class _StepForm:
    """One form of the dossier page: its URL, the use case it runs, the fields it hands over, what is said once done."""

    rule: str
    endpoint: str
    use_case: Callable
    fields: dict[str, Callable[[str | None], object]]
    done: str
    versioned: bool = True  # the page's version goes along, so a step taken from a stale page is refused
    tells_citizen: bool = False  # the citizen is told, with a link to look the dossier up


_STEP_FORMS = (
    _StepForm("/<code>/step", "step", services.advance, {"action": _text, "reason": _text},
              N_("Đã cập nhật hồ sơ.")),
    _StepForm("/<code>/supplement", "supplement", services.request_supplement, {"reasons": _text},
              N_("Đã gửi yêu cầu bổ sung cho công dân."), tells_citizen=True),
    _StepForm("/<code>/supplement/received", "supplement_received", services.receive_supplement, {"note": _text},
              N_("Đã nhận hồ sơ bổ sung; hạn xử lý đã được tính lại.")),
    _StepForm("/<code>/opinions", "ask_opinion", services.ask_opinion,
              {"agency_code": _text, "question": _text, "working_days": _int}, N_("Đã gửi yêu cầu lấy ý kiến.")),
    _StepForm("/<code>/opinions/<int:opinion_id>", "record_opinion", services.record_opinion, {"answer": _text},
              N_("Đã ghi ý kiến của cơ quan phối hợp."), versioned=False),
    _StepForm("/<code>/reject", "reject", services.reject, {"reasons": _text},
              N_("Đã từ chối hồ sơ và báo cho công dân."), tells_citizen=True),
    _StepForm("/<code>/withdraw", "withdraw", services.withdraw, {"reason": _text},
              N_("Đã ghi nhận công dân rút hồ sơ.")),
    _StepForm("/<code>/apology", "apology", services.issue_apology, {"reason": _text, "new_date": _date},
              N_("Đã lập thư xin lỗi và báo ngày hẹn mới cho công dân."), tells_citizen=True),
    _StepForm("/<code>/result", "result_ready", services.mark_result_ready, {"note": _text},
              N_("Đã báo có kết quả cho công dân."), tells_citizen=True),
    _StepForm("/<code>/return", "return_result", services.return_result, {"via": _text},
              N_("Đã trả kết quả, hồ sơ hoàn thành.")),
)


def _step_view(form: _StepForm) -> Callable:
    def view(code: str, **path_values):
        given = {name: parse(request.form.get(name)) for name, parse in form.fields.items()}
        if form.versioned:
            given["expected_version"] = _version()
        if form.tells_citizen:
            given["public_base_url"] = _base_url()
        return _run(code, lambda s: form.use_case(s, officer=current_account(), code=code, now=utcnow(),
                                                  **path_values, **given), form.done)

    view.__name__ = view.__qualname__ = form.endpoint
    return roles_required(*OFFICERS)(view)


for _form in _STEP_FORMS:
    blueprint.add_url_rule(_form.rule, _form.endpoint, _step_view(_form), methods=["POST"])


# --- API --------------------------------------------------------------------------------------


def dossier_summary(row) -> dict:
    return {
        "code": row.code, "status": row.status.value, "version": row.version, "procedure_code": row.procedure.code,
        "applicant_name": row.citizen.full_name, "channel": row.channel.value, "level": row.level,
        "received_at": row.received_at.isoformat(), "due_at": row.due_at.isoformat(),
        "appointment_date": row.appointment_date.isoformat(), "late": services.is_late(row, utcnow()),
    }


@api.get("/workbench/dossiers")
@api_auth(*OFFICERS)
def api_queue():
    raw = request.args.get("status", "")
    if raw and raw != "late" and raw not in {s.value for s in DossierStatus}:
        raise InvalidInput.on_field("status", N_("Trạng thái không hợp lệ."))
    status = DossierStatus(raw) if raw and raw != "late" else None
    view = services.queue(db_session(), current_account(), status=status, overdue_only=raw == "late", now=utcnow())
    return jsonify({"counts": view.counts, "late": view.overdue, "dossiers": [dossier_summary(d) for d in view.dossiers]})


def _dossier_json(session, row) -> dict:
    return {
        **dossier_summary(row),
        "allowed_actions": [a.value for a in allowed_actions(row.status)],
        "timeline": [
            {"at": e.at.isoformat(), "kind": e.kind, "title": e.title, "lines": e.lines, "actor": e.actor}
            for e in services.timeline(session, row)
        ],
        "apology_letters": [
            {"number": letter.number, "issued_at": letter.issued_at.isoformat(), "reason": letter.reason,
             "new_appointment_date": letter.new_appointment_date.isoformat()}
            for letter in services.apology_letters(session, row)
        ],
    }


@api.get("/workbench/dossiers/<code>")
@api_auth(*OFFICERS)
def api_dossier(code: str):
    session = db_session()
    return jsonify(_dossier_json(session, services.officer_dossier(session, current_account(), code)))


def _commit_and_show(session, code: str, work):
    try:
        work()
        session.commit()
    except Exception:
        session.rollback()
        raise
    return jsonify(_dossier_json(session, services.officer_dossier(session, current_account(), code)))


@api.post("/workbench/dossiers/<code>/handover")
@api_auth(*OFFICERS)
def api_handover(code: str):
    session = db_session()
    services.officer_dossier(session, current_account(), code)  # another agency's dossier is not found, whatever the body
    body = parse_body(schemas.WorkbenchHandover, request.get_json(silent=True))
    return _commit_and_show(session, code, lambda: services.receive_from_post(
        session, officer=current_account(), code=code, paper_matches=body.paper_matches,
        discrepancies=body.discrepancies or "", now=utcnow()))


@api.post("/workbench/dossiers/<code>/actions")
@api_auth(*OFFICERS)
def api_action(code: str):
    session = db_session()
    officer, now, base = current_account(), utcnow(), _base_url()
    services.officer_dossier(session, officer, code)  # another agency's dossier is not found, whatever the body
    body = parse_body(schemas.WorkbenchAction, request.get_json(silent=True))
    common = {"officer": officer, "code": code, "now": now, "expected_version": body.version}

    def text(name: str) -> str:
        return getattr(body, name) or ""  # an absent text is named by the service when the step needs it

    handlers = {
        "request_supplement": lambda: services.request_supplement(session, reasons=body.reasons, public_base_url=base, **common),
        "receive_supplement": lambda: services.receive_supplement(session, note=text("note"), **common),
        "reject": lambda: services.reject(session, reasons=body.reasons, public_base_url=base, **common),
        "withdraw": lambda: services.withdraw(session, reason=text("reason"), **common),
        "ask_opinion": lambda: services.ask_opinion(session, agency_code=text("agency_code"), question=text("question"),
                                                    working_days=body.working_days, **common),
        "record_opinion": lambda: services.record_opinion(session, officer=officer, code=code, now=now,
                                                          opinion_id=body.opinion_id, answer=text("answer")),
        "apologise": lambda: services.issue_apology(session, reason=text("reason"), new_date=_date(body.new_date),
                                                    public_base_url=base, **common),
        "mark_result_ready": lambda: services.mark_result_ready(session, note=text("note"), public_base_url=base, **common),
        "return_result": lambda: services.return_result(session, via=text("via"), **common),
        **{a.value: (lambda a=a: services.advance(session, action=a, reason=text("reason"), **common)) for a in services.SIMPLE_ACTIONS},
    }
    return _commit_and_show(session, code, handlers[body.action])


@api.get("/workbench/dossiers/<code>/apology-letters/<int:number>.pdf")
@api_auth(*OFFICERS)
def api_apology_pdf(code: str, number: int):
    return _pdf(code, number)
