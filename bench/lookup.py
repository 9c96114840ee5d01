"""Public lookups per second through the app, against a minimal Flask view doing the same indexed SELECT.

Fills a fresh PostgreSQL database with ``--rows`` lookup records, then in the same process asks
``--requests`` random codes through (a) the real app's GET /api/v1/lookup?code=… (code parsing,
the per-client token bucket, the record, the JSON answer with its timeline) and (b) a bare Flask
app whose one view runs ``SELECT … FROM lookup_records WHERE code = :code`` and returns it as
JSON. Both use Flask's test client, so neither pays for HTTP; the ratio is the app's own cost.

    .venv/bin/python bench/lookup.py [--rows 100000] [--requests 3000] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask, jsonify, request  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.support import DEFAULT_ADMIN_URL, fresh_database  # noqa: E402
from postal_gateway.app import create_app  # noqa: E402
from postal_gateway.core.config import Settings  # noqa: E402
from postal_gateway.core.db import utcnow  # noqa: E402
from postal_gateway.lookup import ratelimit  # noqa: E402
from postal_gateway.models import metadata  # noqa: E402


def code_of(n: int) -> str:
    return f"000.00.20.H10-{260101 + (n // 9999) % 28:06d}-{(n % 9999) + 1:04d}" if n < 9999 * 28 else \
        f"000.00.{20 + n // (9999 * 28):02d}.H10-{260101 + (n // 9999) % 28:06d}-{(n % 9999) + 1:04d}"


def fill(engine, rows: int) -> list[str]:
    codes = [code_of(n) for n in range(rows)]
    timeline = ('[{"at": "2026-01-05T08:00:00+07:00", "label": "Đã tiếp nhận", "place": ""},'
                ' {"at": "2026-01-05T10:00:00+07:00", "label": "Đã chuyển đi", "place": "Bưu cục Đồng Xoài"}]')
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            text("""
                INSERT INTO lookup_records (dossier_id, code, shipment_number, submitted_at, agency_name, processing_department, organisation_name,
                    applicant_name, received_at, appointment_date, status, supplements, timeline, id_number_hash,
                    last_event_id, note, updated_at)
                SELECT n + 1, c, 'BL' || lpad(n::text, 9, '0') || 'VN', :now, 'Sở Thông tin và Truyền thông tỉnh Bình Phước', 'Phòng Bưu chính', '',
                       'Nguyễn Văn ' || n, :now, (:now + interval '10 days')::date, 'in_processing', '[]',
                       CAST(:timeline AS json), md5(c) || md5(c), '', '', :now
                FROM unnest(CAST(:codes AS text[])) WITH ORDINALITY AS t(c, n)
            """),
            {"codes": codes, "timeline": timeline, "now": now},
        )
        connection.execute(text("ANALYZE lookup_records"))
    return codes


def bare_app(engine) -> Flask:
    app = Flask("bare")

    @app.get("/lookup")
    def lookup():
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT code, agency_name, processing_department, organisation_name, applicant_name, "
                     "received_at, appointment_date, status, supplements, timeline FROM lookup_records WHERE code = :c"),
                {"c": request.args.get("code", "")},
            ).mappings().first()
        if row is None:
            return jsonify(error="not found"), 404
        body = dict(row)
        body["received_at"] = body["received_at"].isoformat()
        body["appointment_date"] = body["appointment_date"].isoformat()
        return jsonify(dossiers=[body])

    return app


def timed(client, path: str, codes: list[str]) -> float:
    started = time.perf_counter()
    for code in codes:
        response = client.get(path + code)
        assert response.status_code == 200, (response.status_code, response.data[:200])
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args(argv)

    url, drop = fresh_database(args.admin_url, "bench_lookup")
    try:
        engine = create_engine(url, pool_size=5)
        metadata.create_all(engine)
        codes = fill(engine, args.rows)
        sample = [random.choice(codes) for _ in range(args.requests)]
        app = create_app(Settings.from_environment(database_url=url, secret_key="bench", testing=False))
        # the limit is still counted on every request, but must not refuse the single benchmark client
        ratelimit.by_code = ratelimit.LookupLimit("code", "1000000000 per second")
        real, bare = app.test_client(), bare_app(engine).test_client()
        timed(real, "/api/v1/lookup?code=", sample[:200])  # warm-up
        timed(bare, "/lookup?code=", sample[:200])
        app_seconds = timed(real, "/api/v1/lookup?code=", sample)
        bare_seconds = timed(bare, "/lookup?code=", sample)
        app_rate, bare_rate = args.requests / app_seconds, args.requests / bare_seconds
        print(f"{args.rows:,} lookup records, {args.requests:,} lookups by code each side")
        print(f"through the app     : {app_rate:8.0f} lookups/s")
        print(f"minimal Flask view  : {bare_rate:8.0f} lookups/s")
        ratio = app_rate / bare_rate
        print(f"ratio app / bare    : {ratio:8.2f} (aim: at least 0.7)")
        app.extensions["engine"].dispose()
        engine.dispose()
        return {"app": app_rate, "bare": bare_rate, "ratio": ratio}
    finally:
        drop()


if __name__ == "__main__":
    main()
