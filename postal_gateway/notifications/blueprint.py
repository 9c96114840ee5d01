"""URLs of the notifications area.

  GET       /ops/outbox                              notifications.outbox          the operator's view of the outbox
  GET/POST  /my/notifications                        notifications.my_preferences  "Nhận thông báo" (citizen)
API (/api/v1, bearer token): GET, PUT /me/notification-preferences (citizen).
"""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from postal_gateway.accounts.identity import strip_control_characters
from postal_gateway.accounts.models import Role
from postal_gateway.auth import api_auth, current_account, roles_required
from postal_gateway.db import db_session
from postal_gateway.domain import N_, FieldError, InvalidInput
from postal_gateway.errors import translate
from postal_gateway.notifications import service
from postal_gateway.notifications.models import NotificationPreference, OutboxMessage

blueprint = Blueprint("notifications", __name__, template_folder="templates")
api = Blueprint("notifications_api", __name__, url_prefix="/api/v1")

OUTBOX_PAGE_SIZE = 100


@blueprint.get("/ops/outbox")
@roles_required(Role.operator)
def outbox():
    """Recent messages, newest first; one-time codes show masked (the code exists only in the delivery task)."""
    recipient = strip_control_characters(request.args.get("to", "")).strip()[:255]
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if recipient:
        escaped = recipient.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(OutboxMessage.recipient.ilike(f"%{escaped}%", escape="\\"))
    messages = db_session.scalars(query.limit(OUTBOX_PAGE_SIZE)).all()
    return render_template("notifications/outbox.html", messages=messages, recipient=recipient)


# --- citizen: which messages to receive ------------------------------------------------------------


@blueprint.route("/my/notifications", methods=["GET", "POST"])
@roles_required(Role.citizen)
def my_preferences():
    citizen = current_account()
    error = None
    if request.method == "POST":
        try:
            choice = service.preferences_from_choices(request.form.getlist("channel"), request.form.getlist("kind"))
            service.set_preferences(db_session, citizen.id, **choice)
        except InvalidInput as refused:
            db_session.rollback()
            error = translate(refused.message, refused.params)
        else:
            db_session.commit()
            flash(_("Đã lưu lựa chọn nhận thông báo."), "success")
            return redirect(url_for("notifications.my_preferences"), code=303)
    current = preferences_json(service.preferences_of(db_session, citizen.id))
    return render_template(
        "notifications/preferences.html", citizen=citizen, error=error, kinds=service.CITIZEN_MESSAGE_KINDS,
        sms=current["sms"], email=current["email"], muted=set(current["muted_templates"]),
    ), (422 if error else 200)


# --- API ----------------------------------------------------------------------------------------------


def preferences_json(preference: NotificationPreference | None) -> dict:
    """The citizen's choices, with the defaults of a citizen who never chose (everything on)."""
    return {
        "sms": preference is None or preference.sms,
        "email": preference is None or preference.email,
        "muted_templates": list(preference.muted_templates or []) if preference else [],
        "kinds": list(service.CITIZEN_MESSAGE_KINDS),
        "always_sent": sorted(service.MANDATORY_TEMPLATES),
        "updated_at": preference.updated_at.isoformat() if preference else None,
    }


def _preferences_from_json() -> dict:
    """The PUT body as ``set_preferences`` arguments; every wrong field is named at once."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(N_("Nội dung yêu cầu phải là một đối tượng JSON."))
    errors = [
        FieldError(name, N_("Phải là true hoặc false."))
        for name in service.CHANNELS if not isinstance(body.get(name), bool)
    ]
    muted = body.get("muted_templates")  # absent: the kinds stay as they are
    if muted is None:
        pass
    elif not isinstance(muted, list) or not all(isinstance(kind, str) for kind in muted):
        errors.append(FieldError("muted_templates", N_("Phải là danh sách tên loại thông báo.")))
    elif not set(muted) <= service.CITIZEN_MESSAGE_KINDS.keys():
        errors.append(FieldError("muted_templates", N_("Loại thông báo không hợp lệ.")))
    if errors:
        raise InvalidInput(N_("Lựa chọn nhận thông báo không hợp lệ, chưa lưu."), field_errors=errors)
    return {"sms": body["sms"], "email": body["email"], "muted_templates": muted}


@api.get("/me/notification-preferences")
@api_auth(Role.citizen)
def api_get_preferences():
    return jsonify(preferences_json(service.preferences_of(db_session, current_account().id)))


@api.put("/me/notification-preferences")
@api_auth(Role.citizen)
def api_put_preferences():
    preference = service.set_preferences(db_session, current_account().id, **_preferences_from_json())
    db_session.commit()
    return jsonify(preferences_json(preference))
