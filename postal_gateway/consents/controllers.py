"""The consents area's handlers: staff pages, the citizen's own consents, and the API."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from spectree import Response as Documented

from postal_gateway.accounts.forms import chosen_file
from postal_gateway.accounts.models import POST_OFFICE_ROLES, Role, User
from postal_gateway.accounts.one_time_codes import unit_of_work_counting_guesses
from postal_gateway.api.spec import operation
from postal_gateway.consents import audit, forms, schemas, services
from postal_gateway.consents.models import Consent, ConsentStatus
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import N_, InvalidInput, NotFound, TooManyAttempts
from postal_gateway.core.formatting import VIETNAM
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.core.uploads import validate_scan
from postal_gateway.web.auth import api_auth, current_account, roles_required
from postal_gateway.web.errors import translate

# --- helpers ------------------------------------------------------------------------------------


def _citizen_or_404(citizen_id: int) -> User:
    citizen = db_session.get(User, citizen_id)
    if citizen is None or citizen.role != Role.citizen:
        raise NotFound(N_("Không tìm thấy công dân này."))
    return citizen


def _visible_consent(consent_id: int, user: User) -> Consent:
    """The consent if this user may see it (the citizen, staff or manager of its post office); else 404."""
    consent = db_session.get(Consent, consent_id)
    if consent is None or not (services.can_revoke(consent, user) or services.can_review(consent, user)):
        raise NotFound(N_("Không tìm thấy ủy quyền này."))
    return consent


def _after_consent_url(consent: Consent) -> str:
    """With a usable consent, the worker goes on to take the citizen's dossier."""
    return url_for("dossiers.intake_start", citizen_id=consent.citizen_id)


def _errors_by_field(error: InvalidInput) -> dict[str, str]:
    messages: dict[str, str] = {}
    for item in error.field_errors:
        messages.setdefault(item.field, translate(item.message, item.params))
    return messages


def _max_upload_bytes() -> int:
    return current_app.config["SETTINGS"].max_upload_bytes


# --- pages --------------------------------------------------------------------------------------


@roles_required(Role.postal_staff)
def start(citizen_id: int):
    staff = current_account()
    citizen = _citizen_or_404(citizen_id)
    now = utcnow()
    errors: dict[str, str] = {}
    form = forms.ConsentStartForm()
    if form.is_submitted():
        try:
            valid_until = form.end_of_validity()
            if form.by_signed_scan:
                upload = chosen_file(form.scan)
                if upload is None:
                    raise InvalidInput.on_field("scan", N_("Hãy chụp hoặc chọn giấy ủy quyền có chữ ký của công dân."))
                scan = validate_scan(upload.filename, upload.read(), max_bytes=_max_upload_bytes(), field="scan")
                with unit_of_work() as session:
                    consent = services.attach_signed_authorisation(
                        session, citizen=citizen, staff=staff, scope=form.scope.data,
                        valid_until=valid_until, scan=scan, now=now,
                    )
                flash(_("Đã lưu giấy ủy quyền và báo cho công dân. Cần một người khác của bưu cục duyệt "
                        "hoặc công dân xác nhận trước khi làm hồ sơ."), "success")
                return redirect(url_for("consents.detail", consent_id=consent.id))
            with unit_of_work() as session:
                consent = services.request_consent(
                    session, citizen=citizen, staff=staff, scope=form.scope.data, valid_until=valid_until, now=now
                )
            return redirect(url_for("consents.confirm", consent_id=consent.id))
        except InvalidInput as error:
            errors = _errors_by_field(error)
    usable = [c for c in services.consents_of(db_session, citizen)
              if c.post_office_id == staff.post_office_id and services.is_usable(c, now)]
    return render_template(
        "consents/start.html", citizen=citizen, form=form.values(), errors=errors, usable=usable,
        after_url=_after_consent_url(usable[0]) if usable else None,
        max_mb=_max_upload_bytes() // (1024 * 1024), today=now.astimezone(VIETNAM).date(),
    ), (422 if errors else 200)


@roles_required(Role.postal_staff)
def confirm(consent_id: int):
    staff = current_account()
    consent = _visible_consent(consent_id, staff)
    if consent.status != ConsentStatus.pending:
        return redirect(url_for("consents.detail", consent_id=consent.id))
    errors: dict[str, str] = {}
    status = 200
    form = forms.ConsentCodeForm()
    if form.is_submitted():
        if form.asks_for_a_new_code:
            try:
                with unit_of_work() as session:
                    services.resend_consent_code(session, consent, staff=staff)
                flash(_("Đã gửi lại mã tới điện thoại của công dân."), "info")
                return redirect(url_for("consents.confirm", consent_id=consent.id))
            except TooManyAttempts as error:
                errors = {"resend": translate(error.message, error.params)}
                status = 429
        else:
            try:
                with unit_of_work_counting_guesses() as session:
                    services.confirm_consent(session, consent, form.code.data, staff=staff)
                flash(_("Công dân đã xác nhận ủy quyền."), "success")
                return redirect(_after_consent_url(consent))
            except (InvalidInput, TooManyAttempts) as error:
                errors = {"code": translate(error.message, error.params)}
                status = 429 if isinstance(error, TooManyAttempts) else 422
    return render_template("consents/confirm.html", consent=consent, errors=errors), status


@roles_required(Role.postal_staff, Role.office_manager, Role.citizen)
def detail(consent_id: int):
    user = current_account()
    consent = _visible_consent(consent_id, user)

    now = utcnow()
    return render_template(
        "consents/detail.html", consent=consent, usable=services.is_usable(consent, now), now=now,
        history=audit.history_for(db_session, "consent", consent.id), is_citizen=user.id == consent.citizen_id,
        after_url=_after_consent_url(consent), can_review=services.can_review(consent, user),
    )


@roles_required(Role.postal_staff, Role.office_manager)
def review(consent_id: int):
    user = current_account()
    consent = _visible_consent(consent_id, user)
    with unit_of_work() as session:
        services.review_signed_authorisation(session, consent, reviewer=user, now=utcnow())
    flash(_("Đã duyệt giấy ủy quyền. Có thể làm hồ sơ thay công dân."), "success")
    return redirect(url_for("consents.detail", consent_id=consent.id))


@roles_required(Role.citizen)
def confirm_mine(consent_id: int):
    citizen = current_account()
    consent = _visible_consent(consent_id, citizen)
    with unit_of_work() as session:
        services.confirm_signed_authorisation(session, consent, citizen=citizen, now=utcnow())
    flash(_("Bạn đã xác nhận giấy ủy quyền."), "success")
    return redirect(url_for("consents.my_consents"))


@roles_required(Role.postal_staff, Role.office_manager, Role.citizen)
def scan(consent_id: int):
    consent = _visible_consent(consent_id, current_account())
    if consent.scan_content is None:
        raise NotFound(N_("Ủy quyền này không có giấy ủy quyền đính kèm."))
    response = Response(consent.scan_content, mimetype=consent.scan_content_type)
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(consent.scan_filename or 'uy-quyen')}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@roles_required(Role.postal_staff, Role.citizen)
def revoke(consent_id: int):
    user = current_account()
    consent = _visible_consent(consent_id, user)
    with unit_of_work() as session:
        services.revoke_consent(session, consent, by=user, reason=forms.RevocationForm().reason.data, now=utcnow())
    flash(_("Đã thu hồi ủy quyền."), "success")
    if user.id == consent.citizen_id:
        return redirect(url_for("consents.my_consents"))
    return redirect(url_for("consents.citizen_consents", citizen_id=consent.citizen_id))


@roles_required(Role.postal_staff)
def citizen_consents(citizen_id: int):
    staff = current_account()
    citizen = _citizen_or_404(citizen_id)
    consents = [c for c in services.consents_of(db_session, citizen) if c.post_office_id == staff.post_office_id]
    return render_template("consents/list.html", citizen=citizen, consents=consents, now=utcnow(), mine=False)


@roles_required(Role.citizen)
def my_consents():
    citizen = current_account()
    return render_template(
        "consents/list.html", citizen=citizen, consents=services.consents_of(db_session, citizen),
        now=utcnow(), mine=True,
    )


# --- API ----------------------------------------------------------------------------------------


def _id_parameter(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description}


_CONSENT_ID = _id_parameter("consent_id", "The consent.")


@api_auth(Role.postal_staff)
@operation(
    resp=Documented(HTTP_201=schemas.Consent, HTTP_401=None, HTTP_403=None, HTTP_404=None, HTTP_429=None),
    tags=["consents"],
    operation_id="requestConsent",
    openapi_extra={"responses": {"201": {"description": "Pending consent; the code was sent.",
                                         "headers": {"Location": {"schema": {"type": "string"}}}}}},
)
def api_request_consent(json: schemas.ConsentRequest):
    """Ask a citizen for a consent; a 6-digit code is sent to the citizen's phone

    Postal staff only. The consent is for the staff member's post office and stays `pending` until the citizen's
    code is confirmed. A `single_dossier` consent needs no end date and lapses 7 days after confirmation if
    unused; a `period` consent needs `valid_until`, in the future and at most 366 days away. `valid_until` is an
    ISO 8601 time with offset, or a date `YYYY-MM-DD` meaning through the end of that day in Vietnam.
    """
    citizen = _citizen_or_404(json.citizen_id)
    with unit_of_work() as session:
        consent = services.request_consent(
            session, citizen=citizen, staff=current_account(), scope=json.scope, valid_until=json.valid_until
        )
    location = url_for("consents.detail", consent_id=consent.id)
    return schemas.Consent.of(consent, utcnow()), 201, {"Location": location}


@api_auth(Role.postal_staff)
@operation(
    resp=Documented(HTTP_200=schemas.Consent, HTTP_401=None, HTTP_403=None, HTTP_404=None, HTTP_409=None,
                    HTTP_429=None),
    tags=["consents"],
    operation_id="confirmConsent",
    openapi_extra={"parameters": [_CONSENT_ID], "responses": {"200": {"description": "The consent is active."}}},
)
def api_confirm_consent(consent_id: int, json: schemas.ConsentCode):
    """Confirm a pending consent with the code the citizen received

    Postal staff of the consent's post office. Five wrong codes kill the code (429).
    """
    staff = current_account()
    consent = _visible_consent(consent_id, staff)
    with unit_of_work_counting_guesses() as session:
        services.confirm_consent(session, consent, json.code, staff=staff)
    return schemas.Consent.of(consent, utcnow())


@api_auth(Role.postal_staff, Role.office_manager)
@operation(
    resp=Documented(HTTP_200=schemas.Consent, HTTP_401=None, HTTP_403=None, HTTP_404=None, HTTP_409=None),
    tags=["consents"],
    operation_id="reviewSignedConsent",
    openapi_extra={"parameters": [_CONSENT_ID], "responses": {"200": {"description": "The consent is active."}}},
)
def api_review_consent(consent_id: int):
    """Approve a signed authorisation scan (a second person of the post office)

    A consent by signed scan stays awaiting_review until another postal worker or the office manager of its post
    office (never the one who attached it) reviews it, or the citizen confirms it.
    """
    reviewer = current_account()
    consent = _visible_consent(consent_id, reviewer)
    with unit_of_work() as session:
        services.review_signed_authorisation(session, consent, reviewer=reviewer)
    return schemas.Consent.of(consent, utcnow())


@api_auth(Role.postal_staff, Role.citizen)
@operation(
    resp=Documented(HTTP_200=schemas.Consent, HTTP_401=None, HTTP_403=None, HTTP_404=None, HTTP_409=None),
    tags=["consents"],
    operation_id="revokeConsent",
    openapi_extra={"parameters": [_CONSENT_ID], "requestBody": {"required": False},
                   "responses": {"200": {"description": "The consent is revoked."}}},
)
def api_revoke_consent(consent_id: int, json: schemas.ConsentRevocation):
    """Revoke a consent for ever

    The citizen, or postal staff of the consent's post office (who must give a reason).
    """
    user = current_account()
    consent = _visible_consent(consent_id, user)
    with unit_of_work() as session:
        services.revoke_consent(session, consent, by=user, reason=json.reason)
    return schemas.Consent.of(consent, utcnow())


@api_auth(Role.postal_staff, Role.citizen)
@operation(
    resp=Documented(HTTP_200=schemas.CitizenConsentsOut, HTTP_401=None, HTTP_403=None, HTTP_404=None),
    tags=["consents"],
    operation_id="listCitizenConsents",
    openapi_extra={"parameters": [_id_parameter("citizen_id", "The citizen's account.")],
                   "responses": {"200": {"description": "The consents."}}},
)
def api_citizen_consents(citizen_id: int):
    """A citizen's consents, newest first

    The citizen sees all of theirs; postal staff see those for their own post office.
    """
    user = current_account()
    if user.role == Role.citizen and user.id != citizen_id:
        raise NotFound(N_("Không tìm thấy công dân này."))
    citizen = _citizen_or_404(citizen_id)
    now = utcnow()
    consents = services.consents_of(db_session, citizen)
    if user.role in POST_OFFICE_ROLES:
        consents = [c for c in consents if c.post_office_id == user.post_office_id]
    return schemas.CitizenConsentsOut(citizen_id=citizen.id, items=[schemas.Consent.of(c, now) for c in consents])
