"""The citizen's "Nhận thông báo" page as a form: which channels and which kinds of message to receive (R-20)."""
from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import Field, SelectMultipleField, StringField
from wtforms.validators import ValidationError

from postal_gateway.accounts.identity import strip_control_characters
from postal_gateway.core.domain import N_
from postal_gateway.notifications.service import CHANNELS, CITIZEN_MESSAGE_KINDS, LEGAL_NOTICE_TEMPLATES

#: shown above the form whatever was wrong: only a tampered form sends a value the page never offered
REFUSED = N_("Lựa chọn nhận thông báo không hợp lệ, chưa lưu.")


class _OnlyOffered:
    """Every ticked value is one the page offers."""

    def __init__(self, offered: tuple[str, ...], message: str) -> None:
        self.offered, self.message = frozenset(offered), message

    def __call__(self, _form: FlaskForm, field: Field) -> None:
        if not set(field.data or ()) <= self.offered:
            raise ValidationError(self.message)


class NotificationChoicesForm(FlaskForm):
    """Ticked channels and ticked kinds; a kind left unticked is turned off."""

    channel = SelectMultipleField(choices=CHANNELS, validate_choice=False,
                                  validators=[_OnlyOffered(CHANNELS, N_("Kênh nhận thông báo không hợp lệ."))])
    kind = SelectMultipleField(choices=list(CITIZEN_MESSAGE_KINDS), validate_choice=False,
                               validators=[_OnlyOffered(tuple(CITIZEN_MESSAGE_KINDS), N_("Loại thông báo không hợp lệ."))])

    def preferences(self) -> dict:
        """The choice as ``service.set_preferences`` arguments (kinds in the order of a dossier's life). Legal
        notices are shown ticked and disabled, so the browser does not send them: they stay on."""
        ticked = set(self.kind.data or ()) | LEGAL_NOTICE_TEMPLATES
        return {
            "sms": "sms" in (self.channel.data or ()),
            "email": "email" in (self.channel.data or ()),
            "zalo": "zalo" in (self.channel.data or ()),
            "muted_templates": [kind for kind in CITIZEN_MESSAGE_KINDS if kind not in ticked],
        }


class OutboxSearchForm(FlaskForm):
    """The operator's outbox search (a link, so no CSRF token): part of a phone number or an address."""

    to = StringField(filters=[lambda text: strip_control_characters(text or "").strip()[:255]])

    def __init__(self) -> None:
        super().__init__(formdata=request.args, meta={"csrf": False})
