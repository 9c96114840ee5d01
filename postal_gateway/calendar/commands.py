"""``flask calendar ...``: the operator's extra days off and extra working days.

Example: ``flask --app postal_gateway.app calendar add-working-day 2027-02-20 "Thông báo 123/TB-BNV"``.
"""
from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from postal_gateway import calendar
from postal_gateway.calendar import store as calendar_store
from postal_gateway.calendar.models import DayKind
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import DomainError
from postal_gateway.core.formatting import to_local
from postal_gateway.core.unit_of_work import unit_of_work

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
KIND_LABELS = {DayKind.day_off: "ngày nghỉ", DayKind.working_day: "ngày làm việc"}


class DayParam(click.ParamType):
    """A day as 2027-02-20 or 20/02/2027."""

    name = "DATE"

    def convert(self, value, param, ctx):  # noqa: ANN001 - click's signature
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            if "/" in text:
                day, month, year = (int(part) for part in text.split("/"))
                return date(year, month, day)
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r}: nhập ngày dạng YYYY-MM-DD hoặc DD/MM/YYYY", param, ctx)


DAY = DayParam()


def _describe(error: DomainError) -> str:
    lines = [error.message % error.params if error.params else error.message]
    for field_error in error.field_errors:
        message = field_error.message % field_error.params if field_error.params else field_error.message
        lines.append(f"  {field_error.field}: {message}")
    return "\n".join(lines)


def _run(action):  # noqa: ANN001, ANN202 - a closure over the session
    """One unit of work; a refused change is told to the operator in words, not as a traceback."""
    try:
        with unit_of_work() as session:
            return action(session)
    except DomainError as error:
        raise click.ClickException(_describe(error)) from error


def _label(day: date) -> str:
    return f"{day.isoformat()} {WEEKDAYS[day.weekday()]:<8}"


@click.group("calendar")
def calendar_commands() -> None:
    """Working calendar: extra days off and extra working days (R-07, R-08)."""


@calendar_commands.command("add-day-off")
@click.argument("day", type=DAY)
@click.argument("reason")
@click.option("--legal-reference", default=None, help="The legal text the day rests on, as the calendar page asks.")
@with_appcontext
def add_day_off(day: date, reason: str, legal_reference: str | None) -> None:
    """Declare DAY a day off; REASON names the decision."""
    _run(lambda session: calendar_store.add_override(session, day, DayKind.day_off, reason, None,
                                                     legal_reference=legal_reference))
    click.echo(f"Đã thêm ngày nghỉ {_label(day)}.")


@calendar_commands.command("add-working-day")
@click.argument("day", type=DAY)
@click.argument("reason")
@click.option("--legal-reference", default=None, help="The legal text the day rests on, as the calendar page asks.")
@with_appcontext
def add_working_day(day: date, reason: str, legal_reference: str | None) -> None:
    """Declare DAY a working day (a make-up Saturday, say); REASON names the decision."""
    _run(lambda session: calendar_store.add_override(session, day, DayKind.working_day, reason, None,
                                                     legal_reference=legal_reference))
    click.echo(f"Đã thêm ngày làm việc {_label(day)}.")


@calendar_commands.command("remove")
@click.argument("day", type=DAY)
@with_appcontext
def remove(day: date) -> None:
    """Remove the override of DAY."""
    _run(lambda session: calendar_store.remove_override(session, day))
    click.echo(f"Đã xóa điều chỉnh ngày {_label(day)}.")


@calendar_commands.command("list")
@click.argument("year", type=click.IntRange(calendar.FIRST_YEAR, calendar.LAST_YEAR), required=False)
@click.option("--official", is_flag=True, help="Also list the public holidays and make-up days of the year.")
@with_appcontext
def list_days(year: int | None, official: bool) -> None:
    """List the overrides of YEAR (this year in Vietnam by default)."""
    year = year or to_local(utcnow()).year
    rows = _run(lambda session: calendar_store.list_overrides(session, year))
    if official:
        click.echo(f"Lịch chính thức {year}:")
        for day, name, working in calendar.official_days(year):
            kind = "làm việc" if working else "nghỉ"
            click.echo(f"  {_label(day)}  {kind:<8}  {name}")
    click.echo(f"Điều chỉnh của đơn vị vận hành {year}:")
    if not rows:
        click.echo("  (không có)")
    for row in rows:
        reference = f"  ({row.legal_reference})" if row.legal_reference else ""
        click.echo(f"  {_label(row.day)}  {KIND_LABELS[row.kind]:<13}  {row.reason}{reference}")


COMMANDS = (calendar_commands,)
