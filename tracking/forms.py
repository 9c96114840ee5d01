"""The tracking area's page forms: the compensation steps a manager or postal staff member posts (R-16,
Điều 25.2), under the field names the page has always used.

The rules and their Vietnamese messages are ``tracking.compensation``'s; a form only parses (an amount
that is not a whole number of đồng is handed over as -1, and the use case names it)."""
from __future__ import annotations

from wtforms import StringField, TextAreaField

from postal_gateway.web.forms import PageForm

#: an amount the database cannot hold is refused by the use case rather than overflowing
AMOUNT_LIMIT = 2**31


class ProposeCompensationForm(PageForm):
    costs_vnd = StringField(default="")
    note = TextAreaField(default="")

    @property
    def costs(self) -> int:
        """The costs typed, in đồng (none typed: 0); -1 when they are not a whole number."""
        try:
            typed = int((self.costs_vnd.data or "0").strip())
        except ValueError:
            return -1
        return typed if 0 <= typed < AMOUNT_LIMIT else -1


class PayCompensationForm(PageForm):
    payment_reference = StringField(default="")
    payment_method = StringField(default="")
    redo_arranged = StringField(default="")

    @property
    def redo(self) -> bool:
        return self.redo_arranged.data == "1"
