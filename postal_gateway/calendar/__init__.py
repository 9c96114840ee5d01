"""The working calendar (R-07, R-08): working days and hours, the official receipt time, the processing
start and the due time. ``working_days`` holds the rules, ``store`` the operator's overrides, ``models`` their
table, ``commands`` the operator's commands; the rules are importable from here, as they always were."""
from postal_gateway.calendar.working_days import (
    DEFAULT_PERIODS,
    FIRST_YEAR,
    LAST_YEAR,
    WorkingCalendar,
    active_calendar,
    add_working_days,
    appointment_date,
    due_at,
    is_working_day,
    is_working_time,
    next_working_day,
    official_days,
    periods_from_config,
    processing_start,
    receipt_time,
    set_override_provider,
    working_time_between,
)

__all__ = [
    "DEFAULT_PERIODS",
    "FIRST_YEAR",
    "LAST_YEAR",
    "WorkingCalendar",
    "active_calendar",
    "add_working_days",
    "appointment_date",
    "due_at",
    "is_working_day",
    "is_working_time",
    "next_working_day",
    "official_days",
    "periods_from_config",
    "processing_start",
    "receipt_time",
    "set_override_provider",
    "working_time_between",
]
