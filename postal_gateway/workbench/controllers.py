"""The workbench's handlers: the officer's pages and step forms, and the API.

Each one parses the request, calls ``services`` inside one unit of work, and renders."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from spectree import Response as Documented

from postal_gateway.accounts.models import Role
from postal_gateway.api.spec import operation, reach_checked_before_the_body
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import N_, Conflict, DomainError, InvalidInput
from postal_gateway.core.formatting import to_local
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.core.uploads import ValidatedScan, validate_scan
from postal_gateway.dossiers.models import DossierStatus
from postal_gateway.dossiers.workflow import ACTION_LABELS, Action, allowed_actions
from postal_gateway.official_forms import issuing
from postal_gateway.official_forms.letter_layout import letter_pdf
from postal_gateway.web.auth import api_auth, current_account, roles_required
from postal_gateway.web.errors import errors_by_field
from postal_gateway.workbench import forms, letters, reception, scans, schemas, services
from tracking import services as tracking

OFFICERS = (Role.agency_staff, Role.agency_admin)


def _base_url() -> str:
    return current_app.config["SETTINGS"].public_base_url


def _translated(error: DomainError) -> list[str]:
    lines = [_(error.message) % error.params if error.params else _(error.message)]
    for item in error.field_errors:
        text = _(item.message) % item.params if item.params else _(item.message)
        if text not in lines:
            lines.append(text)
    return lines


def _run(code: str, work, success: str):
    """Run one use case in one unit of work; a refusal is rolled back and shown on the dossier page."""
    try:
        with unit_of_work() as session:
            work(session)
    except (InvalidInput, Conflict) as refused:
        for line in _translated(refused):
            flash(line, "error")
        return redirect(url_for("workbench.dossier", code=code))
    flash(_(success), "success")
    return redirect(url_for("workbench.dossier", code=code))


# --- pages ------------------------------------------------------------------------------------


@roles_required(*OFFICERS)
def queue():
    raw = request.args.get("status", "")
    status = DossierStatus(raw) if raw in {s.value for s in DossierStatus} else None
    overdue_only = raw == "late"
    view = services.queue(db_session(), current_account(), status=status, overdue_only=overdue_only, now=utcnow())
    return render_template("workbench/queue.html", view=view, chosen=raw, now=utcnow(), is_late=services.is_late)


@roles_required(*OFFICERS)
def receive_scan():
    error = None
    code = ""
    if request.method == "POST":
        code = forms.ReceiveScanForm(formdata=request.form).code.data
        try:
            dossier = services.officer_dossier(db_session(), current_account(), code)
        except DomainError as refused:
            error = _translated(refused)[0]
        else:
            return redirect(url_for("workbench.receive_compare", code=dossier.ref))
    return render_template("workbench/receive_scan.html", error=error, code=code), (422 if error else 200)


@roles_required(*OFFICERS)
def receive_compare(code: str):
    session = db_session()
    dossier = services.officer_dossier(session, current_account(), code)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = forms.ReceiveCompareForm(formdata=request.form)
        try:
            with unit_of_work(session):
                services.receive_from_post(session, officer=current_account(), code=dossier.ref,
                                           paper_matches=form.matches, discrepancies=form.discrepancies.data,
                                           now=utcnow())
        except InvalidInput as refused:
            for item in refused.field_errors:
                errors.setdefault(item.field, []).append(_(item.message) % item.params if item.params else _(item.message))
            if not refused.field_errors:
                errors["code"] = _translated(refused)
        except DomainError as refused:
            for line in _translated(refused):
                flash(line, "error")
            return redirect(url_for("workbench.dossier", code=dossier.ref))
        else:
            flash(_("Đã ký nhận hồ sơ giấy từ bưu chính."), "success")
            return redirect(url_for("workbench.dossier", code=dossier.ref))
    return render_template("workbench/receive_compare.html", dossier=dossier, errors=errors,
                           handover=services.handover_of(session, dossier)), (422 if errors else 200)


@roles_required(*OFFICERS)
def dossier(code: str):
    session = db_session()
    now = utcnow()
    row = services.officer_dossier(session, current_account(), code)
    return render_template(
        "workbench/dossier.html", dossier=row, now=now, late=services.is_late(row, now),
        left=services.working_time_left(row, now) if row.due_at is not None else None, allowed=allowed_actions(row.status), Action=Action,
        labels=ACTION_LABELS, simple=services.SIMPLE_ACTIONS, timeline=services.timeline(session, row),
        handover=services.handover_of(session, row), opinions=services.opinions_of(session, row),
        letters=services.apology_letters(session, row), supplement=services.outstanding_supplement(session, row),
        fee_paid=services.fee_paid(session, row), by_post=services.returns_by_post(row),
        electronic_result=services.electronic_result(row), result_document=services.result_document_of(session, row),
        scan_links=_scan_links(session, row),
        # Điều 25.2, 22.5: the two clocks the return leg would have if the result were ready now
        return_plan=(tracking.return_plan(session, row, now)
                     if services.returns_by_post(row) and Action.mark_result_ready in allowed_actions(row.status)
                     else None),
        forms=issuing.forms_of(session, row, current_account()),
        supplement_cause=services.presumed_supplement_cause(row), today=to_local(now).date(),
    )


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _scan_links(session, row) -> list[tuple[object, str]]:
    """Each scan of the dossier with its short-lived link for this officer (scans.LINK_LIFETIME)."""
    officer = current_account()
    return [(document, url_for("workbench.document", code=row.ref, document_id=document.id,
                               t=scans.sign_link(_secret(), document_id=document.id, officer_id=officer.id)))
            for document in scans.documents_of(session, row)]


#: what a scan may do in the browser: nothing but show itself (no script, no fetch, no framing; "sandbox" is left
#: out because Chromium then refuses to show a PDF at all)
SCAN_CONTENT_SECURITY_POLICY = ("default-src 'none'; img-src 'self'; object-src 'self'; style-src 'unsafe-inline'; "
                                "frame-ancestors 'none'; form-action 'none'; base-uri 'none'")


@roles_required(*OFFICERS)
def document(code: str, document_id: int):
    """One scan of the dossier through its signed link; the view is audited in the same unit of work."""
    session = db_session()
    try:
        with unit_of_work(session):
            row = scans.open_scan(session, officer=current_account(), code=code, document_id=document_id,
                                  token=request.args.get("t", ""), secret=_secret(), now=utcnow())
            data, content_type, filename = row.content, row.content_type, row.filename
    except scans.ScanLinkRefused as refused:
        # expired or not this officer's: back to the dossier page, which makes fresh links (nothing was served)
        for line in _translated(refused):
            flash(line, "error")
        return redirect(url_for("workbench.dossier", code=code, _anchor="scans"), code=303)
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SCAN_CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _stored_letter(code: str, number: int, endpoint: str):
    """The old letter address answers with the stored form 04 (URLs stay); a letter written before forms
    were stored has none."""
    letter = services.apology_letter(db_session(), viewer=current_account(), code=code, number=number)
    if letter.form_id is None:
        # written before forms were stored: drawn from what was recorded, on the form 04 page
        response = Response(letter_pdf(letters.legacy_apology_data(letter)), mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="thu-xin-loi-{letter.dossier.code}-{number}.pdf"'
        return response
    return redirect(url_for(endpoint, code=letter.dossier.code, form_id=letter.form_id), code=301)


@roles_required(*OFFICERS)
def apology_pdf(code: str, number: int):
    return _stored_letter(code, number, "official_forms.stored_form_pdf")


@roles_required(*OFFICERS)
def apology_form(code: str):
    """The dossier's apology form (form 04, Điều 9.3.d, 10.2.g): the processing agency's officers, and a
    cooperating agency's officers through their opinion request (their only way to the dossier): its facts,
    the letters the officer's body wrote, and the form."""
    session = db_session()
    officer = current_account()
    row, issuer_kind, opinion = services.apology_form_dossier(session, officer, code)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = forms.ApologyForm(formdata=request.form)
        values = form.use_case_values()
        values.update(issuer_kind=issuer_kind, cause="late", opinion_request_id=opinion.id if opinion else None)
        try:
            with unit_of_work(session):
                services.issue_apology(session, officer=officer, code=row.code, now=utcnow(),
                                       expected_version=form.expected_version, public_base_url=_base_url(), **values)
        except InvalidInput as refused:
            errors = errors_by_field(refused, default_field="reason")
        except Conflict as refused:
            for line in _translated(refused):
                flash(line, "error")
        else:
            flash(_("Đã lập phiếu xin lỗi (mẫu 04); Bộ phận Một cửa chuyển phiếu cho công dân để báo ngày hẹn mới."),
                  "success")
            return redirect(url_for("workbench.apology_form", code=row.code), code=303)
    own = [letter for letter in services.apology_letters(session, row) if letter.issuer_agency_id == officer.agency_id]
    return render_template("workbench/apology_form.html", dossier=row, opinion=opinion, issuer_kind=issuer_kind,
                           letters=own, errors=errors, late=services.is_late(row, utcnow())), (422 if errors else 200)


# --- the officer's step forms on the dossier page ------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step form of the dossier page: its URL, the use case it runs, the form that parses what it posts,
    what is said once done."""

    rule: str
    endpoint: str
    use_case: Callable
    form: type[forms.StepForm]
    done: str | Callable[[dict], str]  # or chosen from the values posted
    versioned: bool = True  # the page's version goes along, so a step taken from a stale page is refused
    tells_citizen: bool = False  # the citizen is told, with a link to look the dossier up
    #: (form field, use-case keyword) of a file the step takes, validated by content (core.uploads)
    upload: tuple[str, str] | None = None


def _accept(session, *, code: str, **values):
    """Acceptance, under the ``code`` name the step forms pass (a shipment number before acceptance)."""
    return reception.accept(session, ref=code, **values)


def _request_completion(session, *, code: str, **values):
    """Completion request at reception (form 02), under the ``code`` name the step forms pass."""
    return reception.request_completion(session, ref=code, **values)


def _forward_apology(session, *, number: int, **values):
    """The one-stop office forwards letter ``number`` of the dossier (Điều 9.4.d)."""
    return services.forward_apology(session, letter_number=number, **values)


def _refuse(session, *, code: str, **values):
    """Refusal at reception (form 03), under the ``code`` name the step forms pass."""
    return reception.refuse(session, ref=code, **values)


STEPS = (
    Step("/<code>/accept", "accept", _accept, forms.AcceptForm,
         N_("Đã tiếp nhận hồ sơ: đã cấp mã hồ sơ, ngày hẹn trả và báo cho công dân."), tells_citizen=True),
    Step("/<code>/completion", "request_completion", _request_completion, forms.CompletionForm,
         N_("Đã gửi yêu cầu bổ sung, hoàn thiện hồ sơ cho công dân."), tells_citizen=True),
    Step("/<code>/refuse", "refuse", _refuse, forms.RefuseForm,
         N_("Đã từ chối tiếp nhận hồ sơ và báo cho công dân."), tells_citizen=True),
    Step("/<code>/step", "step", services.advance, forms.AdvanceForm, N_("Đã cập nhật hồ sơ.")),
    Step("/<code>/supplement", "supplement", services.request_supplement, forms.SupplementForm,
         N_("Đã lập phiếu yêu cầu bổ sung (mẫu 02) và gửi cho công dân."), tells_citizen=True),
    Step("/<code>/supplement/received", "supplement_received", services.receive_supplement,
         forms.SupplementReceivedForm, N_("Đã nhận hồ sơ bổ sung; hạn xử lý đã được tính lại.")),
    Step("/<code>/opinions", "ask_opinion", services.ask_opinion, forms.AskOpinionForm,
         N_("Đã gửi yêu cầu lấy ý kiến.")),
    Step("/<code>/opinions/<int:opinion_id>", "record_opinion", services.record_opinion, forms.RecordOpinionForm,
         N_("Đã ghi ý kiến của cơ quan phối hợp."), versioned=False),
    Step("/<code>/reject", "reject", services.reject, forms.ReasonsForm,
         N_("Đã từ chối hồ sơ và báo cho công dân."), tells_citizen=True),
    Step("/<code>/withdraw", "withdraw", services.withdraw, forms.WithdrawForm, N_("Đã ghi nhận công dân rút hồ sơ.")),
    Step("/<code>/apology", "apology", services.issue_apology, forms.ApologyForm,
         N_("Đã lập phiếu xin lỗi (mẫu 04); Bộ phận Một cửa chuyển phiếu cho công dân để báo ngày hẹn mới."),
         tells_citizen=True),
    Step("/<code>/apology/<int:number>/forward", "forward_apology", _forward_apology, forms.ForwardApologyForm,
         N_("Đã chuyển phiếu xin lỗi cho công dân và ghi ngày hẹn trả mới."), tells_citizen=True),
    Step("/<code>/result", "result_ready", services.mark_result_ready, forms.ResultReadyForm,
         N_("Đã báo có kết quả cho công dân."), tells_citizen=True,
         upload=(services.RESULT_FILE_FIELD, "result_document")),
    Step("/<code>/return", "return_result", services.return_result, forms.ReturnResultForm,
         lambda given: (N_("Đã giao kết quả cho bưu chính; hồ sơ hoàn thành khi bưu chính phát kết quả.")
                        if given.get("via") == "post" else N_("Đã trả kết quả, hồ sơ hoàn thành."))),
)


def _uploaded(field: str) -> ValidatedScan | None:
    """The file posted in ``field``, validated by content (PDF, JPEG or PNG); None when none was chosen."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return None
    return validate_scan(upload.filename, upload.read(), max_bytes=current_app.config["SETTINGS"].max_upload_bytes,
                         field=field)


def step_view(step: Step) -> Callable:
    def view(code: str, **path_values):
        form = step.form(formdata=request.form)
        given = form.use_case_values()
        if step.versioned:
            given["expected_version"] = form.expected_version
        if step.tells_citizen:
            given["public_base_url"] = _base_url()
        done = step.done(given) if callable(step.done) else step.done

        def work(session):
            if step.upload is not None:  # inside the unit of work: a refused file is shown like any refusal
                field, keyword = step.upload
                given[keyword] = _uploaded(field)
            return step.use_case(session, officer=current_account(), code=code, now=utcnow(), **path_values, **given)

        return _run(code, work, done)

    view.__name__ = view.__qualname__ = step.endpoint
    return roles_required(*OFFICERS)(view)


#: the dossier page's step forms, by endpoint
step_views = {step.endpoint: step_view(step) for step in STEPS}


# --- API --------------------------------------------------------------------------------------




_CODE_PARAMETER = {
    "name": "code",
    "in": "path",
    "description": "Dossier code, e.g. 000.00.20.H10-261207-0001. Another agency's dossier answers 404.",
}
_STEP_REFUSALS = {"HTTP_400": None, "HTTP_401": None, "HTTP_403": None, "HTTP_404": None, "HTTP_409": None}


def _own_agency_dossier(code: str):
    """Another agency's dossier is not found, whatever the body."""
    return services.officer_dossier(db_session(), current_account(), code)


def _dossier_view(code: str) -> schemas.WorkbenchDossier:
    session = db_session()
    row = services.officer_dossier(session, current_account(), code)
    return schemas.WorkbenchDossier.of(session, row, utcnow())


@api_auth(*OFFICERS)
@operation(
    query=schemas.WorkbenchQueueQuery,
    resp=Documented(HTTP_200=schemas.WorkbenchQueue, HTTP_400=None, HTTP_401=None, HTTP_403=None),
    tags=["workbench"],
    operation_id="workbenchQueue",
)
def api_queue(query: schemas.WorkbenchQueueQuery):
    """The officer's agency's dossiers: counts per state and the chosen list by due time"""
    chosen = query.status
    status = DossierStatus(chosen) if chosen and chosen != "late" else None
    now = utcnow()
    view = services.queue(db_session(), current_account(), status=status, overdue_only=chosen == "late", now=now)
    return schemas.WorkbenchQueue.of(view, now)


@api_auth(*OFFICERS)
@operation(
    resp=Documented(HTTP_200=schemas.WorkbenchDossier, HTTP_401=None, HTTP_403=None, HTTP_404=None),
    tags=["workbench"],
    operation_id="workbenchDossier",
    openapi_extra={"parameters": [_CODE_PARAMETER]},
)
def api_dossier(code: str):
    """One dossier of the officer's agency with its timeline and the steps allowed next"""
    return _dossier_view(code)


@api_auth(*OFFICERS)
@reach_checked_before_the_body(_own_agency_dossier)
@operation(
    resp=Documented(HTTP_200=schemas.WorkbenchDossier, **_STEP_REFUSALS),
    tags=["workbench"],
    operation_id="workbenchHandover",
    openapi_extra={"parameters": [_CODE_PARAMETER]},
)
def api_handover(code: str, json: schemas.WorkbenchHandover):
    """Sign for the paper dossier brought by the post after comparing it with the online one

    Postal dossiers only, once. `discrepancies` is required when `paper_matches` is false. Ends the forward
    shipment leg (tracking).
    """
    with unit_of_work() as session:
        services.receive_from_post(session, officer=current_account(), code=code, paper_matches=json.paper_matches,
                                   discrepancies=json.discrepancies or "", now=utcnow())
    return _dossier_view(code)


def _step_of(session, body: schemas.WorkbenchAction, code: str) -> Callable[[], object]:
    """The use case the body names, with the fields that step reads."""
    officer, now, base = current_account(), utcnow(), _base_url()
    common = {"officer": officer, "code": code, "now": now, "expected_version": body.version}

    def text(name: str) -> str:
        return getattr(body, name) or ""  # an absent text is named by the service when the step needs it

    steps = {
        "accept": lambda: reception.accept(session, ref=code, basis=body.basis, public_base_url=base,
                                           officer=officer, now=now, expected_version=body.version),
        "request_completion": lambda: reception.request_completion(
            session, ref=code, items=body.items, reasons=body.reasons, public_base_url=base, officer=officer,
            now=now, expected_version=body.version),
        "refuse": lambda: reception.refuse(
            session, ref=code, reasons=body.reasons, competent_agency=text("competent_agency"),
            public_base_url=base, officer=officer, now=now, expected_version=body.version),
        "request_supplement": lambda: services.request_supplement(
            session, public_base_url=base, cause=body.cause, apology=body.apology,
            **({"items": (body.items, body.reasons or [])} if body.items is not None else {"reasons": body.reasons}),
            **common),
        "receive_supplement": lambda: services.receive_supplement(session, note=text("note"), **common),
        "reject": lambda: services.reject(session, reasons=body.reasons, public_base_url=base, **common),
        "withdraw": lambda: services.withdraw(session, reason=text("reason"), **common),
        "ask_opinion": lambda: services.ask_opinion(session, agency_code=text("agency_code"), question=text("question"),
                                                    working_days=body.working_days, **common),
        "record_opinion": lambda: services.record_opinion(session, officer=officer, code=code, now=now,
                                                          opinion_id=body.opinion_id, answer=text("answer")),
        "apologise": lambda: services.issue_apology(
            session, reason=text("reason"), new_date=body.new_day, issuer_kind=body.issuer_kind or "processing_agency",
            cause=body.cause or "late", opinion_request_id=body.opinion_request_id, public_base_url=base, **common),
        "forward_apology": lambda: services.forward_apology(session, letter_number=body.letter_number,
                                                            public_base_url=base, **common),
        "mark_result_ready": lambda: services.mark_result_ready(session, note=text("note"), public_base_url=base,
                                                                **common),
        "return_result": lambda: services.return_result(session, via=text("via"), **common),
        "hand_to_post": lambda: services.return_result(session, via="post", **common),
        **{action.value: (lambda action=action: services.advance(session, action=action, reason=text("reason"),
                                                                 **common))
           for action in services.SIMPLE_ACTIONS},
    }
    return steps[body.action]


@api_auth(*OFFICERS)
@reach_checked_before_the_body(_own_agency_dossier)
@operation(
    resp=Documented(HTTP_200=schemas.WorkbenchDossier, **_STEP_REFUSALS),
    tags=["workbench"],
    operation_id="workbenchAction",
    openapi_extra={"parameters": [_CODE_PARAMETER]},
)
def api_action(code: str, json: schemas.WorkbenchAction):
    """Take one workflow step

    `version` is the dossier version the caller saw; if someone acted in between the answer is 409 and nothing
    changes. A step the state machine does not allow from the current state is 409 with the reason. Fields per
    action: request_supplement and reject: `reasons` (list, all at once); withdraw: `reason`; ask_opinion:
    `agency_code`, `question`, `working_days` (1-30); record_opinion: `opinion_id`, `answer`; apologise:
    `reason`, `new_date` (after today, a working day; only past the due time, Điều 9.3.d, 9.4.d), `issuer_kind`
    (processing_agency; a cooperating agency's letter is written on its page), `cause` (late); forward_apology
    (Điều 9.4.d): `letter_number`, moves the appointment, not the due time; request_supplement (form 02, Điều
    12.1.c, 9.3.b): `items` with one `reasons` line each, `cause` (verification or reception_error; a second
    request is presumed a reception error unless verification started since), `apology_new_date` and
    `apology_reason` (the one-stop office's form 04, required for a reception error, Điều 9.4.b, 10.2.đ);
    mark_result_ready: `note` (an electronic result, level 4 not returned on paper, needs its file: page only);
    return_result: `via` (post: handed to the post, status result_with_post, "returned" on the return leg's
    delivery; counter: returned; level 4 is refused until the fee paid equals the fee owed); hand_to_post: as
    via=post; accept: `basis`
    (online_valid or paper_handover, Điều 12.1.d); a submitted dossier is reached by its shipment number;
    request_completion (form 02, Điều 12.1.c): `items` and `reasons` (one reason per item, all at once);
    refuse (form 03, Điều 9.1.b): `reasons`, `competent_agency`.
    """
    with unit_of_work() as session:
        _step_of(session, json, code)()
    return _dossier_view(code)


@api_auth(*OFFICERS)
@operation(
    resp=Documented(HTTP_401=None, HTTP_403=None, HTTP_404=None),
    tags=["workbench"],
    operation_id="workbenchApologyLetter",
    openapi_extra={
        "parameters": [_CODE_PARAMETER],
        "responses": {
            "301": {"description": "The letter's stored form 04 (Vietnamese PDF) at "
                                   "/api/v1/dossiers/{code}/forms/{form_id}.pdf",
                    "headers": {"Location": {"schema": {"type": "string"}}}},
            "200": {"description": "A letter written before forms were stored, drawn on the form 04 page", "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        },
    },
)
def api_apology_pdf(code: str, number: int):
    """An apology letter: moved to its stored form 04

    The letter's old address answers 301 with the address of the stored form 04 (Vietnamese PDF); a letter
    written before forms were stored is drawn from what was recorded (200, PDF).
    """
    return _stored_letter(code, number, "official_forms_api.api_stored_form_pdf")
