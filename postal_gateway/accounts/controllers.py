"""The accounts area's handlers: registration, activation, login, password reset, citizens at the counter, tokens."""
from __future__ import annotations

import base64
import binascii

from flask import (
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
from flask_login import login_user, logout_user
from spectree import Response as Documented
from sqlalchemy.orm import Session
from werkzeug.datastructures import CombinedMultiDict

from postal_gateway.accounts import (
    forms,
    one_time_codes,
    registration_privacy,
    schemas,
    services,
    sessions,
    throttles,
    tokens,
)
from postal_gateway.accounts.identity_documents import IdentityDocument, parse_issue_date
from postal_gateway.accounts.models import Role, User
from postal_gateway.api.spec import operation
from postal_gateway.core.db import db_session
from postal_gateway.core.domain import N_, Conflict, DomainError, FieldError, InvalidInput, NotFound, TooManyAttempts
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.core.uploads import validate_scan
from postal_gateway.web.auth import SessionUser, api_auth, current_account, roles_required
from postal_gateway.web.errors import errors_by_field, problem, translate
from postal_gateway.web.safe_redirects import safe_local_path

PENDING_ACTIVATION = "pending_activation_user_id"
RESET_IDENTIFIER = "password_reset_identifier"
#: a self-registration whose ID number or e-mail was taken: answered like a new one (registration_privacy)
UNCONFIRMED_REGISTRATION = "unconfirmed_registration"


def configure_codes(state) -> None:
    """The one-time codes' HMAC key is the app's SECRET_KEY (registered once with the blueprint)."""
    one_time_codes.configure(state.app.config["SECRET_KEY"])


def _form_errors(form: forms.PageForm) -> dict[str, list[str]]:
    """A page form's refusals per field, in the reader's language."""
    return {name: [_(message) for message in messages] for name, messages in form.errors.items()}


def _safe_next(target: str | None) -> str:
    return safe_local_path(target, fallback=url_for("web.home"))


def consent_url(citizen_id: int) -> str:
    """Where the worker goes next: the citizen's consent for the worker's post office (R-02)."""
    return url_for("consents.start", citizen_id=citizen_id)


# --- login and logout -------------------------------------------------------------------------


@throttles.login_per_account
@throttles.login_per_client
def login():
    error = None
    form = forms.LoginForm()
    if form.is_submitted():
        try:
            user = services.authenticate(db_session, form.identifier.data, form.password.data)
        except services.AccountNotActive as inactive:
            web_session[PENDING_ACTIVATION] = inactive.user.id
            flash(translate(inactive.message), "info")
            return redirect(url_for("accounts.activate"))
        except services.InvalidCredentials:
            error = _("Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản chưa được kích hoạt.")
        else:
            login_user(SessionUser(user))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", error=error), (401 if error else 200)


def logout():
    user = current_account()
    if user is not None:
        with unit_of_work() as session:
            sessions.end_page_sessions(session, user)
    logout_user()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("web.home"))


# --- self-registration and activation ---------------------------------------------------------


def register():
    errors: dict[str, list[str]] = {}
    form = forms.RegistrationForm()
    if form.is_submitted():
        try:
            # a taken ID number or e-mail writes nothing: register_online answers None
            with unit_of_work() as session:
                user = _register_from_form(session, form)
        except (InvalidInput, Conflict) as error:
            errors = errors_by_field(error)
            status = 409 if isinstance(error, Conflict) else 422
            return render_template("accounts/register.html", form=form.values(), errors=errors), status
        # A taken ID number or e-mail is answered like a new account (see registration_privacy).
        if user is None and _is_pending_in_this_browser(form.id_number.data):
            pass  # a double tap on a slow link: keep the account just made
        elif user is None:
            web_session.pop(PENDING_ACTIVATION, None)
            pending = registration_privacy.start_unconfirmed(form.full_name.data, form.email.data)
            web_session[UNCONFIRMED_REGISTRATION] = pending.as_session()
        else:
            web_session.pop(UNCONFIRMED_REGISTRATION, None)
            web_session[PENDING_ACTIVATION] = user.id
        flash(_("Mã kích hoạt được gửi đến số điện thoại hoặc thư điện tử bạn khai, trừ khi số giấy tờ hoặc thư điện tử này đã có tài khoản."), "success")
        return redirect(url_for("accounts.activate"))
    return render_template("accounts/register.html", form=form.values(), errors=errors)


def _register_from_form(session: Session, form: forms.RegistrationForm) -> User | None:
    return registration_privacy.register_online(
        session,
        full_name=form.full_name.data,
        id_number=form.id_number.data,
        phone=form.phone.data,
        email=form.email.data,
        password=form.password.data,
        organisation_name=form.organisation_name.data,
        address=form.address.data,
        activation_channel=form.chosen_channel,
        terms_accepted=form.terms_accepted,
    )


def _pending_user() -> User | None:
    user_id = web_session.get(PENDING_ACTIVATION)
    user = db_session.get(User, user_id) if isinstance(user_id, int) else None
    return user if user is not None and not user.is_active else None


def _is_pending_in_this_browser(id_number: str) -> bool:
    """Whether this ID number's account is the one this browser registered and is activating."""
    pending = _pending_user()
    return pending is not None and services.find_citizen_by_id_number(db_session, id_number) is pending


def _unconfirmed_registration() -> registration_privacy.UnconfirmedRegistration | None:
    return registration_privacy.UnconfirmedRegistration.from_session(web_session.get(UNCONFIRMED_REGISTRATION))


@throttles.code_guess_per_client
def activate():
    user = _pending_user()
    unconfirmed = _unconfirmed_registration() if user is None else None
    if user is None and unconfirmed is None:
        flash(_("Không có tài khoản nào đang chờ kích hoạt. Vui lòng đăng nhập hoặc đăng ký."), "info")
        return redirect(url_for("accounts.login"))
    errors: dict[str, list[str]] = {}
    form = forms.OneTimeCodeForm()
    if form.is_submitted():
        try:
            if unconfirmed is not None:
                try:
                    registration_privacy.refuse_code(unconfirmed, form.code.data)
                finally:
                    web_session[UNCONFIRMED_REGISTRATION] = unconfirmed.as_session()
            else:
                with one_time_codes.unit_of_work_counting_guesses() as session:
                    services.activate_account(session, user, form.code.data)
        except (InvalidInput, TooManyAttempts) as error:
            status = 429 if isinstance(error, TooManyAttempts) else 422
            shown = user or unconfirmed
            return render_template("accounts/activate.html", user=shown, errors=errors_by_field(error, "code")), status
        web_session.pop(PENDING_ACTIVATION, None)
        flash(_("Tài khoản đã được kích hoạt. Mời bạn đăng nhập."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/activate.html", user=user or unconfirmed, errors=errors)


@throttles.code_request_per_client
def resend_activation():
    user = _pending_user()
    unconfirmed = _unconfirmed_registration() if user is None else None
    if user is None and unconfirmed is None:
        return redirect(url_for("accounts.login"))
    channel = forms.ResendCodeForm().chosen_channel
    try:
        if unconfirmed is not None:
            registration_privacy.resend(unconfirmed)
            web_session[UNCONFIRMED_REGISTRATION] = unconfirmed.as_session()
        else:
            with unit_of_work() as session:
                services.resend_activation_code(session, user, channel=channel)
    except (TooManyAttempts, InvalidInput) as error:
        flash(translate(error.message, error.params), "error")
    else:
        flash(_("Mã kích hoạt mới được gửi, trừ khi số giấy tờ hoặc thư điện tử này đã có tài khoản."), "success")
    return redirect(url_for("accounts.activate"))


# --- password reset ---------------------------------------------------------------------------


@throttles.reset_request_per_account
@throttles.code_request_per_client
def forgot_password():
    form = forms.ForgotPasswordForm()
    if form.is_submitted():
        if not form.validate():
            return render_template("accounts/forgot_password.html", errors=_form_errors(form)), 422
        identifier = form.identifier.data
        with unit_of_work() as session:
            services.request_password_reset(session, identifier)
        web_session[RESET_IDENTIFIER] = identifier
        flash(_("Nếu tài khoản tồn tại, mã đặt lại mật khẩu đã được gửi đến số điện thoại hoặc thư điện tử đã đăng ký."), "info")
        return redirect(url_for("accounts.reset_password"))
    return render_template("accounts/forgot_password.html", errors={})


@throttles.reset_guess_per_account(RESET_IDENTIFIER)
@throttles.code_guess_per_client
def reset_password():
    form = forms.ResetPasswordForm()
    identifier = form.identifier.data or web_session.get(RESET_IDENTIFIER, "")
    if form.is_submitted():
        try:
            with one_time_codes.unit_of_work_counting_guesses() as session:
                services.reset_password(
                    session,
                    identifier,
                    form.code.data,
                    form.new_password.data,
                    confirm_password=form.confirm_password.data,
                )
        except (InvalidInput, TooManyAttempts) as error:
            errors = errors_by_field(error, "code")
            return render_template("accounts/reset_password.html", identifier=identifier, errors=errors), 422
        web_session.pop(RESET_IDENTIFIER, None)
        flash(_("Đã đặt mật khẩu mới. Mời bạn đăng nhập."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", identifier=identifier, errors={})


# --- postal staff: citizens at the counter or at the door --------------------------------------


@roles_required(Role.postal_staff)
def find_citizen():
    query = request.args.get("q", "").strip()
    with unit_of_work() as session:  # the search's audit entry
        results = services.find_citizens(session, query, searched_by=current_account()) if query else []
    return render_template(
        "accounts/find_citizen.html", query=query, results=results, form={}, errors={}, searched=bool(query)
    )


def _max_upload_bytes() -> int:
    return current_app.config["SETTINGS"].max_upload_bytes


def _document_from_form(
    form: forms.CitizenAtCounterForm | forms.ReclaimForm,
) -> tuple[IdentityDocument, list[FieldError]]:
    """The issue date and card photo from a staff form; a bad photo is reported with the other fields."""
    upload = forms.chosen_file(form.id_photo)
    photo, errors = None, []
    if upload is not None:
        try:
            photo = validate_scan(upload.filename, upload.read(), max_bytes=_max_upload_bytes(), field="id_photo")
        except InvalidInput as refused:
            errors = refused.field_errors
    return IdentityDocument(parse_issue_date(form.id_issued_on.data), photo), errors


def _document_from_json(body: dict) -> IdentityDocument:
    """``id_issued_on`` (YYYY-MM-DD) and ``id_photo_base64`` (+ ``id_photo_filename``) of an API body."""
    raw = body.get("id_photo_base64")
    photo = None
    if isinstance(raw, str) and raw:
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput.on_field("id_photo", N_("Ảnh giấy tờ phải được mã hóa base64.")) from None
        name = body.get("id_photo_filename") if isinstance(body.get("id_photo_filename"), str) else "giay-to"
        photo = validate_scan(name, data, max_bytes=_max_upload_bytes(), field="id_photo")
    return IdentityDocument(parse_issue_date(body.get("id_issued_on")), photo)


def _with_upload_errors(error: DomainError, upload_errors: list[FieldError]) -> dict[str, list[str]]:
    found = errors_by_field(error)
    for item in upload_errors:
        found[item.field] = [translate(item.message, item.params)]
    return found


@roles_required(Role.postal_staff)
def register_citizen_for():
    form = forms.CitizenAtCounterForm()
    document, upload_errors = _document_from_form(form)
    try:
        with unit_of_work() as session:
            citizen, created = services.find_or_register_citizen(
                session,
                registered_by=current_account(),
                full_name=form.full_name.data,
                id_number=form.id_number.data,
                phone=form.phone.data,
                email=form.email.data,
                organisation_name=form.organisation_name.data,
                address=form.address.data,
                id_document=document,
            )
    except (InvalidInput, Conflict) as error:
        return (
            render_template(
                "accounts/find_citizen.html", query="", results=[], form=form.values(),
                errors=_with_upload_errors(error, upload_errors), searched=False
            ),
            409 if isinstance(error, Conflict) else 422,
        )
    if created:
        flash(_("Đã tạo tài khoản và gửi mã kích hoạt đến điện thoại của công dân. Mời công dân đọc mã cho bạn."), "success")
    else:
        flash(_("Công dân này đã có tài khoản; không cần đăng ký lại."), "info")
    return redirect(url_for("accounts.citizen_detail", citizen_id=citizen.id))


@roles_required(*services.RECLAIM_ROLES)
def reclaim_identity():
    """The real holder of an ID number someone else registered, with their card, at a post office or agency."""
    form = forms.ReclaimForm(formdata=CombinedMultiDict([request.files, request.form, request.args]))
    if request.method == "GET":
        return render_template("accounts/reclaim.html", form=form.values(), errors={})
    document, upload_errors = _document_from_form(form)
    try:
        with unit_of_work() as session:
            holder, _frozen = services.reclaim_identity(
                session, checked_by=current_account(), id_number=form.id_number.data, full_name=form.full_name.data,
                phone=form.phone.data, email=form.email.data, reason=form.reason.data, id_document=document,
            )
    except (InvalidInput, Conflict, NotFound) as error:
        status = 409 if isinstance(error, Conflict) else (404 if isinstance(error, NotFound) else 422)
        errors = _with_upload_errors(error, upload_errors) if error.field_errors or upload_errors else {
            "id_number": [translate(error.message, error.params)]}
        return render_template("accounts/reclaim.html", form=form.values(), errors=errors), status
    flash(_("Đã khóa tài khoản cũ và tạo tài khoản mới cho chủ giấy tờ. Mã kích hoạt đã gửi đến điện thoại của công dân."), "success")
    if current_account().role == Role.postal_staff:
        return redirect(url_for("accounts.citizen_detail", citizen_id=holder.id))
    return redirect(url_for("accounts.reclaim_identity"))


@roles_required(Role.postal_staff)
def citizen_detail(citizen_id: int):
    citizen = services.get_citizen(db_session, citizen_id)
    return render_template("accounts/citizen.html", citizen=citizen, errors={}, next_url=consent_url(citizen.id))


@roles_required(Role.postal_staff)
def activate_citizen(citizen_id: int):
    citizen = services.get_citizen(db_session, citizen_id)
    try:
        with one_time_codes.unit_of_work_counting_guesses() as session:
            services.activate_account(session, citizen, forms.OneTimeCodeForm().code.data)
    except (InvalidInput, TooManyAttempts) as error:
        return (
            render_template(
                "accounts/citizen.html", citizen=citizen, errors=errors_by_field(error, "code"), next_url=consent_url(citizen.id)
            ),
            429 if isinstance(error, TooManyAttempts) else 422,
        )
    flash(_("Tài khoản của công dân đã được kích hoạt."), "success")
    return redirect(url_for("accounts.citizen_detail", citizen_id=citizen.id))


@roles_required(Role.postal_staff)
def resend_citizen_code(citizen_id: int):
    citizen = services.get_citizen(db_session, citizen_id)
    try:
        with unit_of_work() as session:
            services.resend_activation_code(session, citizen)
    except (TooManyAttempts, InvalidInput, Conflict) as error:
        flash(translate(error.message, error.params), "error")
    else:
        flash(_("Đã gửi lại mã kích hoạt."), "success")
    return redirect(url_for("accounts.citizen_detail", citizen_id=citizen.id))


# --- API ----------------------------------------------------------------------------------------

_CITIZEN_ID = {"name": "citizen_id", "in": "path", "required": True, "schema": {"type": "integer"}}


@throttles.login_per_account
@throttles.login_per_client
@operation(
    resp=Documented(HTTP_200=schemas.TokenOut, HTTP_401=None, HTTP_429=None),
    tags=["accounts"],
    operation_id="createToken",
    openapi_extra={"security": [], "responses": {"200": {"description": "The token; shown only this once"}}},
)
def create_token(json: schemas.TokenRequest):
    """Exchange an identifier and password for a bearer token (12 hours)"""
    try:
        user = services.authenticate(db_session, json.identifier, json.password)
    except services.InvalidCredentials as error:
        response = problem(401, translate(error.message))
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    with unit_of_work() as session:
        raw, _row = tokens.issue_token(session, user)
    return schemas.TokenOut.of(raw)


@api_auth()
@operation(
    resp=Documented(HTTP_204=None, HTTP_401=None),
    tags=["accounts"],
    operation_id="revokeToken",
    openapi_extra={"responses": {"204": {"description": "Revoked"}}},
)
def revoke_token():
    """Revoke the token used for this request"""
    raw = request.headers.get("Authorization", "")[7:].strip()
    with unit_of_work() as session:
        tokens.revoke_token(session, raw)
    return "", 204


def _identity_document(body: schemas.CitizenRegistration) -> IdentityDocument:
    """The issue date and the card photo the worker recorded; a photo that is not base64 is named."""
    photo = None
    if body.id_photo_base64:
        try:
            data = base64.b64decode(body.id_photo_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput.on_field("id_photo", N_("Ảnh giấy tờ phải được mã hóa base64.")) from None
        name = body.id_photo_filename or "giay-to"
        photo = validate_scan(name, data, max_bytes=_max_upload_bytes(), field="id_photo")
    return IdentityDocument(parse_issue_date(body.id_issued_on), photo)


@api_auth(Role.postal_staff)
@operation(
    resp=Documented(HTTP_201=schemas.Citizen, HTTP_200=schemas.CitizenSummary, HTTP_401=None, HTTP_403=None,
                    HTTP_409=None, HTTP_429=None),
    tags=["accounts"],
    operation_id="registerCitizen",
    openapi_extra={"responses": {
        "201": {"description": "Created, status activation_pending",
                "headers": {"Location": {"schema": {"type": "string"}}}},
        "200": {"description": "The citizen already had an account"},
    }},
)
def api_register_citizen(json: schemas.CitizenRegistration):
    """Register a citizen on their behalf (postal staff); an existing account is returned instead

    Creates an inactive account and sends the activation code to the citizen's phone; the worker records the ID
    document seen (issue date and photo) and the citizen is told by SMS and e-mail. If the ID number already has
    an account, its summary is returned with 200 (Điều 6.2).
    """
    with unit_of_work() as session:
        citizen, created = services.find_or_register_citizen(
            session,
            registered_by=current_account(),
            full_name=json.full_name,
            id_number=json.id_number,
            phone=json.phone,
            email=json.email,
            organisation_name=json.organisation_name,
            address=json.address,
            activation_channel="email" if json.activation_channel == "email" else "sms",
            id_document=_identity_document(json),
        )
    if not created:  # an existing account is not shown in full to whoever knows its ID number
        return schemas.CitizenSummary.of(citizen)
    location = url_for("accounts_api.api_get_citizen", citizen_id=citizen.id)
    return schemas.Citizen.of(citizen), 201, {"Location": location}


@api_auth(Role.postal_staff)
@operation(
    resp=Documented(HTTP_200=schemas.Citizen, HTTP_401=None, HTTP_404=None, HTTP_409=None, HTTP_429=None),
    tags=["accounts"],
    operation_id="activateCitizen",
    openapi_extra={"parameters": [_CITIZEN_ID], "responses": {"200": {"description": "Activated"}}},
)
def api_activate_citizen(citizen_id: int, json: schemas.ActivationCode):
    """Activate a citizen's account with the code the citizen reads out (postal staff)"""
    citizen = services.get_citizen(db_session, citizen_id)
    with one_time_codes.unit_of_work_counting_guesses() as session:
        services.activate_account(session, citizen, json.code)
    return schemas.Citizen.of(citizen)


@api_auth(Role.postal_staff)
@operation(
    query=schemas.CitizenSearchQuery,
    resp=Documented(HTTP_200=schemas.CitizenSearchOut, HTTP_401=None, HTTP_403=None),
    tags=["accounts"],
    operation_id="findCitizens",
    openapi_extra={"responses": {"200": {"description": "Up to 20 citizens"}}},
)
def api_find_citizens(query: schemas.CitizenSearchQuery):
    """Find the citizen holding exactly this ID number or mobile number (postal staff; audited)"""
    with unit_of_work() as session:  # the search's audit entry
        found = services.find_citizens(session, query.q, searched_by=current_account())
    return schemas.CitizenSearchOut(items=[schemas.CitizenSummary.of(user) for user in found])


@api_auth(Role.postal_staff, Role.citizen)
@operation(
    resp=Documented(HTTP_200=schemas.CitizenView, HTTP_401=None, HTTP_404=None),
    tags=["accounts"],
    operation_id="getCitizen",
    openapi_extra={"parameters": [_CITIZEN_ID], "responses": {"200": {"description": "The citizen"}}},
)
def api_get_citizen(citizen_id: int):
    """One citizen: in full to the citizen themself, as a summary to postal staff"""
    me = current_account()
    if me.role == Role.citizen and me.id != citizen_id:
        raise NotFound(N_("Không tìm thấy công dân."))
    citizen = services.get_citizen(db_session, citizen_id)
    shown = schemas.Citizen.of(citizen) if me.role == Role.citizen else schemas.CitizenSummary.of(citizen)
    return schemas.CitizenView(shown)
