"""The SLA breach scan over many open legs, against a bare SQL statement writing the same breaches.

Fills a fresh PostgreSQL database with ``--rows`` postal dossiers, each with an open forward leg
(``--breached`` of them already past due), then in the same run times, ``--repeat`` times each (best kept):
- bare: ONE INSERT … SELECT (a data-modifying CTE) writing the same breach rows from the overdue open
  legs through the partial index, and one sla.breached integration event each, commit; its rows are
  then deleted (untimed, and the tables vacuumed) so the scan finds the same work;
- scan: tracking.sla.raise_breaches: every clock (open and late-completed legs, the return commitment,
  the appointment), the breach rows, one sla.breached event each, a digest message per post office, commit;
- rescan: the same scan again, which must find nothing (each breach is raised once).
Prints the ratio scan / bare with its aim. The digests' dispatch after commit goes to an in-process broker
(CELERY_BROKER_URL, default memory://).

    .venv/bin/python bench/sla_scan.py [--rows 1000000] [--breached 0.01] [--repeat 3] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The digests are handed to the worker after commit; an in-process broker stands for RabbitMQ here (no
# queue left behind on a shared broker), not `make run`'s SQLite broker file (30 ms a message).
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.support import DEFAULT_ADMIN_URL, fresh_database  # noqa: E402
from postal_gateway import bootstrap  # noqa: E402
from postal_gateway.accounts.models import Role  # noqa: E402
from postal_gateway.core.db import utcnow  # noqa: E402
from postal_gateway.core.unit_of_work import unit_of_work  # noqa: E402
from postal_gateway.models import metadata  # noqa: E402
from tests import factories  # noqa: E402
from tracking.sla import raise_breaches  # noqa: E402


def fill(engine, rows: int, breached: float, now) -> None:
    with Session(engine) as session, unit_of_work(session):
        agency = factories.agency(session, code="000.00.20.H10")
        procedure = factories.procedure(session, agency)
        offices = [factories.post_office(session, phone=f"+8427138{n:04d}") for n in range(10)]
        staff = factories.user(session, Role.postal_staff, post_office=offices[0])
        citizen = factories.user(session, Role.citizen)
        session.flush()
        ids = dict(agency=agency.id, procedure=procedure.id, citizen=citizen.id, staff=staff.id,
                   office0=offices[0].id)
    overdue_every = max(1, round(1 / breached)) if breached > 0 else 0
    with engine.begin() as connection:
        # dossiers: appointment far ahead, so only the leg clocks can run out
        connection.execute(text("""
            INSERT INTO dossiers (code, agency_id, procedure_id, citizen_id, organisation_name, channel, level, status,
                digitally_signed, collection_place, post_office_id, pickup_address, delivery_address, submitted_by_id,
                entered_at, received_at, processing_start_at, due_at, appointment_date, fee_vnd, postage_vnd,
                form_data, missing_items, note, created_at, updated_at, version,
                shipment_number, submitted_at, accepted_at, receipt_basis)
            SELECT '000.00.20.H10-' || to_char(:now - (n / 9999) * interval '1 day', 'YYMMDD') || '-'
                       || lpad(((n % 9999) + 1)::text, 4, '0'),
                   :agency, :procedure, :citizen, '', 'postal', 4, 'received', false, 'post_office',
                   :office0 + (n % 10), '', '', :staff, :now - interval '1 day', :now - interval '1 day',
                   :now - interval '1 day', :now + interval '30 days', (:now + interval '30 days')::date,
                   50000, 30000, '{}', '[]', '', :now, :now, 1,
                   'BS' || lpad(n::text, 9, '0') || 'VN', :now - interval '1 day', :now - interval '1 day', 'online_valid'
            FROM generate_series(0, :rows - 1) AS n
        """), dict(ids, rows=rows, now=now))
        # one open forward leg each; every k-th is 1 hour past due, the others due in 1..60 hours
        connection.execute(text("""
            INSERT INTO shipment_legs (dossier_id, kind, state, post_office_id, zone, started_at, due_at, due_basis,
                                       created_at, updated_at)
            SELECT d.id, 'forward', 'picked_up', d.post_office_id, '', :now - interval '20 hours',
                   CASE WHEN :every > 0 AND d.id % :every = 0 THEN :now - interval '1 hour'
                        ELSE :now + ((d.id % 60) + 1) * interval '1 hour' END,
                   'default', :now, :now
            FROM dossiers d
        """), dict(now=now, every=overdue_every))
        connection.execute(text("ANALYZE"))


BARE = text("""
    WITH new AS (
        INSERT INTO sla_breaches (dossier_id, clock, leg_id, post_office_id, due_at, detected_at)
        SELECT dossier_id, kind, id, post_office_id, due_at, :now FROM shipment_legs
        WHERE completed_at IS NULL AND due_at < :now
        RETURNING dossier_id, clock, due_at
    )
    INSERT INTO integration_events (event_id, event_type, version, aggregate_type, aggregate_id, payload,
                                    occurred_at, publish_attempts)
    SELECT gen_random_uuid()::text, 'sla.breached', 1, 'dossier', d.shipment_number,
           json_build_object('dossier_code', d.shipment_number, 'clock', new.clock,
                             'due_at', to_char(new.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
                             'detected_at', CAST(:detected AS text)),
           :now, 0
    FROM new JOIN dossiers d ON d.id = new.dossier_id
""")


def forget_breaches(engine) -> None:
    """Back to no breach raised (untimed): the next scan or bare statement finds the same work."""
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM sla_breaches"))
        connection.execute(text("DELETE FROM integration_events"))
        connection.execute(text("DELETE FROM outbox_messages"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE sla_breaches, integration_events, outbox_messages"))


def time_bare(engine, now) -> tuple[float, int]:
    started = time.perf_counter()
    with engine.begin() as connection:
        written = connection.execute(BARE, {"now": now, "detected": now.isoformat()}).rowcount
    return time.perf_counter() - started, written


def time_scan(engine, now) -> tuple[float, int]:
    started = time.perf_counter()
    with Session(engine) as session, unit_of_work(session):
        found = len(raise_breaches(session, now=now))
    return time.perf_counter() - started, found


def main(argv: list[str] | None = None) -> dict:
    bootstrap.install_listeners()  # the Session listeners the app and the worker run with
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--breached", type=float, default=0.01, help="share of legs already past due")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds of bare, scan and rescan")
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args(argv)

    url, drop = fresh_database(args.admin_url, "bench_sla")
    try:
        engine = create_engine(url)
        metadata.create_all(engine)
        now = utcnow()
        started = time.perf_counter()
        fill(engine, args.rows, args.breached, now)
        print(f"filled {args.rows:,} open legs in {time.perf_counter() - started:.1f} s")

        with engine.connect() as connection:  # warm the legs' pages and the plans equally
            connection.execute(text("SELECT count(*) FROM shipment_legs WHERE completed_at IS NULL AND due_at < :now"),
                               {"now": now}).scalar()
        bare = scan = rescan = float("inf")
        expected = found = again = -1
        for _ in range(args.repeat):
            forget_breaches(engine)
            seconds, expected = time_bare(engine, now)
            bare = min(bare, seconds)
            forget_breaches(engine)
            seconds, found = time_scan(engine, now)
            scan = min(scan, seconds)
            seconds, again = time_scan(engine, now)
            rescan = min(rescan, seconds)
            assert found == expected, (found, expected)
            assert again == 0, again
        ratio = scan / bare
        print(f"breaches: {found:,} of {args.rows:,} open legs (best of {args.repeat})")
        print(f"bare INSERT … SELECT: {bare * 1000:9.1f} ms  (the same breach rows and events, commit)")
        print(f"breach scan (raise) : {scan * 1000:9.1f} ms  "
              f"(every clock, {found:,} breaches and events, digests, commit)")
        print(f"rescan (none new)   : {rescan * 1000:9.1f} ms")
        print(f"ratio scan / bare   : {ratio:9.2f}x (aim: within 1.5x)")
        results = {"bare": bare, "scan": scan, "rescan": rescan, "ratio": ratio, "breaches": found}
        engine.dispose()
    finally:
        drop()
    return results


if __name__ == "__main__":
    main()
