"""Invariants of the working calendar, over random instants, day counts, periods and overrides."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from postal_gateway.calendar import WorkingCalendar
from postal_gateway.core.formatting import VIETNAM

ZONES = [VIETNAM, timezone.utc, ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Kolkata")]
FIRST, LAST = datetime(2024, 1, 1), datetime(2028, 6, 30)


@st.composite
def instants(draw):
    """Aware instants 2024–2028 in assorted zones, often right on a period boundary."""
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        day = draw(st.dates(FIRST.date(), LAST.date()))
        clock = draw(st.sampled_from([time(7), time(11, 30), time(13, 30), time(16), time(17), time(0)]))
        return datetime.combine(day, clock, tzinfo=VIETNAM).astimezone(zone)
    return draw(st.datetimes(FIRST, LAST, timezones=st.just(zone)))


#: whole and half working days, as the procedures state them
day_counts = st.integers(0, 130).map(lambda halves: Fraction(halves, 2))


@st.composite
def periods(draw):
    """One to three ordered, non-overlapping periods in whole minutes (touching allowed)."""
    count = draw(st.integers(1, 3))
    marks = sorted(draw(st.lists(st.integers(5 * 60, 21 * 60), min_size=2 * count, max_size=2 * count, unique=True)))
    return tuple(
        (time(*divmod(marks[2 * i], 60)), time(*divmod(marks[2 * i + 1], 60))) for i in range(count)
    )


@st.composite
def calendars(draw):
    override_days = st.dates(date(2024, 1, 1), date(2028, 12, 31))
    off = draw(st.frozensets(override_days, max_size=15))
    worked = draw(st.frozensets(override_days, max_size=15)) - off
    chosen = draw(st.one_of(st.just(None), periods()))
    return WorkingCalendar(chosen, off, worked)  # None: the default periods


def at_period_end(cal: WorkingCalendar, moment: datetime) -> bool:
    local = moment.astimezone(VIETNAM)
    return cal.is_working_day(local.date()) and any(
        local.timetz().replace(tzinfo=None) == end for _, end in cal.periods
    )


@settings(deadline=None)  # examples: the profile chosen in tests/conftest.py
@given(calendars(), instants(), day_counts)
def test_due_time_is_inside_a_period_or_at_its_end(cal, received, days):
    due = cal.due_at(received, days)
    assert due.utcoffset() == timedelta(hours=7)
    assert cal.is_working_time(due) or at_period_end(cal, due)
    if days:
        # the deadline is the earliest moment with enough work: never a period's start
        assert not any(due.timetz().replace(tzinfo=None) == start for start, _ in cal.periods) or at_period_end(cal, due)


@settings(deadline=None)  # examples: the profile chosen in tests/conftest.py
@given(calendars(), instants(), day_counts)
def test_due_time_counts_exactly_the_working_time(cal, received, days):
    start = cal.processing_start(received)
    due = cal.due_at(received, days)
    assert start >= received
    assert cal.working_time_between(start, due) == cal.working_duration(days)
    assert cal.working_duration(days) == cal.day_length * days.numerator / days.denominator


@settings(deadline=None)  # examples: the profile chosen in tests/conftest.py
@given(calendars(), instants(), instants(), day_counts)
def test_monotonic_in_the_receipt_time(cal, first, second, days):
    first, second = sorted((first, second))
    assert cal.due_at(first, days) <= cal.due_at(second, days)
    assert cal.receipt_time(first) <= cal.receipt_time(second)
    assert cal.processing_start(first) <= cal.processing_start(second)


@settings(deadline=None)  # examples: the profile chosen in tests/conftest.py
@given(calendars(), instants(), day_counts, day_counts)
def test_monotonic_in_the_day_count(cal, received, a, b):
    fewer, more = sorted((a, b))
    assert cal.due_at(received, fewer) <= cal.due_at(received, more)
    if fewer < more:
        assert cal.due_at(received, fewer) < cal.due_at(received, more)


@settings(deadline=None)  # examples: the profile chosen in tests/conftest.py
@given(calendars(), instants(), st.lists(day_counts.map(lambda d: min(d, Fraction(20))), min_size=1, max_size=5))
def test_one_day_at_a_time_equals_all_at_once(cal, received, steps):
    due = cal.due_at(received, steps[0])
    for step in steps[1:]:
        due = cal.add_working_days(due, step)
    assert due == cal.due_at(received, sum(steps))


@settings(deadline=None)  # examples: the profile chosen in tests/conftest.py
@given(calendars(), instants())
def test_receipt_time_is_the_next_working_moment(cal, entered):
    receipt = cal.receipt_time(entered)
    assert receipt >= entered
    assert cal.is_working_time(receipt)
    assert cal.working_time_between(entered, receipt) == timedelta(0)
    if cal.is_working_time(entered):
        assert receipt == entered


@settings(max_examples=100, deadline=None)
@given(calendars(), instants(), day_counts, st.sampled_from(ZONES))
def test_the_zone_of_the_input_does_not_matter(cal, received, days, zone):
    assert cal.due_at(received.astimezone(zone), days) == cal.due_at(received, days)
    assert cal.appointment_date(received.astimezone(zone), days) == cal.due_at(received, days).date()


@settings(max_examples=100, deadline=None)
@given(st.dates(date(2024, 1, 1), date(2028, 12, 31)), st.booleans())
def test_overrides_decide_their_day(day, worked):
    cal = WorkingCalendar(extra_working_days={day}) if worked else WorkingCalendar(extra_days_off={day})
    assert cal.is_working_day(day) is worked
    neighbour = day + timedelta(days=1)
    assert cal.is_working_day(neighbour) == WorkingCalendar().is_working_day(neighbour)
