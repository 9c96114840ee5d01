"""The working calendar (R-07, R-08): examples from the issue, real holidays, overrides, zones, store, CLI."""
from __future__ import annotations

import time as time_module
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from postal_gateway import calendar
from postal_gateway.accounts.models import Role
from postal_gateway.calendar import WorkingCalendar, periods_from_config, working_days
from postal_gateway.calendar import store as calendar_store
from postal_gateway.calendar.commands import calendar_commands
from postal_gateway.calendar.models import CalendarOverride, DayKind
from postal_gateway.core.db import SessionFactory
from postal_gateway.core.domain import Conflict, InvalidInput, NotFound
from postal_gateway.core.formatting import VIETNAM
from tests import factories

NEW_YORK = ZoneInfo("America/New_York")
OFFICIAL = WorkingCalendar()


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)


@pytest.fixture(autouse=True)
def _keep_provider():
    """Tests may install their own override provider; put back whatever the app had."""
    saved = working_days._override_provider
    calendar_store.invalidate_cache()
    yield
    calendar.set_override_provider(saved)
    calendar_store.invalidate_cache()


@pytest.fixture()
def no_overrides():
    calendar.set_override_provider(None)


# --- the examples of the issue ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "days", "receipt", "start", "due"),
    [
        (vn(2026, 12, 7, 9, 0), 3, vn(2026, 12, 7, 9, 0), vn(2026, 12, 7, 9, 0), vn(2026, 12, 10, 9, 0)),
        (vn(2026, 12, 7, 16, 30), 1, vn(2026, 12, 7, 16, 30), vn(2026, 12, 8, 7, 0), vn(2026, 12, 8, 17, 0)),
        (vn(2026, 12, 12, 10, 0), 2, vn(2026, 12, 14, 7, 0), vn(2026, 12, 14, 7, 0), vn(2026, 12, 15, 17, 0)),
        (vn(2026, 12, 7, 12, 0), 1, vn(2026, 12, 7, 13, 30), vn(2026, 12, 7, 13, 30), vn(2026, 12, 8, 11, 30)),
    ],
)
def test_examples_of_the_issue(no_overrides, received, days, receipt, start, due):
    assert calendar.receipt_time(received) == receipt
    assert calendar.processing_start(received) == start
    assert calendar.due_at(received, days) == due
    assert calendar.appointment_date(received, days) == due.date()


def test_results_are_aware_and_in_vietnam(no_overrides):
    due = calendar.due_at(datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc), 1)
    assert due.utcoffset() == timedelta(hours=7)
    assert due == vn(2026, 12, 8, 9, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: calendar.receipt_time(naive),
        lambda naive: calendar.processing_start(naive),
        lambda naive: calendar.due_at(naive, 1),
        lambda naive: calendar.appointment_date(naive, 1),
        lambda naive: calendar.add_working_days(naive, 1),
        lambda naive: calendar.is_working_time(naive),
        lambda naive: calendar.working_time_between(naive, vn(2026, 12, 8, 9)),
        lambda naive: calendar.is_working_day(naive),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="naive"):
        call(datetime(2026, 12, 7, 9, 0))


# --- receipt time and processing start (R-07) ---------------------------------------------------


@pytest.mark.parametrize(
    ("entered", "receipt"),
    [
        (vn(2026, 12, 7, 7, 0), vn(2026, 12, 7, 7, 0)),  # a period includes its start
        (vn(2026, 12, 7, 11, 29, 59), vn(2026, 12, 7, 11, 29, 59)),
        (vn(2026, 12, 7, 11, 30), vn(2026, 12, 7, 13, 30)),  # ... and excludes its end
        (vn(2026, 12, 7, 6, 59), vn(2026, 12, 7, 7, 0)),
        (vn(2026, 12, 7, 17, 0), vn(2026, 12, 8, 7, 0)),
        (vn(2026, 12, 11, 22, 15), vn(2026, 12, 14, 7, 0)),  # Friday night -> Monday
        (vn(2026, 12, 13, 9, 0), vn(2026, 12, 14, 7, 0)),  # Sunday
        (vn(2026, 4, 29, 17, 30), vn(2026, 5, 4, 7, 0)),  # over 30/4 and 1/5 and the weekend
    ],
)
def test_receipt_time(no_overrides, entered, receipt):
    assert calendar.receipt_time(entered) == receipt


def test_late_receipt_goes_to_the_next_working_day(no_overrides):
    assert calendar.processing_start(vn(2026, 12, 7, 15, 59, 59)) == vn(2026, 12, 7, 15, 59, 59)
    assert calendar.processing_start(vn(2026, 12, 7, 16, 0)) == vn(2026, 12, 8, 7, 0)
    # Friday after 16:00 before the 2027 Hùng Kings' day (Fri 16/4) -> Monday 19/4
    assert calendar.processing_start(vn(2027, 4, 15, 16, 10)) == vn(2027, 4, 19, 7, 0)


# --- due time and appointment date (R-08) -------------------------------------------------------


def test_half_days_in_every_number_type(no_overrides):
    received = vn(2026, 12, 7, 9, 0)
    expected = vn(2026, 12, 16, 15, 0)  # 7 days to Wed 09:00, then 4 h: 2.5 h + 1.5 h after lunch
    assert calendar.due_at(received, Decimal("7.5")) == expected
    assert calendar.due_at(received, Fraction(15, 2)) == expected
    assert calendar.due_at(received, 7.5) == expected
    assert calendar.due_at(vn(2026, 12, 7, 7, 0), Fraction(1, 2)) == vn(2026, 12, 7, 11, 0)


def test_deadline_on_a_period_start_is_the_previous_period_end(no_overrides):
    # 4.5 h from 07:00 ends the morning: 11:30, not 13:30
    assert calendar.due_at(vn(2026, 12, 7, 7, 0), Fraction(9, 16)) == vn(2026, 12, 7, 11, 30)
    # a whole day from Friday 07:00 is Friday 17:00, not Monday 07:00
    assert calendar.due_at(vn(2026, 12, 11, 7, 0), 1) == vn(2026, 12, 11, 17, 0)


def test_zero_days_is_the_processing_start(no_overrides):
    assert calendar.due_at(vn(2026, 12, 7, 16, 30), 0) == vn(2026, 12, 8, 7, 0)


@pytest.mark.parametrize("bad", [-1, Decimal("-0.5"), Decimal("NaN"), float("inf")])
def test_impossible_day_counts_are_refused(bad):
    with pytest.raises(ValueError):
        calendar.due_at(vn(2026, 12, 7, 9, 0), bad)


@pytest.mark.parametrize("bad", [True, "3", None])
def test_day_counts_must_be_numbers(bad):
    with pytest.raises(TypeError):
        calendar.due_at(vn(2026, 12, 7, 9, 0), bad)


def test_sixty_working_days_jump_day_by_day(no_overrides, monkeypatch):
    checks = []
    original = WorkingCalendar.is_working_day

    def counting(self, day):
        checks.append(day)
        return original(self, day)

    monkeypatch.setattr(WorkingCalendar, "is_working_day", counting)
    received = vn(2026, 12, 7, 9, 0)
    due = calendar.due_at(received, 60)
    # Mon 7/12/2026 09:00 + 60 days: Tết 2027 (4–10/2) and New Year's Day fall inside
    assert due == vn(2027, 3, 9, 9, 0)
    assert OFFICIAL.working_time_between(received, due) == 60 * timedelta(hours=8)
    assert len(checks) < 200  # about one check per calendar day, never one per minute


def test_working_time_between(no_overrides):
    assert OFFICIAL.working_time_between(vn(2026, 12, 7, 9, 0), vn(2026, 12, 7, 14, 0)) == timedelta(hours=3)
    assert OFFICIAL.working_time_between(vn(2026, 12, 11, 16, 0), vn(2026, 12, 14, 8, 0)) == timedelta(hours=2)
    assert OFFICIAL.working_time_between(vn(2026, 12, 8, 9), vn(2026, 12, 7, 9)) == timedelta(0)


# --- real holidays -----------------------------------------------------------------------------


def test_tet_2027_as_the_package_gives_it():
    # 29 Tết (Thu 4/2) to mùng 5 (Wed 10/2); mùng 1 and 2 fall on the weekend
    for day in range(4, 11):
        assert not OFFICIAL.is_working_day(date(2027, 2, day)), day
    assert OFFICIAL.is_working_day(date(2027, 2, 3))
    assert OFFICIAL.is_working_day(date(2027, 2, 11))
    assert OFFICIAL.due_at(vn(2027, 2, 3, 9, 0), 1) == vn(2027, 2, 11, 9, 0)
    assert OFFICIAL.due_at(vn(2027, 2, 3, 9, 0), 2) == vn(2027, 2, 12, 9, 0)
    assert OFFICIAL.receipt_time(vn(2027, 2, 5, 9, 0)) == vn(2027, 2, 11, 7, 0)


def test_reunification_and_labour_day_with_a_day_in_lieu():
    # 2027: Fri 30/4, Sat 1/5 -> Monday 3/5 off in lieu
    assert not OFFICIAL.is_working_day(date(2027, 4, 30))
    assert not OFFICIAL.is_working_day(date(2027, 5, 3))
    assert OFFICIAL.is_working_day(date(2027, 5, 4))
    assert OFFICIAL.due_at(vn(2027, 4, 29, 9, 0), 1) == vn(2027, 5, 4, 9, 0)


def test_national_day():
    assert not OFFICIAL.is_working_day(date(2027, 9, 2))
    assert not OFFICIAL.is_working_day(date(2027, 9, 3))
    assert OFFICIAL.is_working_day(date(2027, 9, 1))


def test_hung_kings_day_is_lunar():
    assert not OFFICIAL.is_working_day(date(2027, 4, 16))  # 10/3 lunar, a Friday
    assert not OFFICIAL.is_working_day(date(2025, 4, 7))
    # 2026: Sunday 26/4 -> Monday 27/4 off in lieu
    assert not OFFICIAL.is_working_day(date(2026, 4, 27))
    assert OFFICIAL.is_working_day(date(2026, 4, 28))


def test_make_up_saturday_of_an_official_swap():
    # 2026: Monday 31/8 off, paid for by working Saturday 22/8
    assert OFFICIAL.is_working_day(date(2026, 8, 22))
    assert not OFFICIAL.is_working_day(date(2026, 8, 31))
    assert OFFICIAL.receipt_time(vn(2026, 8, 22, 10, 0)) == vn(2026, 8, 22, 10, 0)
    assert OFFICIAL.due_at(vn(2026, 8, 21, 9, 0), 1) == vn(2026, 8, 22, 9, 0)
    # 2025: Friday 2/5 off, Saturday 26/4 worked
    assert OFFICIAL.is_working_day(date(2025, 4, 26))
    assert not OFFICIAL.is_working_day(date(2025, 5, 2))
    assert not OFFICIAL.is_working_day(date(2025, 4, 19))  # an ordinary Saturday
    # a swap across New Year: Monday 31/12/2018 off, Saturday 5/1/2019 worked
    assert not OFFICIAL.is_working_day(date(2018, 12, 31))
    assert OFFICIAL.is_working_day(date(2019, 1, 5))


def test_years_without_lunar_data_are_refused():
    with pytest.raises(ValueError):
        OFFICIAL.is_working_day(date(2150, 1, 5))


def test_official_days_lists_holidays_and_make_up_days():
    rows = calendar.official_days(2026)
    assert (date(2026, 8, 22), "Ngày làm việc bù", True) in rows
    assert any(day == date(2026, 9, 2) and not working for day, _, working in rows)
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)


# --- operator overrides --------------------------------------------------------------------------


def test_overrides_beat_weekends_and_holidays():
    cal = WorkingCalendar(
        extra_days_off={date(2026, 12, 8), date(2026, 8, 22)},
        extra_working_days={date(2026, 12, 12), date(2027, 2, 8)},
    )
    assert not cal.is_working_day(date(2026, 12, 8))  # a Tuesday
    assert not cal.is_working_day(date(2026, 8, 22))  # the package's make-up Saturday
    assert cal.is_working_day(date(2026, 12, 12))  # a Saturday
    assert cal.is_working_day(date(2027, 2, 8))  # inside Tết
    # Mon 16:30 -> Tuesday is off now -> processing from Wednesday
    assert cal.due_at(vn(2026, 12, 7, 16, 30), 1) == vn(2026, 12, 9, 17, 0)
    assert cal.receipt_time(vn(2026, 12, 12, 10, 0)) == vn(2026, 12, 12, 10, 0)


def test_module_functions_use_the_installed_provider():
    calendar.set_override_provider(lambda: ({date(2026, 12, 8)}, {date(2026, 12, 12)}))
    assert not calendar.is_working_day(date(2026, 12, 8))
    assert calendar.is_working_day(date(2026, 12, 12))
    assert calendar.due_at(vn(2026, 12, 7, 9, 0), 3) == vn(2026, 12, 11, 9, 0)
    calendar.set_override_provider(None)
    assert calendar.is_working_day(date(2026, 12, 8))


# --- agency periods ------------------------------------------------------------------------------


def test_periods_from_config():
    assert periods_from_config(None) == calendar.DEFAULT_PERIODS
    assert periods_from_config([["7:30", "12:00"], ["13:00", "16:30"]]) == (
        (time(7, 30), time(12, 0)),
        (time(13, 0), time(16, 30)),
    )
    assert periods_from_config((("12:00", "13:00"),)) == ((time(12), time(13)),)
    assert periods_from_config([["11:30", "13:30"], ["13:30", "15:00"]])[1] == (time(13, 30), time(15))  # touching


def test_bad_periods_are_all_named_at_once():
    with pytest.raises(InvalidInput) as caught:
        periods_from_config([["07:00", "25:00"], ["x", "11:30"], ["14:00", "13:00"], ["08:00"], ["10:00", "12:00"], ["11:00", "17:00"]])
    fields = [error.field for error in caught.value.field_errors]
    assert fields == [
        "working_periods[0][1]",
        "working_periods[1][0]",
        "working_periods[2]",
        "working_periods[3]",
        "working_periods[5]",  # overlaps 10:00–12:00
    ]


@pytest.mark.parametrize("raw", [[], "07:00-17:00", {"a": 1}, 7, [["07:00", 1100]], [["07:00", "11:30", "12:00"]]])
def test_malformed_periods(raw):
    with pytest.raises(InvalidInput):
        periods_from_config(raw)


def test_unordered_periods_are_refused():
    with pytest.raises(InvalidInput) as caught:
        periods_from_config([["13:30", "17:00"], ["07:00", "11:30"]])
    assert [error.field for error in caught.value.field_errors] == ["working_periods[1]"]


def test_agency_periods_change_receipt_and_due(no_overrides):
    periods = [["07:30", "11:30"], ["13:00", "17:00"]]  # 8 h as well
    assert calendar.receipt_time(vn(2026, 12, 7, 7, 15), periods=periods) == vn(2026, 12, 7, 7, 30)
    assert calendar.receipt_time(vn(2026, 12, 7, 12, 0), periods=periods) == vn(2026, 12, 7, 13, 0)
    assert calendar.processing_start(vn(2026, 12, 7, 16, 30), periods=periods) == vn(2026, 12, 8, 7, 30)
    assert calendar.due_at(vn(2026, 12, 7, 12, 0), 1, periods=periods) == vn(2026, 12, 8, 11, 30)
    short_day = [["08:00", "12:00"]]  # 4 h: one working day is one morning
    assert calendar.due_at(vn(2026, 12, 7, 10, 0), 2, periods=short_day) == vn(2026, 12, 9, 10, 0)
    with pytest.raises(InvalidInput):
        calendar.due_at(vn(2026, 12, 7, 10, 0), 2, periods=[["08:00"]])


def test_agency_row_periods_pass_straight_through(app, session, no_overrides):
    agency = factories.agency(session, working_periods=[["08:00", "12:00"], ["13:00", "17:00"]])
    assert calendar.receipt_time(vn(2026, 12, 7, 7, 0), periods=agency.working_periods) == vn(2026, 12, 7, 8, 0)


# --- the server's zone does not matter ---------------------------------------------------------


def test_other_zones_give_the_same_instants(no_overrides, monkeypatch):
    received = vn(2026, 12, 7, 16, 30)
    expected = calendar.due_at(received, 3)
    monkeypatch.setenv("TZ", "America/New_York")
    time_module.tzset()
    try:
        in_new_york = received.astimezone(NEW_YORK)  # Monday 04:30 in New York
        assert calendar.due_at(in_new_york, 3) == expected
        assert calendar.receipt_time(in_new_york) == received
        assert calendar.appointment_date(in_new_york, 3) == date(2026, 12, 10)
        assert calendar.is_working_day(datetime(2026, 12, 13, 18, 0, tzinfo=NEW_YORK)) is True  # Mon 14/12 in VN
    finally:
        monkeypatch.undo()
        time_module.tzset()


# --- the override table --------------------------------------------------------------------------


def test_add_list_remove_override(app, session):
    staff = factories.user(session, role=Role.operator)
    row = calendar_store.add_override(session, date(2027, 2, 20), DayKind.working_day, "  TB 123/TB-BNV ", staff)
    session.commit()
    assert (row.reason, row.created_by_id, row.created_at is not None) == ("TB 123/TB-BNV", staff.id, True)
    calendar_store.add_override(session, "2027-03-01", "day_off", "Quyết định của UBND tỉnh")
    calendar_store.add_override(session, date(2026, 12, 31), DayKind.day_off, "Quyết định khác")
    session.commit()
    assert [r.day for r in calendar_store.list_overrides(session, 2027)] == [date(2027, 2, 20), date(2027, 3, 1)]
    assert len(calendar_store.list_overrides(session)) == 3
    assert calendar_store.load_overrides(session) == (
        frozenset({date(2027, 3, 1), date(2026, 12, 31)}),
        frozenset({date(2027, 2, 20)}),
    )
    calendar_store.remove_override(session, date(2027, 3, 1))
    session.commit()
    assert [r.day for r in calendar_store.list_overrides(session, 2027)] == [date(2027, 2, 20)]


def test_duplicate_day_is_a_conflict(app, session):
    calendar_store.add_override(session, date(2027, 2, 20), DayKind.working_day, "TB 1")
    session.commit()
    with pytest.raises(Conflict):
        calendar_store.add_override(session, date(2027, 2, 20), DayKind.day_off, "TB 2")
    session.rollback()
    rows = calendar_store.list_overrides(session, 2027)
    assert [(r.day, r.kind) for r in rows] == [(date(2027, 2, 20), DayKind.working_day)]


def test_bad_override_names_every_field_and_writes_nothing(app, session):
    with pytest.raises(InvalidInput) as caught:
        calendar_store.add_override(session, "2027-02-30", "holiday", "   ")
    assert {error.field for error in caught.value.field_errors} == {"day", "kind", "reason"}
    with pytest.raises(InvalidInput) as caught:
        calendar_store.add_override(session, date(2200, 1, 1), DayKind.day_off, "x" * 256)
    assert {error.field for error in caught.value.field_errors} == {"day", "reason"}
    with pytest.raises(InvalidInput):
        calendar_store.add_override(session, datetime(2027, 1, 4, tzinfo=VIETNAM), DayKind.day_off, "x")
    with pytest.raises(InvalidInput):
        calendar_store.list_overrides(session, 0)
    assert session.scalar(select(func.count()).select_from(CalendarOverride)) == 0


def test_removing_a_day_without_override_is_not_found(app, session):
    with pytest.raises(NotFound):
        calendar_store.remove_override(session, date(2027, 2, 20))
    with pytest.raises(InvalidInput):
        calendar_store.remove_override(session, "20/02/2027")


def test_installed_provider_sees_changes_of_this_process_at_once(app, session):
    calendar_store.install_provider(SessionFactory)
    assert calendar.is_working_day(date(2026, 12, 8))
    calendar_store.add_override(session, date(2026, 12, 8), DayKind.day_off, "Quyết định của UBND tỉnh")
    session.commit()
    assert not calendar.is_working_day(date(2026, 12, 8))
    assert calendar.due_at(vn(2026, 12, 7, 16, 30), 1) == vn(2026, 12, 9, 17, 0)
    calendar_store.remove_override(session, date(2026, 12, 8))
    session.commit()
    assert calendar.is_working_day(date(2026, 12, 8))


def test_provider_caches_changes_of_other_processes_for_a_while(app, session):
    now = [1000.0]
    provider = calendar_store.CachedOverrideProvider(SessionFactory, ttl_seconds=60, clock=lambda: now[0])
    calendar.set_override_provider(provider)
    assert calendar.is_working_day(date(2026, 12, 12)) is False
    # another process writes the row directly: not seen until the cache expires
    session.add(CalendarOverride(day=date(2026, 12, 12), kind=DayKind.working_day, reason="TB"))
    session.commit()
    now[0] += 59
    assert calendar.is_working_day(date(2026, 12, 12)) is False
    now[0] += 2
    assert calendar.is_working_day(date(2026, 12, 12)) is True


def test_provider_keeps_last_overrides_when_the_database_fails(app):
    calls = []

    class FlakySession:
        def __init__(self):
            calls.append(1)
            if len(calls) > 1:
                raise RuntimeError("database down")

        def execute(self, _query):
            return [(date(2026, 12, 8), DayKind.day_off)]

        def close(self):
            pass

    now = [0.0]
    provider = calendar_store.CachedOverrideProvider(FlakySession, ttl_seconds=60, clock=lambda: now[0])
    assert provider() == (frozenset({date(2026, 12, 8)}), frozenset())
    now[0] += 120
    assert provider() == (frozenset({date(2026, 12, 8)}), frozenset())
    assert len(calls) == 2


# --- flask calendar ... --------------------------------------------------------------------------


def test_cli_add_list_remove(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(calendar_commands, ["add-day-off", "2027-03-01", "Quyết định 9/QĐ-UBND"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(calendar_commands, ["add-working-day", "20/02/2027", "TB 123/TB-BNV"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(calendar_commands, ["list", "2027"])
    assert result.exit_code == 0, result.output
    assert "2027-02-20 Thứ Bảy " in result.output and "TB 123/TB-BNV" in result.output
    assert "2027-03-01 Thứ Hai" in result.output
    result = runner.invoke(calendar_commands, ["list", "2027", "--official"])
    assert "Giao thừa" in result.output

    result = runner.invoke(calendar_commands, ["add-day-off", "2027-03-01", "lần hai"])
    assert result.exit_code == 1
    assert "đã được điều chỉnh" in result.output

    result = runner.invoke(calendar_commands, ["remove", "2027-03-01"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert [r.day for r in calendar_store.list_overrides(session)] == [date(2027, 2, 20)]


def test_cli_refuses_bad_input(app):
    runner = app.test_cli_runner()
    assert runner.invoke(calendar_commands, ["add-day-off", "31/02/2027", "x"]).exit_code == 2
    result = runner.invoke(calendar_commands, ["add-day-off", "2027-03-01", "  "])
    assert result.exit_code == 1 and "reason" in result.output
    result = runner.invoke(calendar_commands, ["remove", "2027-03-02"])
    assert result.exit_code == 1 and "không có điều chỉnh" in result.output
    assert runner.invoke(calendar_commands, ["list", "1800"]).exit_code == 2
