"""The operator's calendar page (R-07, R-08): the year's official days with their source, the extra days off and
make-up working days with their reason and legal reference, and the forms that add and remove them through the
same services as ``flask calendar``."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from postal_gateway.accounts.models import Role
from postal_gateway.calendar import store, year_view
from postal_gateway.calendar.models import DayKind
from postal_gateway.core.db import db_session, utcnow
from postal_gateway.core.domain import N_, DomainError, InvalidInput
from postal_gateway.core.formatting import to_local
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.web.auth import current_account, roles_required
from postal_gateway.web.errors import STATUS_OF_DOMAIN_ERROR, errors_by_field, translate

#: what the form offers, in the operator's words
KIND_LABELS = {DayKind.day_off: N_("Ngày nghỉ thêm"), DayKind.working_day: N_("Ngày làm việc bù")}


def _render(year: int, *, errors: dict | None = None, message: str = "", form: dict | None = None, status: int = 200):
    return render_template("calendar/page.html", view=year_view.year_calendar(db_session(), year),
                           errors=errors or {}, message=message, form=form or {}, kinds=KIND_LABELS,
                           weekday=year_view.weekday), status


def _year(raw: str | None) -> int:
    return year_view.parse_year(raw, today=to_local(utcnow()).date())


@roles_required(Role.operator)
def page():
    try:
        year = _year(request.args.get("year"))
    except InvalidInput as refused:
        return _render(to_local(utcnow()).year, errors=errors_by_field(refused), status=422)
    return _render(year)


@roles_required(Role.operator)
def add_day():
    form = {name: request.form.get(name, "") for name in ("day", "kind", "reason", "legal_reference")}
    try:
        with unit_of_work() as session:
            row = store.add_override(session, form["day"], form["kind"], form["reason"], current_account(),
                                     legal_reference=form["legal_reference"])
            day = row.day
    except DomainError as refused:  # nothing was written: the page shows the form again with every fault
        year = _year_of(form["day"])
        return _render(year, errors=errors_by_field(refused, default_field="day"),
                       message=translate(refused.message, refused.params), form=form,
                       status=_status(refused))
    flash(_("Đã thêm điều chỉnh ngày %(day)s.", day=day.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("calendar.page", year=day.year))


@roles_required(Role.operator)
def remove_day():
    raw = request.form.get("day", "")
    try:
        with unit_of_work() as session:
            store.remove_override(session, raw)
    except DomainError as refused:
        return _render(_year_of(raw), errors=errors_by_field(refused, default_field="remove"),
                       message=translate(refused.message, refused.params),
                       status=_status(refused))
    day = date.fromisoformat(raw.strip())  # the store accepted it
    flash(_("Đã xóa điều chỉnh ngày %(day)s.", day=day.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("calendar.page", year=day.year))


def _status(error: DomainError) -> int:
    return next((code for kind, code in STATUS_OF_DOMAIN_ERROR.items() if isinstance(error, kind)), 422)


def _year_of(raw_day: str) -> int:
    """The year of the day the form named, to show that year's page again; this year if it names none."""
    try:
        return _year(raw_day.strip()[:4])
    except InvalidInput:
        return to_local(utcnow()).year
