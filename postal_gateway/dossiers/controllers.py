"""The dossiers area's handlers: the intake wizard, dossier pages, the slip, and the API.

Each one parses the request, calls ``services`` inside one unit of work, and renders."""
from __future__ import annotations

import base64

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import (
    session as web_session,
)
from flask_babel import gettext as _
from spectree import Response as Documented

from contracts.quotes import offline_price_table, quote_for_intake
from payments import services as payments
from postal_gateway.accounts.models import Role
from postal_gateway.api.spec import operation, reach_checked_before_the_body
from postal_gateway.consents.services import find_valid_consent
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import N_, Conflict, DomainError, FieldError, Forbidden, InvalidInput, NotFound
from postal_gateway.core.formatting import format_local_datetime
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.core.uploads import KIND_NAMES, validate_scans
from postal_gateway.dossiers import consignment, forms, intake, page_pdf, resubmission, schemas, services
from postal_gateway.dossiers.models import CollectionMethod, CollectionPlace, Dossier, DossierStatus
from postal_gateway.dossiers.procedure_choice import procedure_choice
from postal_gateway.dossiers.slip import BackPageContacts, from_form_values, slip_data_for
from postal_gateway.dossiers.slip_layout import render_slip
from postal_gateway.official_forms import issuing
from postal_gateway.official_forms.numbering import RECEIPT
from postal_gateway.web.auth import api_auth, current_account, roles_required
from postal_gateway.web.errors import errors_by_field, problem

STAFF_ROLES = (Role.postal_staff, Role.agency_staff, Role.agency_admin, Role.operator)
ALL_ROLES = (Role.citizen, *STAFF_ROLES)
SLIP_LAYOUTS = ("a4", "a5", "roll80")
METHOD_CHOICES = (CollectionMethod.cash, CollectionMethod.collection_on_behalf)
STEPS = ("checklist", "scans", "collection", "review")


def _settings():
    return current_app.config["SETTINGS"]


def _scan_store() -> intake.ScanStore:
    return intake.ScanStore(_settings().instance_dir / "intake_scans")


def _consent_url(citizen_id: int) -> str | None:
    if "consents.start" in current_app.view_functions:
        return url_for("consents.start", citizen_id=citizen_id)
    return None


# --- wizard -----------------------------------------------------------------------------------


@roles_required(Role.postal_staff)
def intake_start():
    staff = current_account()
    citizen_id = forms.database_id(request.args.get("citizen_id"))
    find_url = url_for("accounts.find_citizen") if "accounts.find_citizen" in current_app.view_functions else None
    if citizen_id is None:
        status = 422 if request.args.get("citizen_id") else 200
        return render_template("dossiers/intake_start.html", citizen=None, find_url=find_url), status
    try:
        citizen = services.find_citizen(db_session(), citizen_id)
    except InvalidInput as error:
        return render_template(
            "dossiers/intake_start.html", citizen=None, find_url=find_url, errors=errors_by_field(error)
        ), 422

    consent = find_valid_consent(
        db_session(), citizen_id=citizen.id, post_office_id=staff.post_office_id, at=utcnow()
    )
    if consent is None:
        target = _consent_url(citizen.id)
        if target:
            return redirect(target)
        raise Forbidden(N_("Chưa có ủy quyền hợp lệ của công dân cho bưu cục này."))

    query = request.args.get("q", "").strip()[:100]
    show_all = request.args.get("all") == "1"
    choice = procedure_choice(db_session(), post_office_id=staff.post_office_id, q=query, show_all=show_all)
    return render_template(
        "dossiers/intake_procedure.html", citizen=citizen, choice=choice, procedures=choice.procedures, query=query
    )


@roles_required(Role.postal_staff)
def intake_create():
    form = forms.IntakeStartForm(formdata=request.form)
    session = db_session()
    citizen = services.find_citizen(session, form.citizen)
    procedure = services.intake_procedure(session, form.procedure_code.data)
    state = intake.new_state(citizen.id, procedure.code)
    state.staff_id = current_account().id
    state.organisation_name = citizen.organisation_name or ""
    state.delivery_address = citizen.address or ""
    state.fee_method = "cash" if procedure.fee_vnd else ""
    store = _scan_store()
    store.sweep()
    for dropped in intake.save(web_session, state):
        store.drop(dropped)
    return redirect(url_for("dossiers.intake_checklist", wizard_id=state.wizard_id))


def _owns(state: intake.IntakeState) -> bool:
    """Only the staff member who opened a wizard uses it (a shared phone, a session kept after logging out)."""
    return state.staff_id is None or state.staff_id == current_account().id


def _wizard(wizard_id: str):
    """The wizard's state, citizen and procedure; a finished wizard goes to its dossier."""
    state = intake.load(web_session, wizard_id)
    if state is None or not _owns(state):
        abort(404)
    session = db_session()
    citizen = services.find_citizen(session, state.citizen_id)
    procedure = services.intake_procedure(session, state.procedure_code)
    return state, citizen, procedure


def _finished(state: intake.IntakeState):
    if state.dossier_code:
        return redirect(url_for("dossiers.dossier_detail", code=state.dossier_code))
    return None


def _render_step(template: str, step: str, state, citizen, procedure, status: int = 200, **context):
    return render_template(
        template,
        step=step,
        steps=STEPS,
        state=state,
        citizen=citizen,
        procedure=procedure,
        errors=context.pop("errors", {}),
        **context,
    ), status


@roles_required(Role.postal_staff)
def intake_checklist(wizard_id: str):
    state, citizen, procedure = _wizard(wizard_id)
    if (done := _finished(state)) is not None:
        return done
    if request.method == "POST":
        ticked = forms.ChecklistForm(formdata=request.form).ticked
        state.checklist = ticked
        errors = services.checklist_errors(procedure, ticked)
        intake.save(web_session, state)
        if errors:
            missing = [_(e.message) % e.params for e in errors]
            return _render_step("dossiers/intake_checklist.html", "checklist", state, citizen, procedure, 422,
                                missing=missing)
        if "checklist" not in state.done:
            state.done.append("checklist")
        intake.save(web_session, state)
        return redirect(url_for("dossiers.intake_scans", wizard_id=wizard_id))
    return _render_step("dossiers/intake_checklist.html", "checklist", state, citizen, procedure, missing=[])


def _document_limit() -> int:
    """A document of many pages may be larger than one file: twice the limit of one page."""
    return _settings().max_upload_bytes * 2


def _pages_by_item(wizard_id: str, items) -> dict[int, list[intake.Page]]:
    store = _scan_store()
    return {item.id: store.pages(wizard_id, item.id) for item in items}


def _page_action(wizard_id: str, items, action: str) -> None:
    """``up|down|delete:<item id>:<page id>`` from the plain form's buttons (the script uses the page API)."""
    verb, _sep, rest = action.partition(":")
    item_text, _sep, page_id = rest.partition(":")
    item_id = forms.database_id(item_text)
    if verb not in ("up", "down", "delete") or item_id not in {item.id for item in items}:
        return
    store = _scan_store()
    try:
        if verb == "delete":
            store.delete_page(wizard_id, item_id, page_id)
        else:
            store.move_page(wizard_id, item_id, page_id, -1 if verb == "up" else 1)
    except NotFound:
        pass  # already gone (another tab): the page shows what is left


@roles_required(Role.postal_staff)
def intake_scans(wizard_id: str):
    state, citizen, procedure = _wizard(wizard_id)
    if (done := _finished(state)) is not None:
        return done
    if "checklist" not in state.done:
        return redirect(url_for("dossiers.intake_checklist", wizard_id=wizard_id))
    items = [item for item in procedure.checklist if item.id in state.checklist]
    if request.method == "POST":
        store = _scan_store()
        errors: list[FieldError] = []
        refused_fields = set()
        for item in items:  # every good file is kept at once, whatever else is refused
            field = services.scan_field(item.id)
            files = [(upload.filename, upload.read()) for upload in request.files.getlist(field)
                     if upload is not None and upload.filename]
            _kept, refused = intake.keep_pages(store, wizard_id, item.id, files,
                                               max_bytes=_settings().max_upload_bytes, field=field)
            errors.extend(refused)
            refused_fields.update(error.field for error in refused)
        action = request.form.get("page_action", "")
        if action:
            _page_action(wizard_id, items, action)
        if not action:
            errors.extend(_complete_scans(state, items, refused_fields))
        if errors:
            return _render_step("dossiers/intake_scans.html", "scans", state, citizen, procedure, 422,
                                items=items, pages=_pages_by_item(wizard_id, items),
                                errors=errors_by_field(InvalidInput("", field_errors=errors)))
        if action:
            return redirect(url_for("dossiers.intake_scans", wizard_id=wizard_id))
        if "scans" not in state.done:
            state.done.append("scans")
        intake.save(web_session, state)
        return redirect(url_for("dossiers.intake_collection", wizard_id=wizard_id))
    return _render_step("dossiers/intake_scans.html", "scans", state, citizen, procedure, items=items,
                        pages=_pages_by_item(wizard_id, items))


def _complete_scans(state: intake.IntakeState, items, refused_fields: set[str]) -> list[FieldError]:
    """Each ticked document's pages become its one file (kept in the wizard's folder for the review);
    a document with no page, or a file too big, is named."""
    store = _scan_store()
    errors: list[FieldError] = []
    for item in items:
        field = services.scan_field(item.id)
        document = intake.document_file(store, state.wizard_id, item.id, item.name)
        if document is None:
            kept = state.scans.get(str(item.id), {})
            if kept and "pages" not in kept and store.get(state.wizard_id, item.id) is not None:
                continue  # one file kept by a wizard opened before documents had pages
            if field not in refused_fields:
                errors.append(FieldError(field, N_("Thiếu tệp quét của: %(name)s."), {"name": item.name}))
            continue
        try:
            scan = validate_scans([(field, document.filename, document.data)], max_bytes=_document_limit())[0]
        except InvalidInput as refused:
            errors.extend(refused.field_errors)
            continue
        store.put(state.wizard_id, item.id, scan.data)
        state.scans[str(item.id)] = {"filename": scan.filename, "sha256": scan.sha256, "pages": document.pages,
                                     "page_count": document.page_count}
    return errors


def _stale_scans(state: intake.IntakeState) -> bool:
    """A document's pages changed after the scans step made its file (another tab, the back button)."""
    store = _scan_store()
    if not store.has_page_list(state.wizard_id):  # dropped after the dossier was sent, or swept
        return False
    for key, meta in state.scans.items():
        if int(key) in state.checklist and "pages" in meta:
            if meta["pages"] != intake.pages_fingerprint(store.pages(state.wizard_id, int(key))):
                return True
    return False


# --- the pages of a document, one request each (static/js/page_photos.js) ---------------------


def _page_wizard(wizard_id: str, item_id: int):
    """The open wizard of the current staff member and one of its ticked documents, or NotFound/Conflict."""
    state = intake.load(web_session, wizard_id)
    if state is None or not _owns(state):
        raise NotFound(N_("Không tìm thấy phiên nhận hồ sơ này."))
    if state.dossier_code:
        raise Conflict(N_("Hồ sơ đã được gửi: không thay đổi được các trang nữa."))
    procedure = services.intake_procedure(db_session(), state.procedure_code)
    item = next((item for item in procedure.checklist if item.id == item_id and item.id in state.checklist), None)
    if item is None or "checklist" not in state.done:
        raise NotFound(N_("Giấy tờ này không có trong danh sách đã đánh dấu."))
    return state, item


def _page_problem(error: DomainError):
    status = 404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict) else 422
    fields = [{"field": item.field, "message": _(item.message) % item.params if item.params else _(item.message)}
              for item in error.field_errors]
    detail = fields[0]["message"] if fields else (_(error.message) % error.params if error.params
                                                  else _(error.message))
    return problem(status, detail, field_errors=fields)


def _pages_json(wizard_id: str, item_id: int, pages: list[intake.Page]) -> dict:
    address = {"wizard_id": wizard_id, "checklist_item_id": item_id}

    def one(page: intake.Page, position: int) -> dict:
        return {
            "id": page.id,
            "position": position,
            "filename": page.filename,
            "kind": KIND_NAMES[page.content_type],
            "size_bytes": page.size_bytes,
            "page_count": page.page_count,
            "thumbnail_url": (url_for("dossiers.intake_page_thumbnail", page_id=page.id, **address)
                              if page.content_type != "application/pdf" else None),
        }

    return {
        "checklist_item_id": item_id,
        "page_count": sum(page.page_count for page in pages),
        "pages": [one(page, position) for position, page in enumerate(pages, start=1)],
        "move_url": url_for("dossiers.intake_page_move", **address),
        "delete_url": url_for("dossiers.intake_page_delete", **address),
    }


@roles_required(Role.postal_staff)
def intake_pages(wizard_id: str, checklist_item_id: int):
    """GET: the document's pages in order. POST (multipart, one file named ``page``): keep it as the
    document's last page (201), or name it with the reason it is refused (422); nothing else changes."""
    try:
        _state, item = _page_wizard(wizard_id, checklist_item_id)
    except DomainError as error:
        return _page_problem(error)
    store = _scan_store()
    if request.method == "GET":
        return _pages_json(wizard_id, item.id, store.pages(wizard_id, item.id))
    upload = request.files.get("page")
    if upload is None or not upload.filename:
        return _page_problem(InvalidInput.on_field("page", N_("Chưa chọn tệp.")))
    kept, refused = intake.keep_pages(store, wizard_id, item.id, [(upload.filename, upload.read())],
                                      max_bytes=_settings().max_upload_bytes, field=services.scan_field(item.id))
    if refused:
        return _page_problem(InvalidInput(N_("Có tệp tải lên không hợp lệ."), field_errors=refused))
    body = _pages_json(wizard_id, item.id, store.pages(wizard_id, item.id))
    body["page"] = next(page for page in body["pages"] if page["id"] == kept[0].id)
    return body, 201


def _page_id_field() -> str:
    page_id = request.form.get("page_id", "")
    if not intake.is_page_id(page_id):
        raise InvalidInput.on_field("page_id", N_("Thiếu mã trang hoặc mã trang không hợp lệ."))
    return page_id


@roles_required(Role.postal_staff)
def intake_page_move(wizard_id: str, checklist_item_id: int):
    """Move a page (form fields ``page_id``, ``direction`` up or down) one place; answers the new order."""
    try:
        _page_wizard(wizard_id, checklist_item_id)
        page_id = _page_id_field()
        direction = request.form.get("direction", "")
        if direction not in ("up", "down"):
            raise InvalidInput.on_field("direction", N_("Hướng chuyển trang phải là up hoặc down."))
        pages = _scan_store().move_page(wizard_id, checklist_item_id, page_id, -1 if direction == "up" else 1)
    except DomainError as error:
        return _page_problem(error)
    return _pages_json(wizard_id, checklist_item_id, pages)


@roles_required(Role.postal_staff)
def intake_page_delete(wizard_id: str, checklist_item_id: int):
    """Remove a page (form field ``page_id``); answers the pages left."""
    try:
        _page_wizard(wizard_id, checklist_item_id)
        pages = _scan_store().delete_page(wizard_id, checklist_item_id, _page_id_field())
    except DomainError as error:
        return _page_problem(error)
    return _pages_json(wizard_id, checklist_item_id, pages)


@roles_required(Role.postal_staff)
def intake_page_thumbnail(wizard_id: str, checklist_item_id: int, page_id: str):
    """A small JPEG of a photographed page, for the list of pages."""
    try:
        _page_wizard(wizard_id, checklist_item_id)
        data = _scan_store().page_data(wizard_id, checklist_item_id, page_id)
        return Response(page_pdf.thumbnail(data), mimetype="image/jpeg")
    except DomainError:
        abort(404)
    except (OSError, ValueError):  # a PDF page has no thumbnail
        abort(404)


def _payment(method: str, amount: int) -> services.CollectedPayment | None:
    if not method:
        return None
    try:
        parsed = CollectionMethod(method)
    except ValueError:
        return services.CollectedPayment(amount, method)  # refused by the rules with a message
    return services.CollectedPayment(amount, parsed)


def _collection_place(value: str) -> CollectionPlace | None:
    try:
        return CollectionPlace(value)
    except ValueError:
        return None


@roles_required(Role.postal_staff)
def intake_collection(wizard_id: str):
    state, citizen, procedure = _wizard(wizard_id)
    if (done := _finished(state)) is not None:
        return done
    if "scans" not in state.done:
        return redirect(url_for("dossiers.intake_scans", wizard_id=wizard_id))
    if request.method == "POST":
        form = forms.CollectionForm(formdata=request.form)
        state.collection_place = form.collection_place.data
        state.pickup_address = form.pickup_address.data
        state.delivery_address = form.delivery_address.data
        state.organisation_name = form.organisation_name.data
        state.fee_method = form.fee_method.data if procedure.fee_vnd else ""
        postage = form.postage
        state.postage_method = form.postage_method.data
        state.digitally_signed = form.signed
        if form.wants_quote:  # recalculate the postage for the addresses just typed
            state.postage_vnd = 0
            intake.save(web_session, state)
            return redirect(url_for("dossiers.intake_collection", wizard_id=wizard_id))
        errors = services.collection_errors(
            procedure,
            collection_place=_collection_place(state.collection_place),
            pickup_address=state.pickup_address,
            delivery_address=state.delivery_address,
            fee_collected=_payment(state.fee_method, procedure.fee_vnd),
            postage_vnd=postage,
            postage_collected=_payment(state.postage_method, postage if isinstance(postage, int) else 0),
            organisation_name=state.organisation_name,
        )
        if isinstance(postage, int) and 0 <= postage <= services.MAX_AMOUNT_VND:
            state.postage_vnd = postage
        if errors:
            return _render_step("dossiers/intake_collection.html", "collection", state, citizen, procedure, 422,
                                methods=METHOD_CHOICES, postage_raw=form.postage_vnd.data,
                                intake_quote=_intake_quote(state, procedure),
                                offline_prices=_offline_prices(state, procedure),
                                errors=errors_by_field(InvalidInput("", field_errors=errors)))
        if "collection" not in state.done:
            state.done.append("collection")
        intake.save(web_session, state)
        return redirect(url_for("dossiers.intake_review", wizard_id=wizard_id))
    intake_quote = _intake_quote(state, procedure)
    postage_raw = str(state.postage_vnd)
    if not state.postage_vnd and intake_quote.quote is not None:
        postage_raw = str(intake_quote.quote.postage_total_vnd)  # prefilled from the contract's tariff
    return _render_step("dossiers/intake_collection.html", "collection", state, citizen, procedure,
                        methods=METHOD_CHOICES, postage_raw=postage_raw, intake_quote=intake_quote,
                        offline_prices=_offline_prices(state, procedure))


def _offline_prices(state, procedure):
    """The postage of every pair of zones, for the pickers to quote with no signal (None without a contract)."""
    try:
        return offline_price_table(db_session(), procedure=procedure, post_office_id=current_account().post_office_id,
                                   fee_method=state.fee_method, at=utcnow())
    except InvalidInput:  # an agency or office that cannot be placed: the server's quote says why
        return None


def _intake_quote(state, procedure):
    """The itemised postage of the contract in force, for the addresses chosen so far."""
    return quote_for_intake(
        db_session(),
        procedure=procedure,
        collection_place=state.collection_place or "post_office",
        post_office_id=current_account().post_office_id,
        pickup_address=state.pickup_address,
        delivery_address=state.delivery_address,
        fee_method=state.fee_method,
        at=utcnow(),
    )


@roles_required(Role.postal_staff)
def intake_review(wizard_id: str):
    state, citizen, procedure = _wizard(wizard_id)
    if (done := _finished(state)) is not None:
        return done
    if "collection" not in state.done:
        return redirect(url_for("dossiers.intake_collection", wizard_id=wizard_id))
    if _stale_scans(state):
        flash(_("Các trang ảnh đã thay đổi sau bước tệp quét: kiểm tra lại rồi bấm Tiếp tục để ghép lại."), "error")
        return redirect(url_for("dossiers.intake_scans", wizard_id=wizard_id))
    names = {item.id: item.name for item in procedure.checklist}
    if request.method == "POST":
        store = _scan_store()
        earlier = services.find_submitted(db_session(), current_account(), state.submission_key)
        if earlier is not None:  # the reply to the first tap was lost on the way
            state.dossier_code = earlier.ref
            intake.save(web_session, state)
            return redirect(url_for("dossiers.dossier_detail", code=earlier.ref))
        scans = []
        for key, meta in state.scans.items():
            item_id = int(key)
            data = store.get(wizard_id, item_id)
            if item_id in state.checklist and data is not None:
                scans.append((item_id, meta["filename"], data))
        command = services.PostalSubmission(
            staff=current_account(),
            citizen=citizen,
            procedure_code=procedure.code,
            checklist_ticked=state.checklist,
            scans=scans,
            collection_place=_collection_place(state.collection_place),
            pickup_address=state.pickup_address,
            delivery_address=state.delivery_address,
            fee_collected=_payment(state.fee_method, procedure.fee_vnd),
            postage_vnd=state.postage_vnd,
            postage_collected=_payment(state.postage_method, state.postage_vnd),
            submission_key=state.submission_key,
            max_scan_bytes=_document_limit(),  # pages were checked one by one; a document may hold many
            organisation_name=state.organisation_name,
            digitally_signed=state.digitally_signed,
            public_base_url=_settings().public_base_url,
        shipment_prefix=_settings().shipment_prefix,
        )
        try:
            with unit_of_work() as session:
                outcome = services.submit(session, command)
        except InvalidInput as error:
            return _render_step("dossiers/intake_review.html", "review", state, citizen, procedure, 422,
                                names=names, errors=errors_by_field(error), problem=_(error.message))
        except Forbidden as error:
            return _render_step("dossiers/intake_review.html", "review", state, citizen, procedure, 403,
                                names=names, problem=_(error.message), consent_url=_consent_url(citizen.id))
        except Conflict as error:  # e.g. a cash shift still open at another post office: nothing was saved
            return _render_step("dossiers/intake_review.html", "review", state, citizen, procedure, 409,
                                names=names, problem=_(error.message, **error.params))
        if outcome.opened_shift is not None:
            flash(_("Đã tự mở ca thu tiền lúc %(at)s: tiền mặt và thu hộ của hồ sơ được ghi vào sổ thu của ca.",
                    at=format_local_datetime(outcome.opened_shift.opened_at)), "success")
        state.dossier_code = outcome.dossier.ref
        intake.save(web_session, state)
        store.drop(wizard_id)
        return redirect(url_for("dossiers.dossier_detail", code=outcome.dossier.ref))
    return _render_step("dossiers/intake_review.html", "review", state, citizen, procedure, names=names)


# --- dossier pages ----------------------------------------------------------------------------


def _fee_states(dossiers: list[Dossier]) -> dict[int, str]:
    """Each dossier's lệ phí as the pages show it: "due" (still to pay online), "paid", or absent
    when nothing is owed."""
    balances = payments.fee_balances(db_session(), dossiers)
    states = {}
    for dossier in dossiers:
        balance = balances[dossier.id]
        if payments.fee_payable_online(dossier, balance):
            states[dossier.id] = "due"
        elif balance.owed_vnd > 0 and balance.due_vnd <= 0:
            states[dossier.id] = "paid"
    return states


@roles_required(*ALL_ROLES)
def list_dossiers():
    dossiers = services.list_dossiers(db_session(), current_account(), limit=50)
    return render_template("dossiers/list.html", dossiers=dossiers, fee_states=_fee_states(dossiers))


@roles_required(*ALL_ROLES)
def dossier_detail(code: str):
    dossier = services.get_dossier_by_code(db_session(), code, viewer=current_account())
    fee_state = _fee_states([dossier]).get(dossier.id)
    viewer = current_account()
    owner = dossier.citizen_id == viewer.id
    resubmittable = (dossier.status == DossierStatus.completion_requested
                     and resubmission.may_resubmit(dossier, viewer))
    return render_template(
        "dossiers/detail.html",
        dossier=dossier,
        originals_by_post=services.originals_follow_by_post(dossier),
        slip_url=url_for("dossiers.slip_pdf", code=dossier.ref, _external=True),
        # shared with people who have no login: the public lookup, never a page behind one
        share_url=services.lookup_url(dossier.ref, _settings().public_base_url or request.host_url),
        fee_state=fee_state,
        pay_url=url_for("payments.pay_dossier", code=dossier.ref) if owner and fee_state == "due" else None,
        forms=issuing.forms_of(db_session(), dossier, viewer),
        resubmit_url=url_for("dossiers.resubmit", code=dossier.ref) if resubmittable else None,
    )


def _flash_refusal(refused: DomainError) -> None:
    flash(_(refused.message) % refused.params if refused.params else _(refused.message), "error")
    for item in refused.field_errors:
        text = _(item.message) % item.params if item.params else _(item.message)
        if text != _(refused.message):
            flash(text, "error")


@roles_required(Role.citizen, Role.postal_staff, Role.office_manager)
def resubmit(code: str):
    """The completed dossier goes back to the one-stop office (Điều 12.1.c); a refusal is shown on its page."""
    form = forms.ResubmitForm(formdata=request.form)
    try:
        with unit_of_work() as session:
            dossier = resubmission.resubmit(session, person=current_account(), ref=code, now=utcnow(),
                                            confirmed=form.is_confirmed, note=form.note.data or "",
                                            expected_version=form.expected_version)
            ref = dossier.ref
    except (InvalidInput, Conflict) as refused:
        _flash_refusal(refused)
        return redirect(url_for("dossiers.dossier_detail", code=code))
    flash(_("Đã nộp lại hồ sơ: cơ quan sẽ kiểm tra và tiếp nhận."), "success")
    return redirect(url_for("dossiers.dossier_detail", code=ref))


def _form_01_pdf(dossier: Dossier, layout: str) -> bytes:
    """Form 01 as issued: the stored A4 bytes, or the A5 and 80 mm layouts drawn from the values frozen with it
    (so no layout drifts from what was issued). A dossier accepted before form 01 was stored has none: its slip
    is still drawn from the live rows, as it always was."""
    form = issuing.latest_form(db_session(), dossier, RECEIPT)
    if form is None:
        settings = _settings()
        return render_slip(slip_data_for(dossier, settings.public_base_url, BackPageContacts.of(settings)), layout)
    if layout == "a4":
        return form.pdf
    return render_slip(from_form_values(form.data), layout)


def _slip_response(dossier: Dossier) -> Response:
    if dossier.code is None:
        # Form 01 is issued by the one-stop officer on acceptance (Điều 9.1.c, 14.4), never at the post.
        raise Conflict(N_("Hồ sơ %(ref)s chưa được cơ quan tiếp nhận: chưa có Giấy tiếp nhận hồ sơ và hẹn trả kết "
                          "quả (Điều 14.4). Bưu chính chỉ cấp Phiếu gửi hồ sơ."), params={"ref": dossier.shipment_number})
    layout = request.args.get("layout", "a4")
    if layout not in SLIP_LAYOUTS:
        raise InvalidInput(
            N_("Khổ giấy không hỗ trợ."),
            field_errors=[FieldError("layout", N_("Chọn khổ a4, a5 hoặc roll80."))],
        )
    pdf = _form_01_pdf(dossier, layout)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{dossier.ref}-{layout}.pdf"'
    return response


@roles_required(*ALL_ROLES)
def consignment_pdf(code: str):
    """The post's consignment slip (not form 01): printable from submission on, by code or shipment number."""
    dossier = services.get_dossier_by_code(db_session(), code, viewer=current_account())
    layout = request.args.get("layout", "a4")
    pdf = consignment.consignment_pdf(dossier, layout, _settings().public_base_url)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="phieu-gui-{dossier.shipment_number}-{layout}.pdf"'
    return response


@roles_required(*ALL_ROLES)
def slip_pdf(code: str):
    return _slip_response(services.get_dossier_by_code(db_session(), code, viewer=current_account()))


# --- API --------------------------------------------------------------------------------------


def _collected(payment: schemas.FeeCollected | schemas.PostageOwed | None) -> services.CollectedPayment | None:
    if payment is None or payment.method is None:
        return None
    return services.CollectedPayment(payment.amount_vnd, CollectionMethod(payment.method))


def _submission_from(body: schemas.PostalSubmission, key: str) -> services.PostalSubmission:
    session = db_session()
    return services.PostalSubmission(
        staff=current_account(),
        citizen=services.find_citizen(session, body.citizen_id),
        procedure_code=body.procedure_code,
        checklist_ticked=body.checklist,
        scans=[
            (document.checklist_item_id, document.filename, base64.b64decode(document.content_base64, validate=True))
            for document in body.documents
        ],
        collection_place=body.collection_place,
        pickup_address=body.pickup_address or "",
        delivery_address=body.delivery_address or "",
        fee_collected=_collected(body.fee),
        postage_vnd=body.postage.amount_vnd if body.postage else 0,
        postage_collected=_collected(body.postage),
        submission_key=key,
        max_scan_bytes=_settings().max_upload_bytes,
        organisation_name=body.organisation_name or "",
        form_data=body.form_data,
        digitally_signed=body.digitally_signed,
        public_base_url=_settings().public_base_url,
        shipment_prefix=_settings().shipment_prefix,
    )


_CODE_PARAMETER = {
    "name": "code",
    "in": "path",
    "description": "Dossier code, e.g. 000.00.20.H10-261207-0001 (Điều 15).",
    "schema": {"type": "string", "pattern": r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9A-Z]{2}-[0-9]{6}-[0-9]{4}$"},
}
_PDF = {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}


@api_auth(Role.postal_staff)
@operation(
    resp=Documented(HTTP_201=schemas.DossierOut, HTTP_200=schemas.DossierOut, HTTP_400=None, HTTP_401=None, HTTP_403=None,
                  HTTP_404=None, HTTP_409=None),
    tags=["dossiers"],
    operation_id="submitPostalDossier",
    openapi_extra={
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 64}}],
        "responses": {
            "201": {"description": "Received; `Location` names the new dossier.",
                    "headers": {"Location": {"schema": {"type": "string"}}}},
            "200": {"description": "A retry of an earlier submission with the same key and body.",
                    "headers": {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]}}}},
        },
    },
)
def api_create_dossier(json: schemas.PostalSubmission):
    """Submit a dossier collected by postal staff, through the citizen's account

    Postal staff only. The citizen must have an active consent for the staff member's post office. Missing
    required checklist documents are all named at once (field `checklist`). One scan per ticked document. A
    level-3 fee must be collected at intake; a level-4 fee may be left for online payment. Money taken in cash
    or on behalf is a line of the worker's cash shift, opened by this intake if none is open; a shift still open
    at another post office answers 409 and nothing is saved. The
    `Idempotency-Key` header is required: the same key with the same body answers 200 with the same dossier and
    `Idempotent-Replayed: true`; the same key with a different body answers 409.
    """
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > services.MAX_KEY_LENGTH:
        return problem(
            400,
            _("Cần tiêu đề Idempotency-Key (1 đến 64 ký tự) để tránh gửi trùng hồ sơ."),
            field_errors=[{"field": "Idempotency-Key", "message": _("Bắt buộc, 1 đến 64 ký tự.")}],
        )
    with unit_of_work() as session:
        outcome = services.submit(session, _submission_from(json, key))
    headers = {"Location": url_for("dossiers_api.api_get_dossier", code=outcome.dossier.ref)}
    if outcome.replayed:
        return schemas.DossierOut.of(outcome.dossier), 200, {**headers, "Idempotent-Replayed": "true"}
    return schemas.DossierOut.of(outcome.dossier), 201, headers


@api_auth(*ALL_ROLES)
@operation(
    query=schemas.DossierListQuery,
    resp=Documented(HTTP_200=schemas.DossierList, HTTP_401=None, HTTP_422=None),
    tags=["dossiers"],
    operation_id="listDossiers",
)
def api_list_dossiers(query: schemas.DossierListQuery):
    """List the dossiers the caller may see, newest first, page by page

    Postal staff see their post office's, agency staff their agency's, citizens their own, operators all (the
    same list as the Hồ sơ page). The same few statements for any `per_page` (no query per dossier)."""
    session, viewer = db_session(), current_account()
    status = DossierStatus(query.status) if query.status else None
    dossiers = services.list_dossiers(session, viewer, status=status, limit=query.per_page,
                                      offset=(query.page - 1) * query.per_page)
    total = services.count_dossiers(session, viewer, status=status)
    urls = {d.id: url_for("dossiers_api.api_get_dossier", code=d.ref) for d in dossiers}
    return schemas.DossierList.of(dossiers, fee_states=_fee_states(dossiers), urls=urls, page=query.page,
                                  per_page=query.per_page, total=total)


@api_auth(*ALL_ROLES)
@operation(
    resp=Documented(HTTP_200=schemas.DossierOut, HTTP_401=None, HTTP_404=None),
    tags=["dossiers"],
    operation_id="getDossier",
    openapi_extra={"parameters": [_CODE_PARAMETER]},
)
def api_get_dossier(code: str):
    """Read a dossier (the citizen, staff of its post office or agency, operators)"""
    return schemas.DossierOut.of(services.get_dossier_by_code(db_session(), code, viewer=current_account()))


def _reachable_for_resubmission(code: str) -> None:
    """A dossier the caller may not see is not found, whatever the body."""
    services.get_dossier_by_code(db_session(), code, viewer=current_account())


@api_auth(Role.citizen, Role.postal_staff, Role.office_manager)
@reach_checked_before_the_body(_reachable_for_resubmission)
@operation(
    resp=Documented(HTTP_200=schemas.DossierOut, HTTP_400=None, HTTP_401=None, HTTP_403=None, HTTP_404=None,
                    HTTP_409=None),
    tags=["dossiers"],
    operation_id="resubmitDossier",
    openapi_extra={"parameters": [{**_CODE_PARAMETER, "description": "Shipment number (S10) of a dossier sent "
                                   "back for completion, or its code.", "schema": {"type": "string",
                                                                                   "maxLength": 40}}]},
)
def api_resubmit(code: str, json: schemas.Resubmission):
    """Resubmit a dossier sent back for completion (Điều 12.1.c)

    The citizen who owns it, or the postal staff of the office that submitted it (under the citizen's consent).
    `confirmed` must be true: every item of the completion request (form 02) is completed. The dossier is
    `submitted` again and waits for the one-stop officer; `submitted_at` keeps the first submission. Anything
    but a `completion_requested` dossier answers 409.
    """
    with unit_of_work() as session:
        dossier = resubmission.resubmit(session, person=current_account(), ref=code, now=utcnow(),
                                        confirmed=json.confirmed, note=json.note or "",
                                        expected_version=json.version)
        ref = dossier.ref
    return schemas.DossierOut.of(services.get_dossier_by_code(db_session(), ref, viewer=current_account()))


@api_auth(*ALL_ROLES)
@operation(
    resp=Documented(HTTP_401=None, HTTP_404=None, HTTP_409=None),
    tags=["dossiers"],
    operation_id="getDossierSlip",
    openapi_extra={"parameters": [_CODE_PARAMETER], "responses": {"200": {"description": "The slip, inline.", **_PDF}}},
)
def api_slip_pdf(code: str, query: schemas.SlipQuery):
    """Receipt and appointment slip (Điều 18) as PDF"""
    return _slip_response(services.get_dossier_by_code(db_session(), code, viewer=current_account()))
