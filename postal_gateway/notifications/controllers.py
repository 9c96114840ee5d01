"""The notifications area's handlers: the operator's outbox, the citizen's choices (page and API)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from spectree import Response as Documented
from sqlalchemy import select

from postal_gateway.accounts.models import Role
from postal_gateway.api.spec import operation
from postal_gateway.core.db import db_session
from postal_gateway.core.domain import InvalidInput
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.notifications import forms, schemas, service
from postal_gateway.notifications.models import OutboxMessage
from postal_gateway.web.auth import api_auth, current_account, roles_required
from postal_gateway.web.errors import translate

OUTBOX_PAGE_SIZE = 100


@roles_required(Role.operator)
def outbox():
    """Recent messages, newest first; one-time codes show masked (the code exists only in the delivery task)."""
    recipient = forms.OutboxSearchForm().to.data
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if recipient:
        escaped = recipient.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(OutboxMessage.recipient.ilike(f"%{escaped}%", escape="\\"))
    messages = db_session.scalars(query.limit(OUTBOX_PAGE_SIZE)).all()
    return render_template("notifications/outbox.html", messages=messages, recipient=recipient)


# --- citizen: which messages to receive ------------------------------------------------------------


@roles_required(Role.citizen)
def my_preferences():
    citizen = current_account()
    error = None
    form = forms.NotificationChoicesForm()
    if request.method == "POST":
        try:
            if not form.validate():
                raise InvalidInput(forms.REFUSED)
            with unit_of_work() as session:
                service.set_preferences(session, citizen.id, **form.preferences())
        except InvalidInput as refused:
            error = translate(refused.message, refused.params)
        else:
            flash(_("Đã lưu lựa chọn nhận thông báo."), "success")
            return redirect(url_for("notifications.my_preferences"), code=303)
    current = schemas.PreferencesOut.of(service.preferences_of(db_session, citizen.id))
    return render_template(
        "notifications/preferences.html", citizen=citizen, error=error, kinds=service.CITIZEN_MESSAGE_KINDS,
        sms=current.sms, email=current.email, zalo=current.zalo, zalo_offered=service.zalo_offered(),
        muted=set(current.muted_templates),
        legal=service.LEGAL_NOTICE_TEMPLATES, legal_hint=service.LEGAL_NOTICE_HINT,
    ), (422 if error else 200)


# --- API ----------------------------------------------------------------------------------------------


@api_auth(Role.citizen)
@operation(
    resp=Documented(HTTP_200=schemas.PreferencesOut, HTTP_401=None, HTTP_403=None),
    tags=["notifications"],
    operation_id="getMyNotificationPreferences",
    openapi_extra={"responses": {"200": {"description": "The citizen's preferences."}}},
)
def api_get_preferences():
    """The channels and kinds of message the citizen receives

    Citizen only. A citizen who never chose receives everything on both channels.
    """
    return schemas.PreferencesOut.of(service.preferences_of(db_session, current_account().id))


@api_auth(Role.citizen)
@operation(
    resp=Documented(HTTP_200=schemas.PreferencesOut, HTTP_401=None, HTTP_403=None, HTTP_422=None),
    tags=["notifications"],
    operation_id="setMyNotificationPreferences",
    openapi_extra={"responses": {"200": {"description": "The preferences now in force."}}},
)
def api_put_preferences(json: schemas.PreferencesIn):
    """Choose the channels and the kinds of message to receive

    Citizen only. `sms` and `email` are required; `muted_templates` lists the kinds turned off (absent: kept as
    they are, `[]`: every kind on). One-time codes (`always_sent`) cannot be turned off, nor the legal notices
    (completion_requested, supplement_requested, dossier_refused, dossier_rejected, apology: Điều 8.2, 12.1.b–c),
    whose channel choice still holds: asking to mute one answers 422. A message held back is kept in the outbox
    as `skipped`.
    """
    with unit_of_work() as session:
        preference = service.set_preferences(session, current_account().id, **json.model_dump())
    return schemas.PreferencesOut.of(preference)
