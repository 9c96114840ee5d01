"""URLs of the notifications area: the operator's view of the outbox."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from postal_gateway.accounts.identity import strip_control_characters
from postal_gateway.accounts.models import Role
from postal_gateway.auth import roles_required
from postal_gateway.db import db_session
from postal_gateway.notifications.models import OutboxMessage

blueprint = Blueprint("notifications", __name__, template_folder="templates")

OUTBOX_PAGE_SIZE = 100


@blueprint.record_once
def _hold_dispatch_in_tests(state) -> None:
    """Under test no worker runs: committed messages stay queued, their ids are kept for the tests."""
    if state.app.testing:
        from postal_gateway.notifications import service

        service.configure_dispatcher(service.held_dispatcher)


@blueprint.get("/ops/outbox")
@roles_required(Role.operator)
def outbox():
    """Recent messages, newest first, so a tester can read the codes that were 'sent'."""
    recipient = strip_control_characters(request.args.get("to", "")).strip()[:255]
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if recipient:
        escaped = recipient.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(OutboxMessage.recipient.ilike(f"%{escaped}%", escape="\\"))
    messages = db_session.scalars(query.limit(OUTBOX_PAGE_SIZE)).all()
    return render_template("notifications/outbox.html", messages=messages, recipient=recipient)
