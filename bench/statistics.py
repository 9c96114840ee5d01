"""The statistics tables (R-21) over many dossiers, against bare SQL doing the same work.

Fills a fresh PostgreSQL database with ``--rows`` postal dossiers spread over ``--agencies`` agencies and
two years (settled on time and late, open, awaiting a supplement, rejected; submitted by the post some working
hours before their receipt, some sent back or refused on the way, some with apology letters), then in the same
run times, for the last 365 days:
- bare: the same figures of both tables with hand-written SQL and a plain DB-API cursor: the seed-001
  GROUP BY, the "Tiếp nhận qua bưu chính" and letters GROUP BYs, and for the median waiting time the same
  rows fetched with the cursor and the same per-day running totals of working seconds on the agency's calendar;
- statistics: postal_gateway.statistics.service.agency_statistics as the page and API call it
  (period parsing, agency scope, the built queries, the rows, the medians and the totals);
and checks that both give the same figures.

    .venv/bin/python bench/statistics.py [--rows 1000000] [--agencies 20] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.support import DEFAULT_ADMIN_URL, fresh_database  # noqa: E402
from postal_gateway import bootstrap, calendar  # noqa: E402
from postal_gateway.accounts.models import Role, User  # noqa: E402
from postal_gateway.catalogue.models import Agency  # noqa: E402
from postal_gateway.core.db import utcnow  # noqa: E402
from postal_gateway.core.formatting import to_local  # noqa: E402
from postal_gateway.models import metadata  # noqa: E402
from tests import factories  # noqa: E402

KEYS = ("carried_on_time", "carried_late", "carried_waiting", "received", "to_settle", "settled_on_time",
        "settled_late", "in_progress_on_time", "in_progress_late", "waiting_supplement", "returned")



def fill(engine, rows: int, agencies: int, now) -> int:
    """Dossiers over 730 days; returns the operator's id."""
    with Session(engine) as session:
        first = [factories.agency(session, code=f"000.00.{i:02d}.H10", name=f"Cơ quan {i:02d}")
                 for i in range(agencies)]
        procedure = factories.procedure(session, first[0])
        office = factories.post_office(session)
        citizen = factories.user(session, Role.citizen)
        operator = factories.user(session, Role.operator)
        session.commit()
        ids = dict(agency0=first[0].id, procedure=procedure.id, citizen=citizen.id, office=office.id,
                   operator=operator.id)
    with engine.begin() as connection:
        # bucket = (n * 7) % 100: 0-69 settled (some after their due time), 70-79 rejected,
        # 80-84 awaiting a supplement, 85-99 open. Times never pass "now".
        connection.execute(text("""
            WITH base AS (
                SELECT n, (n * 7) % 100 AS bucket,
                       :now - (n % 730) * interval '1 day' - (n % 9) * interval '1 hour' AS received
                FROM generate_series(0, :rows - 1) AS n
            )
            INSERT INTO dossiers (code, agency_id, procedure_id, citizen_id, organisation_name, channel, level, status,
                digitally_signed, collection_place, post_office_id, pickup_address, delivery_address,
                entered_at, received_at, processing_start_at, due_at, appointment_date, fee_vnd, postage_vnd,
                form_data, missing_items, note, created_at, updated_at, version, settled_at, given_back_at,
                shipment_number, submitted_at, accepted_at, receipt_basis)
            SELECT 'BENCH-' || lpad(n::text, 9, '0'), :agency0 + (n % :agencies), :procedure, :citizen, '', 'postal', 3,
                   CASE WHEN bucket < 70 THEN 'returned' WHEN bucket < 80 THEN 'rejected'
                        WHEN bucket < 85 THEN 'supplement_requested' ELSE 'in_processing' END,
                   false, 'post_office', :office, '', '', received, received, received,
                   received + ((n % 15) + 1) * interval '1 day', (received + ((n % 15) + 1) * interval '1 day')::date,
                   0, 0, '{}', '[]', '', received, received, 1,
                   CASE WHEN bucket < 70
                        THEN LEAST(received + ((n % 19) + 1) * interval '1 day', :now - interval '1 minute') END,
                   CASE WHEN bucket BETWEEN 70 AND 79
                        THEN LEAST(received + interval '3 days', :now - interval '1 minute') END,
                   'BT' || lpad(n::text, 9, '0') || 'VN',
                   received - (n % 53) * interval '1 hour' - (n % 7) * interval '13 minutes', received,
                   'online_valid'
            FROM base
        """), dict(ids, rows=rows, agencies=agencies, now=now))
        # on the way to receipt: one in 20 sent back for completion, one in 50 refused once and resubmitted
        connection.execute(text("""
            INSERT INTO dossier_status_changes (dossier_id, from_status, to_status, at, reason, action, details)
            SELECT id, 'submitted', CASE WHEN id % 20 = 0 THEN 'completion_requested' ELSE 'refused' END,
                   submitted_at + (received_at - submitted_at) / 2, '', 'bench', '{}'
            FROM dossiers WHERE id % 20 = 0 OR id % 50 = 1
        """))
        # one apology letter in 30 dossiers, by the processing agency
        connection.execute(text("""
            INSERT INTO apology_letters (dossier_id, number, issued_by_id, issued_at, reason, missed_due_at,
                                         previous_appointment_date, new_appointment_date, issuer_kind,
                                         issuer_agency_id, cause)
            SELECT id, 1, :operator, LEAST(due_at, :now - interval '1 minute'), 'x', due_at, appointment_date,
                   appointment_date + 3, 'processing_agency', agency_id, 'late'
            FROM dossiers WHERE id % 30 = 7
        """), dict(ids, now=now))
        connection.execute(text("""
            INSERT INTO supplement_requests (dossier_id, requested_by_id, requested_at, reasons, spent_seconds,
                                             remaining_seconds, previous_due_at)
            SELECT id, :operator, LEAST(received_at + interval '2 days', :now - interval '1 minute'), '["x"]', 0, 0,
                   due_at
            FROM dossiers WHERE status = 'supplement_requested'
        """), dict(ids, now=now))
        connection.execute(text("ANALYZE"))
    return ids["operator"]


BARE = text("""
    SELECT d.agency_id,
      SUM(CASE WHEN d.received_at < :s AND ps.dossier_id IS NULL AND COALESCE(ds.previous_due_at, d.due_at) >= :s
               THEN 1 ELSE 0 END) AS carried_on_time,
      SUM(CASE WHEN d.received_at < :s AND ps.dossier_id IS NULL AND COALESCE(ds.previous_due_at, d.due_at) < :s
               THEN 1 ELSE 0 END) AS carried_late,
      SUM(CASE WHEN d.received_at < :s AND ps.dossier_id IS NOT NULL THEN 1 ELSE 0 END) AS carried_waiting,
      SUM(CASE WHEN d.received_at >= :s THEN 1 ELSE 0 END) AS received,
      COUNT(*) AS to_settle,
      SUM(CASE WHEN d.settled_at >= :s AND d.settled_at < :e AND d.settled_at <= d.due_at THEN 1 ELSE 0 END)
          AS settled_on_time,
      SUM(CASE WHEN d.settled_at >= :s AND d.settled_at < :e AND d.settled_at > d.due_at THEN 1 ELSE 0 END)
          AS settled_late,
      SUM(CASE WHEN (d.settled_at IS NULL OR d.settled_at >= :e) AND (d.given_back_at IS NULL OR d.given_back_at >= :e)
               AND pe.dossier_id IS NULL AND COALESCE(dc.previous_due_at, d.due_at) >= :c THEN 1 ELSE 0 END)
          AS in_progress_on_time,
      SUM(CASE WHEN (d.settled_at IS NULL OR d.settled_at >= :e) AND (d.given_back_at IS NULL OR d.given_back_at >= :e)
               AND pe.dossier_id IS NULL AND COALESCE(dc.previous_due_at, d.due_at) < :c THEN 1 ELSE 0 END)
          AS in_progress_late,
      SUM(CASE WHEN (d.settled_at IS NULL OR d.settled_at >= :e) AND (d.given_back_at IS NULL OR d.given_back_at >= :e)
               AND pe.dossier_id IS NOT NULL THEN 1 ELSE 0 END) AS waiting_supplement,
      SUM(CASE WHEN d.given_back_at >= :s AND d.given_back_at < :e THEN 1 ELSE 0 END) AS returned
    FROM dossiers d
    LEFT JOIN (SELECT dossier_id FROM supplement_requests
               WHERE requested_at < :s AND (supplied_at IS NULL OR supplied_at >= :s) GROUP BY dossier_id) ps
           ON ps.dossier_id = d.id
    LEFT JOIN (SELECT dossier_id FROM supplement_requests
               WHERE requested_at < :e AND (supplied_at IS NULL OR supplied_at >= :e) GROUP BY dossier_id) pe
           ON pe.dossier_id = d.id
    LEFT JOIN (SELECT DISTINCT ON (dossier_id) dossier_id, previous_due_at FROM supplement_requests
               WHERE requested_at >= :s ORDER BY dossier_id, requested_at, id) ds
           ON ds.dossier_id = d.id
    LEFT JOIN (SELECT DISTINCT ON (dossier_id) dossier_id, previous_due_at FROM supplement_requests
               WHERE requested_at >= :c ORDER BY dossier_id, requested_at, id) dc
           ON dc.dossier_id = d.id
    WHERE d.received_at IS NOT NULL AND d.received_at < :e AND (d.settled_at IS NULL OR d.settled_at >= :s)
      AND (d.given_back_at IS NULL OR d.given_back_at >= :s)
    GROUP BY d.agency_id
""")

#: the second table's counts for the postal channel, as reception_query means them
BARE_RECEPTION = text("""
    SELECT d.agency_id,
      SUM(CASE WHEN d.submitted_at >= :s THEN 1 ELSE 0 END) AS submitted,
      SUM(CASE WHEN d.received_at >= :s AND d.received_at < :e THEN 1 ELSE 0 END) AS accepted,
      SUM(CASE WHEN sb.dossier_id IS NOT NULL THEN 1 ELSE 0 END) AS sent_back,
      SUM(CASE WHEN rf.dossier_id IS NOT NULL THEN 1 ELSE 0 END) AS refused,
      SUM(CASE WHEN (d.received_at IS NULL OR d.received_at >= :e)
               AND (st.to_status IS NULL OR st.to_status = 'submitted') THEN 1 ELSE 0 END) AS awaiting_acceptance
    FROM dossiers d
    LEFT JOIN (SELECT dossier_id FROM dossier_status_changes
               WHERE to_status = 'completion_requested' AND at >= :s AND at < :e GROUP BY dossier_id) sb
           ON sb.dossier_id = d.id
    LEFT JOIN (SELECT dossier_id FROM dossier_status_changes
               WHERE to_status = 'refused' AND at >= :s AND at < :e GROUP BY dossier_id) rf
           ON rf.dossier_id = d.id
    LEFT JOIN (SELECT DISTINCT ON (dossier_id) dossier_id, to_status FROM dossier_status_changes
               WHERE at < :e ORDER BY dossier_id, at DESC, id DESC) st
           ON st.dossier_id = d.id
    WHERE d.channel = 'postal' AND d.submitted_at < :e AND (d.received_at IS NULL OR d.received_at >= :s)
    GROUP BY d.agency_id
""")

#: the second table's letters and reception-error supplement requests issued in the period, over every channel
BARE_LETTERS = text("""
    SELECT agency_id, SUM(p) AS apologies_processing_agency, SUM(c) AS apologies_cooperating_agency,
           SUM(o) AS apologies_one_stop_office, SUM(r) AS reception_error_supplements
    FROM (
      SELECT d.agency_id, (l.issuer_kind = 'processing_agency')::int AS p,
             (l.issuer_kind = 'cooperating_agency')::int AS c,
             (l.issuer_kind = 'one_stop_office')::int AS o, 0 AS r
      FROM apology_letters l JOIN dossiers d ON d.id = l.dossier_id
      WHERE l.issued_at >= :s AND l.issued_at < :e
      UNION ALL
      SELECT d.agency_id, 0, 0, 0, 1
      FROM supplement_requests q JOIN dossiers d ON d.id = q.dossier_id
      WHERE q.cause = 'reception_error' AND q.requested_at >= :s AND q.requested_at < :e
    ) x
    GROUP BY agency_id
""")

RECEPTION_KEYS = ("submitted", "accepted", "sent_back", "refused", "awaiting_acceptance",
                  "apologies_processing_agency", "apologies_cooperating_agency", "apologies_one_stop_office",
                  "reception_error_supplements")
DAY = 86400
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def bare_median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return round(ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2, 1)


def bare_waiting_hours(raw, start, end, offset: int) -> dict[int, list[float]]:
    """The working hours from submission to receipt of each postal dossier received in [start, end), per agency:
    the rows through a plain cursor, then per calendar one list of per-day running totals of working seconds
    (the official calendar with its holidays and make-up days, and the agency's periods)."""
    cursor = raw.cursor()
    cursor.execute("SELECT id, working_periods FROM agencies")
    agency_periods = {agency_id: calendar.periods_from_config(periods) for agency_id, periods in cursor.fetchall()}
    cursor.execute("SELECT agency_id, extract(epoch FROM submitted_at)::float8, extract(epoch FROM received_at)::float8"
                   " FROM dossiers WHERE channel = 'postal' AND received_at >= %s AND received_at < %s", (start, end))
    rows = cursor.fetchall()
    cursor.close()
    hours: dict[int, list[float]] = {agency_id: [] for agency_id in agency_periods}
    if not rows:
        return hours
    first = EPOCH_ORDINAL + int((min(row[1] for row in rows) + offset) // DAY)
    last = EPOCH_ORDINAL + int((max(row[2] for row in rows) + offset) // DAY)
    clocks = {}
    for periods in set(agency_periods.values()):
        working_calendar = calendar.active_calendar(periods)
        spans = [(a.hour * 3600 + a.minute * 60 + a.second, b.hour * 3600 + b.minute * 60 + b.second)
                 for a, b in working_calendar.periods]
        length = sum(b - a for a, b in spans)
        totals, working, total = [], [], 0
        for ordinal in range(first, last + 1):
            is_working = working_calendar.is_working_day(date.fromordinal(ordinal))
            totals.append(total)
            working.append(is_working)
            total += length if is_working else 0
        clocks[periods] = (spans, totals, working)

    def seconds(clock, epoch: float) -> float:
        spans, totals, working = clock
        local = epoch + offset
        day = local // DAY
        index = int(day) + EPOCH_ORDINAL - first
        total = totals[index]
        if working[index]:
            within = local - day * DAY
            for a, b in spans:
                if within <= a:
                    break
                total += (within if within < b else b) - a
        return total

    by_agency = {agency_id: clocks[periods] for agency_id, periods in agency_periods.items()}
    for agency_id, submitted_at, received_at in rows:
        clock = by_agency[agency_id]
        hours[agency_id].append(max(seconds(clock, received_at) - seconds(clock, submitted_at), 0) / 3600)
    return hours


def bare(engine, bounds: dict, offset: int) -> tuple:
    """Every figure of both tables the way a hand-written report would get them."""
    with engine.connect() as connection:
        figures = {row.agency_id: row for row in connection.execute(BARE, bounds)}
        reception = {row.agency_id: row._mapping for row in connection.execute(BARE_RECEPTION, bounds)}
        letters = {row.agency_id: row._mapping for row in connection.execute(BARE_LETTERS, bounds)}
        hours = bare_waiting_hours(connection.connection.dbapi_connection, bounds["s"], bounds["e"], offset)
    return figures, reception, letters, hours



def _same_hours(one: float | None, other: float | None) -> bool:
    """Equal medians, allowing the last rounded decimal to differ by float summation order."""
    return one == other or (one is not None and other is not None and abs(one - other) <= 0.1 + 1e-9)


def main(argv: list[str] | None = None) -> dict:
    bootstrap.install_listeners()  # the Session listeners the app and the worker run with
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=20)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args(argv)

    from postal_gateway.statistics.service import agency_statistics

    url, drop = fresh_database(args.admin_url, "bench_stats")
    try:
        engine = create_engine(url)
        metadata.create_all(engine)
        now = utcnow()
        started = time.perf_counter()
        operator_id = fill(engine, args.rows, args.agencies, now)
        print(f"filled {args.rows:,} dossiers over {args.agencies} agencies in {time.perf_counter() - started:.1f} s")
        today = to_local(now).date()
        first, last = today - timedelta(days=365), today

        with Session(engine) as session:
            operator = session.get(User, operator_id)
            report = agency_statistics(session, viewer=operator, date_from=first, date_to=last, now=now)  # warm-up
            bounds = {"s": report.period.start, "e": report.period.end, "c": report.cutoff}
            offset = int(to_local(report.period.start).utcoffset().total_seconds())
            bare(engine, bounds, offset)  # warm-up

            started = time.perf_counter()
            by_agency, reception, letters, hours = bare(engine, bounds, offset)
            bare_time = time.perf_counter() - started

            started = time.perf_counter()
            report = agency_statistics(session, viewer=operator, date_from=first, date_to=last, now=now)
            service = time.perf_counter() - started

        with Session(engine) as session:
            codes = {agency.code: agency.id for agency in session.query(Agency)}
        for row in report.rows:
            expected = by_agency[codes[row.agency_code]]
            assert all(row.counts[key] == getattr(expected, key) for key in KEYS), (
                row.agency_code, row.counts, expected)
        for row in report.reception:
            agency_id = codes[row.agency_code]
            expected = {**reception.get(agency_id, {}), **letters.get(agency_id, {})}
            assert all(row.counts[key] == int(expected.get(key) or 0) for key in RECEPTION_KEYS), (
                row.agency_code, row.counts, expected)
            assert _same_hours(row.median_working_hours, bare_median(hours[agency_id])), (
                row.agency_code, row.median_working_hours, bare_median(hours[agency_id]))
        everyone = bare_median([value for values in hours.values() for value in values])
        assert _same_hours(report.reception_median_hours, everyone), (report.reception_median_hours, everyone)
        total = report.total.counts
        received = report.reception_total.counts
        print(f"period {first} .. {last}: {total['to_settle']:,} to settle, "
              f"{total['settled_on_time']:,} on time, {total['settled_late']:,} late; "
              f"{received['accepted']:,} received from the post, median {report.reception_median_hours} working hours")
        print(f"bare SQL and cursor : {bare_time * 1000:9.1f} ms")
        print(f"statistics service  : {service * 1000:9.1f} ms")
        print(f"ratio service / bare: {service / bare_time:9.2f}x (aim: within 1.5x)")
        engine.dispose()
        return {"bare": bare_time, "service": service, "ratio": service / bare_time, "total": total,
                "reception": received, "median_hours": report.reception_median_hours}
    finally:
        drop()


if __name__ == "__main__":
    main()
