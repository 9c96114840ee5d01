"""The managers' SLA page (tracking.reports.overview) over many shipment legs, against bare SQL doing the same.

Fills a fresh PostgreSQL database with ``--legs`` legs (one per dossier, forward and return, at ``--offices``
post offices, started over the last 13 weeks, one in twenty still open: on time, at risk and breached), then in the
same run times, for the operator (every leg) and for one post office:
- bare: the page's three statements written by hand (open legs counted by state with CASE, the first page of
  open legs by urgency and due time, finished legs per office and day);
- page: tracking.reports.overview as the page calls it (the built queries, the rows, the weekly fold);
and checks that both give the same counts and the same rows. Aim: the page under 300 ms at 250,000 legs.

    .venv/bin/python bench/sla_page.py [--legs 250000] [--offices 10] [--repeat 5] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.support import DEFAULT_ADMIN_URL, fresh_database  # noqa: E402
from postal_gateway import bootstrap  # noqa: E402
from postal_gateway.accounts.models import Role  # noqa: E402
from postal_gateway.core.db import utcnow  # noqa: E402
from postal_gateway.models import metadata  # noqa: E402
from tests import factories  # noqa: E402

AIM_MS = 300
SHARE = 0.75


def fill(engine, legs: int, offices: int, now) -> list[int]:
    """Dossiers with one leg each; returns the post offices' ids."""
    with Session(engine) as session:
        agency = factories.agency(session)
        procedure = factories.procedure(session, agency)
        places = [factories.post_office(session) for _ in range(offices)]
        citizen = factories.user(session, Role.citizen)
        session.commit()
        ids = dict(agency=agency.id, procedure=procedure.id, citizen=citizen.id, office0=places[0].id)
        office_ids = [place.id for place in places]
    with engine.begin() as connection:
        connection.execute(text("""
            INSERT INTO dossiers (code, agency_id, procedure_id, citizen_id, organisation_name, channel, level, status,
                digitally_signed, collection_place, post_office_id, pickup_address, delivery_address,
                entered_at, received_at, processing_start_at, due_at, appointment_date, fee_vnd, postage_vnd,
                form_data, missing_items, note, created_at, updated_at, version, shipment_number, submitted_at,
                accepted_at, receipt_basis)
            SELECT 'SLA-' || lpad(n::text, 9, '0'), :agency, :procedure, :citizen, '', 'postal', 3, 'in_processing',
                   false, 'post_office', :office0 + (n % :offices), '', '', r, r, r, r + interval '10 days',
                   (r + interval '10 days')::date, 0, 0, '{}', '[]', '', r, r, 1, 'SL' || lpad(n::text, 9, '0') || 'VN',
                   r, r, 'online_valid'
            FROM (SELECT n, :now - (n % 91) * interval '1 day' - (n % 23) * interval '1 hour' AS r
                  FROM generate_series(0, :legs - 1) AS n) AS base
        """), dict(ids, legs=legs, offices=offices, now=now))
        # one in twenty open (about the share of 1-5 day legs among 12 weeks' legs), the rest finished;
        # allowed 24-120 h; finished before or after the due time
        connection.execute(text("""
            INSERT INTO shipment_legs (dossier_id, kind, state, post_office_id, zone, started_at, due_at, due_basis,
                                       commitment_due_at, completed_at, last_event_at, created_at, updated_at)
            SELECT id, kind, CASE WHEN open THEN 'in_transit' WHEN kind = 'forward' THEN 'handed_to_agency'
                                  ELSE 'delivered' END,
                   post_office_id, '', started, started + allowed, 'default',
                   CASE WHEN kind = 'return_' THEN started + interval '24 hours' END,
                   CASE WHEN NOT open
                        THEN LEAST(started + allowed * ((id % 13) / 10.0), :now - interval '1 minute') END,
                   started, started, started
            FROM (SELECT id, post_office_id, CASE WHEN id % 5 < 2 THEN 'return_' ELSE 'forward' END AS kind,
                         id % 20 = 0 AS open, ((id % 5) + 1) * interval '24 hours' AS allowed,
                         -- open legs started in the last 5 days: on time, at risk and breached
                         CASE WHEN id % 20 = 0 THEN :now - (id % 120) * interval '1 hour'
                              ELSE received_at END AS started
                  FROM dossiers WHERE code LIKE 'SLA-%') AS d
        """), dict(now=now))
        connection.execute(text("ANALYZE"))
    return office_ids


def bare(connection, *, now, office_id, page_rows):
    """The page's three statements by hand."""
    scope = "AND l.post_office_id = :office" if office_id is not None else ""
    rank = """
        LEAST(
          CASE WHEN l.due_at IS NULL THEN 3 WHEN :now > l.due_at THEN 0
               WHEN l.due_at <= l.started_at OR :now - l.started_at >= (l.due_at - l.started_at) * :share THEN 1
               ELSE 2 END,
          CASE WHEN l.commitment_due_at IS NULL THEN 3 WHEN :now > l.commitment_due_at THEN 0
               WHEN l.commitment_due_at <= l.started_at
                    OR :now - l.started_at >= (l.commitment_due_at - l.started_at) * :share THEN 1
               ELSE 2 END)"""
    where = f"l.started_at IS NOT NULL AND (l.completed_at IS NULL OR l.completed_at >= :since) {scope}"
    args = dict(now=now, share=SHARE, since=now - __import__("datetime").timedelta(weeks=12), office=office_id,
                page_rows=page_rows)
    counts = dict(connection.execute(text(f"""
        SELECT {rank} AS bucket, count(*)
        FROM shipment_legs l WHERE {where} AND l.completed_at IS NULL GROUP BY bucket"""), args).all())
    rows = connection.execute(text(f"""
        SELECT COALESCE(d.code, d.shipment_number), p.code, l.kind, l.state, l.started_at, l.due_at,
               l.completed_at, l.due_basis, l.commitment_due_at
        FROM shipment_legs l JOIN dossiers d ON d.id = l.dossier_id LEFT JOIN post_offices p ON p.id = l.post_office_id
        WHERE {where} AND l.completed_at IS NULL
        ORDER BY {rank}, LEAST(l.due_at, l.commitment_due_at), l.id LIMIT :page_rows"""), args).all()
    weeks = connection.execute(text(f"""
        SELECT p.code, (l.completed_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day, count(*),
               sum(CASE WHEN l.due_at IS NOT NULL AND l.completed_at <= l.due_at THEN 1 ELSE 0 END)
        FROM shipment_legs l LEFT JOIN post_offices p ON p.id = l.post_office_id
        WHERE {where} AND l.completed_at IS NOT NULL GROUP BY p.code, day"""), args).all()
    return counts, rows, weeks


def _best(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> dict:
    bootstrap.install_listeners()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", type=int, default=250_000)
    parser.add_argument("--offices", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args(argv)

    from tracking import reports

    url, drop = fresh_database(args.admin_url, "bench_sla_page")
    results = {}
    try:
        engine = create_engine(url)
        metadata.create_all(engine)
        now = utcnow()
        started = time.perf_counter()
        office_ids = fill(engine, args.legs, args.offices, now)
        print(f"filled {args.legs:,} legs at {args.offices} post offices in {time.perf_counter() - started:.1f} s")
        with engine.connect() as connection:  # the office with the most open legs
            busiest = connection.scalar(text("SELECT post_office_id FROM shipment_legs WHERE completed_at IS NULL "
                                             "GROUP BY post_office_id ORDER BY count(*) DESC LIMIT 1"))
        for label, office_id in (("operator", None), ("one post office", busiest or office_ids[0])):
            with Session(engine) as session, engine.connect() as connection:
                def page():
                    return reports.overview(session, now=now, at_risk_share=SHARE, post_office_id=office_id)

                def by_hand():
                    return bare(connection, now=now, office_id=office_id, page_rows=reports.PAGE_ROWS)

                shown, (counts, rows, days) = page(), by_hand()  # warm-up, and the same answer
                assert shown.counts["breached"] == counts.get(0, 0) and shown.counts["at_risk"] == counts.get(1, 0)
                assert shown.counts["on_time"] == counts.get(2, 0)
                assert shown.counts["done"] == sum(row[2] for row in days)
                assert [row.code for row in shown.rows] == [row[0] for row in rows]
                bare_s, page_s = _best(by_hand, args.repeat), _best(page, args.repeat)
            legs_seen = sum(shown.counts.values())
            print(f"{label}: {legs_seen:,} legs in view, {shown.total:,} open over {shown.pages} pages; "
                  f"counts {shown.counts}")
            print(f"  bare SQL (3 statements): {bare_s * 1000:8.1f} ms")
            print(f"  SLA page (overview)    : {page_s * 1000:8.1f} ms   aim < {AIM_MS} ms: "
                  f"{'met' if page_s * 1000 < AIM_MS else 'NOT met'}")
            print(f"ratio page / bare ({label}): {page_s / bare_s:8.2f}x "
                  f"(aim: the page under {AIM_MS} ms at 250,000 legs)")
            results[label] = {"bare": bare_s, "page": page_s, "ratio": page_s / bare_s, "counts": shown.counts}
        engine.dispose()
        return results
    finally:
        drop()


if __name__ == "__main__":
    main()
