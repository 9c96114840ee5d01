"""Operator overrides of the working calendar, kept in the database (table calendar_overrides).

The pure calendar asks an installed provider for the overrides; the provider here reads them with
its own short-lived session, keeps them for a minute, and forgets them as soon as this process
changes one. Other processes see a change within CACHE_SECONDS.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from postal_gateway import calendar
from postal_gateway import models as _all_models  # noqa: F401 - every mapper, so User's relationships resolve
from postal_gateway.calendar.models import CalendarOverride, DayKind
from postal_gateway.core.domain import N_, Conflict, FieldError, InvalidInput, NotFound

log = logging.getLogger(__name__)

#: how long a process trusts the overrides it loaded
CACHE_SECONDS = 60.0
REASON_MAX_LENGTH = 255

Overrides = tuple[frozenset[date], frozenset[date]]


def load_overrides(session: Session) -> Overrides:
    """(extra days off, extra working days) from every override row."""
    days_off: set[date] = set()
    working_days: set[date] = set()
    for day, kind in session.execute(select(CalendarOverride.day, CalendarOverride.kind)):
        (working_days if kind == DayKind.working_day else days_off).add(day)
    return frozenset(days_off), frozenset(working_days)


class CachedOverrideProvider:
    """Loads the overrides with a fresh session at most once per ``ttl_seconds``."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        ttl_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session_factory = session_factory
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._value: Overrides | None = None
        self._loaded_at = 0.0

    def invalidate(self) -> None:
        with self._lock:
            self._value = None

    def __call__(self) -> Overrides:
        with self._lock:
            now = self._clock()
            if self._value is not None and now - self._loaded_at < self._ttl:
                return self._value
            try:
                session = self._session_factory()
                try:
                    value = load_overrides(session)
                finally:
                    session.close()
            except Exception:  # noqa: BLE001 - a database hiccup must not stop every deadline
                if self._value is None:
                    raise
                log.exception("calendar overrides could not be reloaded; keeping the previous ones")
                self._loaded_at = now
                return self._value
            self._value, self._loaded_at = value, now
            return value


_installed: CachedOverrideProvider | None = None


def install_provider(session_factory: Callable[[], Session], ttl_seconds: float = CACHE_SECONDS) -> CachedOverrideProvider:
    """Make the module functions of postal_gateway.calendar honour the override table."""
    global _installed
    _installed = CachedOverrideProvider(session_factory, ttl_seconds)
    calendar.set_override_provider(_installed)
    return _installed


def invalidate_cache() -> None:
    """Forget the cached overrides of this process (tests call it after emptying the table)."""
    if _installed is not None:
        _installed.invalidate()


def _invalidate_after_commit(session: Session) -> None:
    invalidate_cache()
    # a reader may reload between now and the commit: forget again once the change is visible
    event.listen(session, "after_commit", lambda _session: invalidate_cache(), once=True)


def _check_day(day: object, errors: list[FieldError]) -> date | None:
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip())
        except ValueError:
            errors.append(FieldError("day", N_("Ngày phải có dạng YYYY-MM-DD.")))
            return None
    if not isinstance(day, date) or hasattr(day, "hour"):
        errors.append(FieldError("day", N_("Ngày phải có dạng YYYY-MM-DD.")))
        return None
    if not calendar.FIRST_YEAR <= day.year <= calendar.LAST_YEAR:
        errors.append(
            FieldError(
                "day",
                N_("Lịch làm việc chỉ áp dụng cho các năm %(first)s–%(last)s."),
                {"first": calendar.FIRST_YEAR, "last": calendar.LAST_YEAR},
            )
        )
        return None
    return day


def add_override(
    session: Session, day: date | str, kind: DayKind | str, reason: str, actor: object = None,
    *, legal_reference: str | None = None,
) -> CalendarOverride:
    """Declare ``day`` an extra day off or an extra working day. Flushes; the caller commits.

    ``actor`` is the User who decides (or their id, or None from the command line). ``legal_reference`` names the
    legal text the day rests on; the calendar page always asks for it (a string, never empty), the command line
    may leave it out (None) when the reason already names the decision.
    """
    errors: list[FieldError] = []
    checked_day = _check_day(day, errors)
    try:
        checked_kind = DayKind(kind)
    except ValueError:
        checked_kind = None
        errors.append(FieldError("kind", N_("Chọn ngày nghỉ hoặc ngày làm việc.")))
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        errors.append(FieldError("reason", N_("Ghi căn cứ, ví dụ số thông báo của cơ quan có thẩm quyền.")))
    elif len(reason) > REASON_MAX_LENGTH:
        errors.append(
            FieldError("reason", N_("Căn cứ dài tối đa %(max)s ký tự."), {"max": REASON_MAX_LENGTH})
        )
    if legal_reference is not None:
        legal_reference = legal_reference.strip() if isinstance(legal_reference, str) else ""
        if not legal_reference:
            errors.append(FieldError("legal_reference", N_("Ghi văn bản pháp lý làm căn cứ, ví dụ số công văn.")))
        elif len(legal_reference) > REASON_MAX_LENGTH:
            errors.append(FieldError("legal_reference", N_("Căn cứ pháp lý dài tối đa %(max)s ký tự."),
                                     {"max": REASON_MAX_LENGTH}))
    if errors:
        raise InvalidInput(N_("Ngày điều chỉnh không hợp lệ."), field_errors=errors)

    if session.get(CalendarOverride, checked_day) is not None:
        raise Conflict(N_("Ngày %(day)s đã được điều chỉnh; xóa điều chỉnh cũ trước."), params={"day": checked_day.isoformat()})
    actor_id = getattr(actor, "id", actor)
    row = CalendarOverride(
        day=checked_day,
        kind=checked_kind,
        reason=reason,
        legal_reference=legal_reference or "",
        created_by_id=actor_id if isinstance(actor_id, int) else None,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as clash:  # another process added the same day meanwhile
        raise Conflict(
            N_("Ngày %(day)s đã được điều chỉnh; xóa điều chỉnh cũ trước."), params={"day": checked_day.isoformat()}
        ) from clash
    _invalidate_after_commit(session)
    return row


def remove_override(session: Session, day: date | str) -> None:
    """Remove the override of ``day``; NotFound if there is none. Flushes; the caller commits."""
    errors: list[FieldError] = []
    checked_day = _check_day(day, errors)
    if errors:
        raise InvalidInput(N_("Ngày điều chỉnh không hợp lệ."), field_errors=errors)
    row = session.get(CalendarOverride, checked_day)
    if row is None:
        raise NotFound(N_("Ngày %(day)s không có điều chỉnh nào."), params={"day": checked_day.isoformat()})
    session.delete(row)
    session.flush()
    _invalidate_after_commit(session)


def list_overrides(session: Session, year: int | None = None) -> list[CalendarOverride]:
    """Overrides in date order, of one year or of all years."""
    query = select(CalendarOverride).order_by(CalendarOverride.day)
    if year is not None:
        if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
            raise InvalidInput(
                N_("Năm không hợp lệ."), field_errors=[FieldError("year", N_("Nhập năm gồm bốn chữ số, ví dụ 2027."))]
            )
        query = query.where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
    return list(session.scalars(query))
