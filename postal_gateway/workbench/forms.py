"""The workbench's page forms: each turns what the officer's page posts into the values a use case takes,
under the field names the pages have always used.

The rules and their Vietnamese messages stay in ``services``, which names every bad field at once, the
same for the pages and the API; a form only parses (a number or a date that does not parse is None, and
the use case names the field)."""
from __future__ import annotations

from datetime import date

from wtforms import StringField, TextAreaField

from postal_gateway.web.forms import PageForm

#: more digits than any version or day count has: taken as not given rather than overflowing
NUMBER_MAX_DIGITS = 9


def _whole_number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= NUMBER_MAX_DIGITS else None


def _iso_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


class ReceiveScanForm(PageForm):
    """The code on the slip, scanned or typed."""

    code = StringField(default="", filters=[lambda value: (value or "").strip().upper()])


class ReceiveCompareForm(PageForm):
    """The officer's signature for the paper dossier: does it match the online one, and what differs."""

    paper_matches = StringField(default="")
    discrepancies = TextAreaField(default="")

    @property
    def matches(self) -> bool | None:
        """True or False as chosen; None when nothing (or something else) was chosen, named by the use case."""
        return {"yes": True, "no": False}.get(self.paper_matches.data)


class StepForm(PageForm):
    """A step form of the dossier page; ``version`` is the dossier version the page showed."""

    version = StringField(default="")

    @property
    def expected_version(self) -> int | None:
        return _whole_number(self.version.data)

    def use_case_values(self) -> dict:
        """The posted values by the use case's parameter names (the version apart)."""
        return {name: field.data or "" for name, field in self._fields.items() if name != "version"}


class AdvanceForm(StepForm):
    action = StringField(default="")
    reason = TextAreaField(default="")


class AcceptForm(StepForm):
    """Acceptance of a submitted dossier: what the receipt time is taken from (Điều 12.1.d)."""

    basis = StringField(default="")


class CompletionForm(StepForm):
    """Completion request at reception (form 02, Điều 12.1.c): the items and their reasons, one a line."""

    items = TextAreaField(default="")
    reasons = TextAreaField(default="")


class RefuseForm(StepForm):
    """Refusal at reception (form 03, Điều 9.1.b): the reasons, one a line, and where the citizen should go."""

    reasons = TextAreaField(default="")
    competent_agency = StringField(default="")


class ReasonsForm(StepForm):
    """Supplement request and rejection: every reason at once, one a line."""

    reasons = TextAreaField(default="")


class SupplementReceivedForm(StepForm):
    note = TextAreaField(default="")


class AskOpinionForm(StepForm):
    agency_code = StringField(default="")
    question = TextAreaField(default="")
    working_days = StringField(default="")

    def use_case_values(self) -> dict:
        return {**super().use_case_values(), "working_days": _whole_number(self.working_days.data)}


class RecordOpinionForm(StepForm):
    answer = TextAreaField(default="")


class WithdrawForm(StepForm):
    reason = TextAreaField(default="")


class ApologyForm(StepForm):
    reason = TextAreaField(default="")
    new_date = StringField(default="")

    def use_case_values(self) -> dict:
        return {**super().use_case_values(), "new_date": _iso_date(self.new_date.data)}


class ResultReadyForm(StepForm):
    note = TextAreaField(default="")


class ReturnResultForm(StepForm):
    via = StringField(default="")
