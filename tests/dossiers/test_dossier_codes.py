"""Dossier codes (R-10, Điều 15): format, Vietnamese day, gap-free sequence under concurrency."""
from __future__ import annotations

import threading
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from postal_gateway.core.db import SessionFactory
from postal_gateway.core.domain import Conflict, InvalidInput
from postal_gateway.dossiers.codes import (
    DossierCode,
    format_dossier_code,
    next_dossier_code,
    parse_dossier_code,
    receipt_day,
)
from postal_gateway.dossiers.models import DossierCodeCounter
from tests import factories


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_format_and_parse_round_trip():
    code = format_dossier_code("000.00.20.H10", date(2026, 12, 7), 1)
    assert code == "000.00.20.H10-261207-0001"
    parsed = parse_dossier_code(code)
    assert parsed == DossierCode("000.00.20.H10", date(2026, 12, 7), 1)
    assert str(parsed) == code


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "000.00.20.H10-261207-001",
        "000.00.20.H10-261207-00001",
        "000.00.20.H10-261307-0001",  # month 13
        "000.00.20.H10-261207-0000",
        "000.00.20-261207-0001",
        "000.00.20.H10_261207_0001",
    ],
)
def test_parse_refuses_malformed_codes(bad):
    with pytest.raises(InvalidInput) as refused:
        parse_dossier_code(bad)
    assert refused.value.field_errors[0].field == "code"


def test_format_refuses_out_of_range_sequence():
    with pytest.raises(ValueError):
        format_dossier_code("000.00.20.H10", date(2026, 12, 7), 10000)


def test_day_is_the_vietnamese_day():
    # 23:30 UTC is 06:30 the next morning in Vietnam (UTC+7)
    assert receipt_day(utc(2026, 12, 6, 23, 30)) == date(2026, 12, 7)
    assert receipt_day(utc(2026, 12, 6, 16, 59)) == date(2026, 12, 6)


def test_sequence_counts_per_agency_and_vietnamese_day(session):
    agency = factories.agency(session, code="000.00.20.H10")
    other = factories.agency(session, code="000.00.21.H10")
    first = next_dossier_code(session, agency, utc(2026, 12, 7, 2, 0))
    second = next_dossier_code(session, agency, utc(2026, 12, 7, 9, 0))
    other_agency = next_dossier_code(session, other, utc(2026, 12, 7, 9, 0))
    next_day = next_dossier_code(session, agency, utc(2026, 12, 7, 23, 30))
    assert first == "000.00.20.H10-261207-0001"
    assert second == "000.00.20.H10-261207-0002"
    assert other_agency == "000.00.21.H10-261207-0001"
    assert next_day == "000.00.20.H10-261208-0001"


def test_rolled_back_number_is_given_back(session):
    agency = factories.agency(session, code="000.00.20.H10")
    session.commit()
    at = utc(2026, 12, 7, 2, 0)
    assert next_dossier_code(session, agency, at).endswith("-0001")
    session.commit()
    assert next_dossier_code(session, agency, at).endswith("-0002")
    session.rollback()  # the submission failed after taking its number
    assert next_dossier_code(session, agency, at).endswith("-0002")


def test_overflow_past_9999_is_a_clear_conflict(session):
    agency = factories.agency(session, code="000.00.20.H10")
    session.add(DossierCodeCounter(agency_id=agency.id, day=date(2026, 12, 7), last_sequence=9998))
    session.flush()
    at = utc(2026, 12, 7, 2, 0)
    assert next_dossier_code(session, agency, at) == "000.00.20.H10-261207-9999"
    with pytest.raises(Conflict) as refused:
        next_dossier_code(session, agency, at)
    assert "hết số thứ tự hồ sơ trong ngày" in refused.value.message
    # the transaction is still usable and the counter unchanged
    counter = session.scalar(select(DossierCodeCounter).where(DossierCodeCounter.agency_id == agency.id))
    assert counter.last_sequence == 9999
    assert next_dossier_code(session, agency, utc(2026, 12, 8, 2, 0)).endswith("-0001")


@pytest.mark.commits  # fifty connections at once
def test_fifty_concurrent_codes_are_gap_free_and_unique(app, session):
    agency = factories.agency(session, code="000.00.20.H10")
    session.commit()
    agency_id = agency.id
    at = utc(2026, 12, 7, 2, 0)
    count = 50
    from sqlalchemy import create_engine

    engine = create_engine(app.extensions["engine"].url, pool_size=count, max_overflow=0, pool_timeout=120)
    barrier = threading.Barrier(count)
    codes: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def worker():
        own = SessionFactory(bind=engine)
        try:
            barrier.wait(timeout=30)
            row = own.get(type(agency), agency_id)
            code = next_dossier_code(own, row, at)
            own.commit()
            with lock:
                codes.append(code)
        except BaseException as error:  # noqa: BLE001 - reported below
            own.rollback()
            with lock:
                failures.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()
    assert not failures
    assert sorted(codes) == [f"000.00.20.H10-261207-{n:04d}" for n in range(1, count + 1)]
