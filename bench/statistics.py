"""The statistics table (R-21) over many dossiers, against a bare SQL GROUP BY of the same figures.

Fills a fresh PostgreSQL database with ``--rows`` dossiers spread over ``--agencies`` agencies and
two years (settled on time and late, open, awaiting a supplement, rejected), then in the same run
times, for the last 365 days:
- bare: one hand-written SQL statement with the same CASE conditions, GROUP BY agency;
- statistics: postal_gateway.statistics.service.agency_statistics as the page and API call it
  (period parsing, agency scope, the built query, the rows and the total);
and checks that both give the same figures.

    .venv/bin/python bench/statistics.py [--rows 1000000] [--agencies 20] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.support import DEFAULT_ADMIN_URL, fresh_database  # noqa: E402
from postal_gateway import bootstrap  # noqa: E402
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
        first = [factories.agency(session, code=f"000.00.{i:02d}.H10", name=f"Cơ quan {i:02d}") for i in range(agencies)]
        procedure = factories.procedure(session, first[0])
        office = factories.post_office(session)
        citizen = factories.user(session, Role.citizen)
        operator = factories.user(session, Role.operator)
        session.commit()
        ids = dict(agency0=first[0].id, procedure=procedure.id, citizen=citizen.id, office=office.id, operator=operator.id)
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
                   CASE WHEN bucket < 70 THEN LEAST(received + ((n % 19) + 1) * interval '1 day', :now - interval '1 minute') END,
                   CASE WHEN bucket BETWEEN 70 AND 79 THEN LEAST(received + interval '3 days', :now - interval '1 minute') END,
                   'BT' || lpad(n::text, 9, '0') || 'VN', received, received, 'online_valid'
            FROM base
        """), dict(ids, rows=rows, agencies=agencies, now=now))
        connection.execute(text("""
            INSERT INTO supplement_requests (dossier_id, requested_by_id, requested_at, reasons, spent_seconds,
                                             remaining_seconds, previous_due_at)
            SELECT id, :operator, LEAST(received_at + interval '2 days', :now - interval '1 minute'), '["x"]', 0, 0, due_at
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
            with engine.connect() as connection:
                connection.execute(BARE, bounds).all()

            started = time.perf_counter()
            with engine.connect() as connection:
                bare_rows = connection.execute(BARE, bounds).all()
            bare = time.perf_counter() - started

            started = time.perf_counter()
            report = agency_statistics(session, viewer=operator, date_from=first, date_to=last, now=now)
            service = time.perf_counter() - started

        by_agency = {row.agency_id: row for row in bare_rows}
        with Session(engine) as session:
            codes = {agency.code: agency.id for agency in session.query(Agency)}
        for row in report.rows:
            expected = by_agency[codes[row.agency_code]]
            assert all(row.counts[key] == getattr(expected, key) for key in KEYS), (row.agency_code, row.counts, expected)
        total = report.total.counts
        print(f"period {first} .. {last}: {total['to_settle']:,} to settle, "
              f"{total['settled_on_time']:,} on time, {total['settled_late']:,} late")
        print(f"bare SQL GROUP BY   : {bare * 1000:9.1f} ms")
        print(f"statistics service  : {service * 1000:9.1f} ms")
        print(f"ratio service / bare: {service / bare:9.2f}x (aim: within 1.5x)")
        engine.dispose()
        return {"bare": bare, "service": service, "ratio": service / bare, "total": total}
    finally:
        drop()


if __name__ == "__main__":
    main()
