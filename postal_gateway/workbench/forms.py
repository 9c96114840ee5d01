"""The workbench's page forms: each turns what the officer's page posts into the values a use case takes,
under the field names the pages have always used.

The rules and their Vietnamese messages stay in ``services``, which names every bad field at once, the
same for the pages and the API; a form only parses (a number or a date that does not parse is None, and
the use case names the field)."""
from __future__ import annotations

from datetime import date

from wtforms import StringField, TextAreaField

from postal_gateway.web.forms import PageForm
from postal_gateway.workbench.services import RECEPTION_ERROR_REASON, ApologyInput

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
    """Form 04 (Điều 9.3.d, 10.2.g): the issuing body, the cause, the reason and the new date; a cooperating
    agency names the opinion request it was asked through."""

    reason = TextAreaField(default="")
    new_date = StringField(default="")
    issuer_kind = StringField(default="processing_agency")
    cause = StringField(default="late")
    opinion_request_id = StringField(default="")

    def use_case_values(self) -> dict:
        return {**super().use_case_values(), "new_date": _iso_date(self.new_date.data),
                "opinion_request_id": _whole_number(self.opinion_request_id.data)}


class SupplementForm(StepForm):
    """Supplement request at processing (form 02, Điều 12.1.c, 9.3.b): the items and their reasons, one a line,
    the cause, and for a reception error the one-stop office's apology (Điều 9.4.b, 10.2.đ)."""

    items = TextAreaField(default="")
    reasons = TextAreaField(default="")
    cause = StringField(default="")
    apology_new_date = StringField(default="")
    apology_reason = TextAreaField(default="")

    def use_case_values(self) -> dict:
        given_apology = bool((self.apology_new_date.data or "").strip())
        return {
            "items": (self.items.data or "", self.reasons.data or ""),
            "cause": (self.cause.data or "").strip() or None,
            "apology": ApologyInput(_iso_date(self.apology_new_date.data),
                                    (self.apology_reason.data or "").strip() or RECEPTION_ERROR_REASON)
            if given_apology else None,
        }


class ForwardApologyForm(StepForm):
    """The one-stop office forwards a letter to the citizen (Điều 9.4.d): nothing but the page's version."""


class ResultReadyForm(StepForm):
    note = TextAreaField(default="")


class ReturnResultForm(StepForm):
    via = StringField(default="")
