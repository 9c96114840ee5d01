"""Load through HTTP: gunicorn with 4 workers on PostgreSQL holding ~100,000 dossiers, driven by locust, beside a
bare Flask app doing the same indexed lookup under the same settings.

Prepares a fresh database (``--dossiers`` dossiers of one post office with their public lookup records, open
forward legs for the handhelds, postal staff with API tokens, citizens with their consents), writes the plan
bench/locustfile.py reads, starts gunicorn with 4 workers on the app and runs locust headless for ``--seconds``
at each of ``--users`` (the Province scenarios: lookup API and page by code, postal staff API reads, handheld
batches of 10 events, submissions through the API), then the app's lookup API alone, then the bare app
(``bare_app``, gunicorn with 4 workers too) with the bare lookup alone. Prints requests/s, p50/p95/p99 and errors
per scenario as a Markdown table, the lookup's ratio to the bare app, and submissions per hour.

locust is not a runtime dependency (requirements-dev.txt); pass its path if it lives elsewhere:

    .venv/bin/python bench/load.py [--dossiers 100000] [--legs 200] [--users 20 50] [--seconds 60] \\
        [--locust .venv/bin/locust] [--port 8765] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench import lookup as bench_lookup  # noqa: E402
from bench.support import DEFAULT_ADMIN_URL, fresh_database  # noqa: E402
from postal_gateway.accounts.models import Role  # noqa: E402
from postal_gateway.accounts.tokens import issue_token  # noqa: E402
from postal_gateway.core.db import utcnow  # noqa: E402
from postal_gateway.models import metadata  # noqa: E402

SCENARIOS = ("lookup API", "lookup page", "staff: list", "staff: dossier", "handheld batch of 10", "submission")


def code_of(n: int) -> str:
    """Dossier codes in the shape of Điều 15 (agency, day, number), all distinct."""
    return f"000.00.{20 + n // (9999 * 28):02d}.H10-{260101 + (n // 9999) % 28:06d}-{(n % 9999) + 1:04d}"


def fill(engine, dossiers: int, legs: int) -> dict:
    from tests import factories

    with Session(engine) as session:
        agency = factories.agency(session, code="000.00.20.H10")
        procedure = factories.procedure(session, agency, checklist=("Tờ khai", "Bản sao giấy phép"), level=3,
                                        fee_vnd=50_000)
        office = factories.post_office(session)
        staff = [factories.user(session, Role.postal_staff, post_office=office) for _ in range(8)]
        citizens = [factories.user(session, Role.citizen) for _ in range(50)]
        for citizen in citizens:
            factories.consent(session, citizen, staff[0], valid_until=utcnow().replace(year=2099))
        tokens = [issue_token(session, worker)[0] for worker in staff]
        session.commit()
        plan = {"staff_tokens": tokens, "citizens": [c.id for c in citizens], "procedure_code": procedure.code,
                "checklist": [item.id for item in procedure.checklist], "fee_vnd": procedure.fee_vnd,
                "office_code": office.code}
        ids = dict(agency=agency.id, procedure=procedure.id, citizen=citizens[0].id, office=office.id,
                   staff=staff[0].id)
    codes = [code_of(n) for n in range(dossiers)]
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(text("""
            INSERT INTO dossiers (code, agency_id, procedure_id, citizen_id, organisation_name, channel, level, status,
                digitally_signed, collection_place, post_office_id, pickup_address, delivery_address,
                entered_at, received_at, processing_start_at, due_at, appointment_date, fee_vnd, postage_vnd,
                form_data, missing_items, note, created_at, updated_at, version, shipment_number, submitted_at,
                accepted_at, receipt_basis, submitted_by_id)
            SELECT c, :agency, :procedure, :citizen, '', 'postal', 3, 'in_processing', false, 'post_office', :office,
                   '', '', r, r, r, r + interval '10 days', (r + interval '10 days')::date, 50000, 20000, '{}', '[]',
                   '', r, r, 1, 'LD' || lpad(n::text, 9, '0') || 'VN', r, r, 'online_valid', :staff
            FROM (SELECT c, n, :now - (n % 365) * interval '1 day' AS r
                  FROM unnest(CAST(:codes AS text[])) WITH ORDINALITY AS t(c, n)) AS base
        """), dict(ids, codes=codes, now=now))
        connection.execute(text("""
            INSERT INTO lookup_records (dossier_id, code, shipment_number, submitted_at, agency_name,
                processing_department, organisation_name, applicant_name, received_at, appointment_date, status,
                supplements, timeline, id_number_hash, last_event_id, note, updated_at)
            SELECT d.id, d.code, d.shipment_number, d.submitted_at, 'Sở Thông tin và Truyền thông tỉnh Bình Phước',
                   'Phòng Bưu chính', '', 'Nguyễn Văn ' || d.id, d.received_at, d.appointment_date, 'in_processing',
                   '[]', CAST(:timeline AS json), md5(d.code) || md5(d.code), '', '', :now
            FROM dossiers d WHERE d.code LIKE '000.00.%'
        """), dict(now=now, timeline='[{"at": "2026-01-05T01:00:00+00:00", "label": "Đã tiếp nhận", "place": ""}]'))
        # open forward legs, picked up an hour ago, for the handhelds (one per simulated device)
        connection.execute(text("""
            INSERT INTO shipment_legs (dossier_id, kind, state, post_office_id, zone, started_at, due_at, due_basis,
                                       last_event_at, created_at, updated_at)
            SELECT id, 'forward', 'picked_up', :office, '', :start, :start + interval '72 hours', 'default',
                   :start, :start, :start
            FROM dossiers WHERE code LIKE '000.00.%' ORDER BY id DESC LIMIT :legs
        """), dict(ids, legs=legs, start=now.replace(microsecond=0) - __import__("datetime").timedelta(hours=1)))
        plan["leg_codes"] = list(connection.execute(text(
            "SELECT d.code FROM shipment_legs l JOIN dossiers d ON d.id = l.dossier_id ORDER BY l.id")).scalars())
        connection.execute(text("ANALYZE"))
    plan["codes"] = codes[:: max(1, dossiers // 20_000)]
    return plan


def bare_app() -> Flask:
    """The minimal Flask app of bench/lookup.py (one indexed SELECT of the lookup record, its row as JSON), as
    gunicorn's factory."""
    return bench_lookup.bare_app(create_engine(os.environ["BENCH_DATABASE_URL"], pool_size=5))


def _serve(target: str, port: int, env: dict, log: Path) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "--workers", "4", "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", target],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/lookup?code=x", timeout=2)
            return server
        except urllib.error.HTTPError:
            return server  # answering (a 404 or 422 is an answer)
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError(f"{target} did not start; see {log}")


def _stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def _locust(locust: str, port: int, users: int, seconds: int, classes: list[str], prefix: Path, env: dict) -> dict:
    subprocess.run(
        [locust, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(users), "-r", str(users),
         "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
         "--loglevel", "WARNING", *classes],
        cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]), "p50": row["50%"], "p95": row["95%"], "p99": row["99%"],
            }
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--legs", type=int, default=200)
    parser.add_argument("--users", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--locust", default=shutil.which("locust") or str(Path(sys.executable).with_name("locust")))
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args(argv)

    url, drop = fresh_database(args.admin_url, "bench_load")
    work = Path(tempfile.mkdtemp(prefix="bench_load_"))
    results: dict = {}
    try:
        engine = create_engine(url)
        metadata.create_all(engine)
        started = time.perf_counter()
        plan = fill(engine, args.dossiers, args.legs)
        engine.dispose()
        (work / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        print(f"filled {args.dossiers:,} dossiers in {time.perf_counter() - started:.1f} s; work files in {work}")
        env = {**os.environ, "DATABASE_URL": url, "BENCH_DATABASE_URL": url, "SECRET_KEY": "bench-load",
               "INSTANCE_DIR": str(work), "CELERY_BROKER_URL": f"sqla+sqlite:///{work / 'broker.sqlite'}",
               "TRUSTED_PROXY_COUNT": "1", "LOG_LEVEL": "WARNING", "LOAD_PLAN": str(work / "plan.json"),
               "PUBLIC_BASE_URL": f"http://127.0.0.1:{args.port}"}
        for label, target, phases in (
            ("app", "postal_gateway.app:create_app()", (("app", ["Province"]), ("app lookup", ["AppLookup"]))),
            ("bare", "bench.load:bare_app()", (("bare", ["BareLookup"]),)),
        ):
            server = _serve(target, args.port, env, work / f"{label}.log")
            try:
                for phase, classes in phases:
                    for users in args.users:
                        results[(phase, users)] = _locust(args.locust, args.port, users, args.seconds, classes,
                                                          work / f"{phase.replace(' ', '_')}_{users}", env)
            finally:
                _stop(server)
        _print(results, args)
        return results
    finally:
        drop()


def _print(results: dict, args) -> None:
    print(f"\ngunicorn --workers 4, {args.dossiers:,} dossiers, locust {args.seconds} s headless; "
          "p50 / p95 / p99 in ms")
    header = "| scenario | " + " | ".join(f"{u} users: req/s, p50/p95/p99, errors" for u in args.users) + " |"
    print(header)
    print("|---|" + "---|" * len(args.users))
    for label, names in (("app", (*SCENARIOS, "Aggregated")), ("app lookup", ("lookup API alone",)),
                         ("bare", ("bare lookup",))):
        for name in names:
            cells = []
            for users in args.users:
                row = results.get((label, users), {}).get(name)
                cells.append("" if row is None else
                             f"{row['rps']:.1f}, {row['p50']}/{row['p95']}/{row['p99']}, {row['failures']}")
            print(f"| {'all of the mix' if name == 'Aggregated' else name} | " + " | ".join(cells) + " |")
    for users in args.users:
        alone = results.get(("app lookup", users), {}).get("lookup API alone")
        bare = results.get(("bare", users), {}).get("bare lookup")
        if alone and bare and bare["rps"]:
            print(f"ratio lookup API alone / bare lookup, {users} users: {alone['rps'] / bare['rps']:.2f} (aim: >= 0.7)")
        mix = results.get(("app", users), {})
        if "submission" in mix:
            print(f"{users} users: {mix['submission']['rps'] * 3600:,.0f} submissions per hour on this machine "
                  f"(with the rest of the mix running)")


if __name__ == "__main__":
    main()
