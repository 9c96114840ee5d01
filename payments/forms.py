"""Page forms of the payments area.

A form parses what the officer typed or chose and carries the messages shown under each field. The rules
and their Vietnamese messages are the use cases' (``refunds.request_refund``, ``reconciliation.resolve_item``),
the same for the page and the API, so a refusal is written once."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField, StringField, TextAreaField

from postal_gateway.core.domain import N_, InvalidInput
from postal_gateway.web.errors import translate
from postal_gateway.web.forms import stripped

#: more digits than any fee could have: refused as not a positive whole amount rather than overflowing
AMOUNT_MAX_DIGITS = 12


class RefundForm(FlaskForm):
    """An agency admin's refund of a dossier's online fee (R-13)."""

    #: đồng, whole
    amount_vnd = StringField(filters=[stripped])
    reason = TextAreaField(default="")
    #: drawn once per page load, so a double click authorises one refund
    idempotency_key = HiddenField(default="")

    @property
    def amount(self) -> int:
        """The amount typed; -1 (refused by the rule, with its message) when it is not a whole number of đồng."""
        typed = self.amount_vnd.data
        return int(typed) if typed.isdigit() and len(typed) <= AMOUNT_MAX_DIGITS else -1

    def show_refusal(self, refusal: InvalidInput) -> None:
        """Each message under the field it names; a refusal naming no field goes under the amount."""
        named = [(item.field, translate(item.message, item.params or None)) for item in refusal.field_errors]
        for field_name, message in named or [("amount_vnd", translate(refusal.message, refusal.params or None))]:
            field = self._fields[field_name]
            field.errors = [*field.errors, message]


class CashRefundForm(FlaskForm):
    """An agency admin's authorisation to pay a flagged lệ phí back in cash at the post (Điều 14.2.c); the amount
    typed (empty: all of it) is checked by ``contracts.cash_refunds.authorise_cash_refund``."""

    amount_vnd = StringField(filters=[stripped])

    def show_refusal(self, refusal: InvalidInput) -> None:
        """The refusal's messages under the amount, the one field of the form."""
        named = [translate(item.message, item.params or None) for item in refusal.field_errors]
        shown = named or [translate(refusal.message, refusal.params or None)]
        self.amount_vnd.errors = [*self.amount_vnd.errors, *shown]


class GatewayFileForm(FlaskForm):
    """The gateway's daily transaction file (CSV) an agency officer imports for a day."""

    file = FileField()

    def upload(self) -> FileStorage:
        """The file chosen; refused, naming the field, when none was."""
        if not isinstance(self.file.data, FileStorage) or not self.file.data.filename:
            raise InvalidInput.on_field("file", N_("Chọn tệp CSV giao dịch của cổng thanh toán."))
        return self.file.data


class ExceptionCommentForm(FlaskForm):
    """An officer's comment on an exception line of the day's reconciliation; its rules are resolve_item's."""

    comment = TextAreaField(default="")
