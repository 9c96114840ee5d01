"""Reconciliation of one agency's day with ``--rows`` gateway rows, against a bare SQL full outer join.

Fills a fresh PostgreSQL database with ``--rows`` paid dossiers and writes VNPay's daily file for them
with a mix of every category (matched, missing at the gateway, missing here, amount mismatch,
duplicate, refunded, late); then, each phase in its own child process (peak memory = its own high-water mark):
- copy: a bare COPY of the same file (raw blocks, FORMAT csv) into a plain table of its eight text columns, commit;
- load: payments.reconciliation.import_gateway_file: the file checked and streamed into the gateway table
  with one COPY (plus the import record, refunds the file completes), commit;
- reconcile: payments.reconciliation.reconcile (categories, exception lines, totals), commit;
- bare: SELECT count(*) of the FULL OUTER JOIN of the same day's payments and gateway rows on txn_ref.
The bare phases run twice (best kept). Prints the times, peak memory and the ratios load / copy and
reconcile / bare with their aims.

    .venv/bin/python bench/reconcile.py [--rows 1000000] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.support import DEFAULT_ADMIN_URL, fresh_database, peak_memory_mb  # noqa: E402
from postal_gateway import bootstrap  # noqa: E402
from postal_gateway.accounts.models import Role  # noqa: E402
from postal_gateway.core.unit_of_work import unit_of_work  # noqa: E402
from postal_gateway.models import metadata  # noqa: E402
from tests import factories  # noqa: E402

DAY = date(2026, 3, 3)
NOON = datetime(2026, 3, 3, 5, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 3, 4, 2, 0, tzinfo=timezone.utc)
AGENCY = "000.00.20.H10"
TMN = "BPDEMO01"
#: row n's fate by n % 100
MISSING_AT_GATEWAY, MISSING_HERE, MISMATCH, DUPLICATE, LATE, REFUNDED = 1, 2, 3, 4, 5, 6



def fill(url: str, rows: int) -> int:
    engine = create_engine(url)
    metadata.create_all(engine)
    with Session(engine) as session:
        agency = factories.agency(session, code=AGENCY)
        procedure = factories.procedure(session, agency)
        office = factories.post_office(session)
        citizen = factories.user(session, Role.citizen)
        session.commit()
        ids = dict(agency=agency.id, procedure=procedure.id, citizen=citizen.id, office=office.id)
    with engine.begin() as connection:
        connection.execute(text("""
            INSERT INTO dossiers (code, agency_id, procedure_id, citizen_id, organisation_name, channel, level, status,
                digitally_signed, collection_place, post_office_id, pickup_address, delivery_address,
                entered_at, received_at, processing_start_at, due_at, appointment_date, fee_vnd, postage_vnd,
                form_data, missing_items, note, created_at, updated_at, version,
                shipment_number, submitted_at, accepted_at, receipt_basis)
            SELECT :agency_code || '-260303-' || lpad(n::text, 7, '0'), :agency, :procedure, :citizen, '', 'postal', 4,
                   'received', false, 'post_office', :office, '', '', :noon, :noon, :noon, :noon + interval '7 days',
                   DATE '2026-03-10', 50000, 30000, '{}', '[]', '', :noon, :noon, 1,
                   'BR' || lpad(n::text, 9, '0') || 'VN', :noon, :noon, 'online_valid'
            FROM generate_series(0, :rows - 1) AS n
        """), dict(ids, rows=rows, noon=NOON, agency_code=AGENCY))
        connection.execute(text("""
            INSERT INTO payments (txn_ref, dossier_id, agency_id, attempt, fee_vnd, postage_vnd, amount_vnd, status,
                created_at, expires_at, ip_address, settled_at, settled_via, pay_date, response_code,
                transaction_status, transaction_no, bank_code, refunded_vnd)
            SELECT d.code || '.1', d.id, d.agency_id, 1, 50000, 30000, 80000,
                   CASE WHEN n % 100 = :missing_here THEN 'pending'
                        WHEN n % 100 = :refunded THEN 'partially_refunded' ELSE 'paid' END,
                   :noon + (n % 36000) * interval '1 second' - interval '3 minutes',
                   :noon + (n % 36000) * interval '1 second' + interval '12 minutes', '203.0.113.9',
                   CASE WHEN n % 100 = :missing_here THEN NULL
                        WHEN n % 100 = :late THEN :noon + interval '1 day' ELSE :noon END,
                   'ipn', CASE WHEN n % 100 = :missing_here THEN NULL ELSE :noon + (n % 36000) * interval '1 second' END,
                   '00', '00', (14000000 + n)::text, 'NCB', CASE WHEN n % 100 = :refunded THEN 20000 ELSE 0 END
            FROM (SELECT id, code, agency_id, id - 1 AS n FROM dossiers) d
        """), dict(noon=NOON, missing_here=MISSING_HERE, refunded=REFUNDED, late=LATE))
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return ids["agency"]


def write_file(path: Path, rows: int) -> int:
    """VNPay's daily file: one row per payment with the category mix (and refund rows)."""
    from payments.vnpay import format_vnpay_datetime

    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("TmnCode,TxnRef,TransactionNo,TransactionType,TransactionStatus,Amount,PayDate,BankCode\n")
        for n in range(rows):
            fate = n % 100
            if fate == MISSING_AT_GATEWAY:
                continue
            ref = f"{AGENCY}-260303-{n:07d}.1"
            paid = format_vnpay_datetime(NOON + timedelta(seconds=n % 36000))
            amount = 75000 if fate == MISMATCH else 80000
            handle.write(f"{TMN},{ref},{14000000 + n},01,00,{amount},{paid},NCB\n")
            written += 1
            if fate == DUPLICATE:
                handle.write(f"{TMN},{ref},{24000000 + n},01,00,{amount},{paid},NCB\n")
                written += 1
            if fate == REFUNDED:
                handle.write(f"{TMN},{ref},{34000000 + n},03,00,20000,{paid},NCB\n")
                written += 1
    return written


def _phase(name: str, url: str, agency_id: int, csv_path: str, queue) -> None:
    from payments import reconciliation

    engine = create_engine(url)
    started = time.perf_counter()
    with Session(engine) as session:
        if name == "copy":
            session.execute(text("DROP TABLE IF EXISTS bare_gateway_file"))
            session.execute(text("CREATE TABLE bare_gateway_file (tmn_code text, txn_ref text, transaction_no text,"
                                 " transaction_type text, transaction_status text, amount text, pay_date text,"
                                 " bank_code text)"))
            session.commit()
            started = time.perf_counter()
            with unit_of_work(session), open(csv_path, "rb") as handle:
                driver = session.connection().connection.driver_connection
                with driver.cursor() as cursor, cursor.copy(
                        "COPY bare_gateway_file FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                    while block := handle.read(1 << 20):
                        copy.write(block)
            copied = session.execute(text("SELECT count(*) FROM bare_gateway_file")).scalar()
            detail = f"{copied} rows copied"
            elapsed = time.perf_counter() - started  # the count above is not part of the copy
        elif name == "load":
            with unit_of_work(session), open(csv_path, encoding="utf-8", newline="") as handle:
                result = reconciliation.import_gateway_file(session, handle, agency_id=agency_id, day=DAY, tmn_code=TMN, now=NOW)
            detail = f"{result.record.row_count} rows loaded, {result.record.error_count} refused"
            with unit_of_work(session):
                session.execute(text("ANALYZE payment_gateway_transactions"))
        elif name == "reconcile":
            with unit_of_work(session):
                record = reconciliation.reconcile(session, agency_id=agency_id, day=DAY, user=None, now=NOW)
            detail = ", ".join(f"{c} {t['count']}" for c, t in record.totals.items() if t["count"])
        else:
            # the same session settings the reconciliation uses, so the comparison is like for like
            session.execute(text("SET LOCAL work_mem = '64MB'"))
            session.execute(text("SET LOCAL jit = off"))
            start, end = reconciliation.day_bounds(DAY)
            count = session.execute(text("""
                SELECT count(*) FROM (
                    SELECT txn_ref, amount_vnd FROM payments
                    WHERE agency_id = :agency AND status IN ('paid', 'partially_refunded', 'refunded')
                      AND pay_date >= :start AND pay_date < :end) o
                FULL OUTER JOIN (
                    SELECT txn_ref, amount_vnd FROM payment_gateway_transactions
                    WHERE business_day = :day AND agency_code = :code AND transaction_type = '01'
                      AND transaction_status = '00') g
                ON g.txn_ref = o.txn_ref
            """), dict(agency=agency_id, start=start, end=end, day=DAY, code=AGENCY)).scalar()
            detail = f"{count} joined rows"
    if name != "copy":
        elapsed = time.perf_counter() - started
    engine.dispose()
    queue.put((name, elapsed, peak_memory_mb(), detail))


def run_phase(name: str, url: str, agency_id: int, csv_path: str):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_phase, args=(name, url, agency_id, csv_path, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def main(argv: list[str] | None = None) -> dict:
    bootstrap.install_listeners()  # the Session listeners the app and the worker run with
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args(argv)
    url, drop = fresh_database(args.admin_url, "bench_reconcile")
    results = {}
    try:
        started = time.perf_counter()
        agency_id = fill(url, args.rows)
        with tempfile.TemporaryDirectory() as folder:
            csv_path = Path(folder) / "vnpay.csv"
            lines = write_file(csv_path, args.rows)
            print(f"filled {args.rows} payments and a {lines}-row gateway file in {time.perf_counter() - started:.1f} s")
            for name in ("copy", "load", "copy", "bare", "reconcile", "bare"):
                phase, elapsed, peak_mb, detail = run_phase(name, url, agency_id, str(csv_path))
                results[phase] = (min(elapsed, results[phase][0]) if phase in results else elapsed,
                                  max(peak_mb, results[phase][1]) if phase in results else peak_mb)
                print(f"{phase:10s} {elapsed:8.2f} s  peak {peak_mb:7.1f} MB  ({detail})")
        load_ratio = results["load"][0] / results["copy"][0]
        ratio = results["reconcile"][0] / results["bare"][0]
        print(f"ratio load / bare COPY of the file: {load_ratio:.2f}x (aim: within 2x, under 300 MB)")
        print(f"ratio reconcile / bare full outer join: {ratio:.2f}x (aim: within 2x, under 300 MB)")
        results["ratio"], results["load_ratio"] = ratio, load_ratio
    finally:
        drop()
    return results


if __name__ == "__main__":
    main()
