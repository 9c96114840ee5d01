"""Dossier submissions per second through the intake service, against bare SQL inserts of the same rows.

Both run in the same process, on the same fresh PostgreSQL database, one transaction per dossier,
so the ratio is meaningful on a noisy machine. The service does everything a real submission does:
consent check, checklist and scan validation by content (two scans each), receipt time and due time
from the working calendar, the gap-free dossier code, amounts, history, audit entry and the citizen's
message. The bare side inserts the same rows with precomputed values.

    .venv/bin/python bench/intake.py [--dossiers 300] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import io
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.support import DEFAULT_ADMIN_URL, fresh_database  # noqa: E402
from postal_gateway import bootstrap  # noqa: E402
from postal_gateway.accounts.models import Role, User  # noqa: E402
from postal_gateway.consents.audit import install_append_only_trigger  # noqa: E402
from postal_gateway.core.db import utcnow  # noqa: E402
from postal_gateway.core.unit_of_work import unit_of_work  # noqa: E402
from postal_gateway.dossiers.models import CollectionMethod, CollectionPlace  # noqa: E402
from postal_gateway.dossiers.services import CollectedPayment, PostalSubmission, submit  # noqa: E402
from postal_gateway.models import metadata  # noqa: E402
from tests import factories  # noqa: E402


def tiny_png(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (seed % 256, 80, 120)).save(buffer, format="PNG")
    return buffer.getvalue()



def setup(engine):
    with Session(engine) as session, unit_of_work(session):
        agency = factories.agency(session, code="000.00.20.H10")
        procedure = factories.procedure(session, agency, fee_vnd=50_000, level=4)
        staff = factories.user(session, Role.postal_staff)
        citizen = factories.user(session, Role.citizen)
        factories.consent(session, citizen, staff, valid_until=utcnow() + timedelta(days=300))
        session.flush()
        return staff.id, citizen.id, procedure.code, [item.id for item in procedure.checklist]


def run_service(
    engine, count: int, staff_id: int, citizen_id: int, procedure_code: str, items: list[int], label: str = "timed"
) -> float:
    scans = [(item, f"scan-{item}.png", tiny_png(item)) for item in items]
    started = time.perf_counter()
    for number in range(count):
        with Session(engine, expire_on_commit=False) as session, unit_of_work(session):
            staff, citizen = session.get(User, staff_id), session.get(User, citizen_id)
            submit(
                session,
                PostalSubmission(
                    staff=staff,
                    citizen=citizen,
                    procedure_code=procedure_code,
                    checklist_ticked=items,
                    scans=scans,
                    collection_place=CollectionPlace.post_office,
                    pickup_address="",
                    delivery_address="",
                    fee_collected=CollectedPayment(50_000, CollectionMethod.cash),
                    postage_vnd=25_000,
                    postage_collected=CollectedPayment(25_000, CollectionMethod.cash),
                    submission_key=f"bench-{label}-{number}",
                    max_scan_bytes=10 * 1024 * 1024,
                    public_base_url="http://127.0.0.1:8000",
                ),
            )
    return time.perf_counter() - started


BARE_STATEMENTS = {
    "counter": text(
        "INSERT INTO dossier_code_counters (agency_id, day, last_sequence) VALUES (:agency, :day, 1) "
        "ON CONFLICT (agency_id, day) DO UPDATE SET last_sequence = dossier_code_counters.last_sequence + 1 "
        "RETURNING last_sequence"
    ),
    "dossier": text(
        "INSERT INTO dossiers (code, agency_id, procedure_id, citizen_id, organisation_name, channel, level, status,"
        " digitally_signed, collection_place, post_office_id, pickup_address, delivery_address, submitted_by_id,"
        " consent_id, submission_key, submission_fingerprint, shipment_number, submitted_at, accepted_at, receipt_basis,"
        " entered_at, received_at, processing_start_at, due_at,"
        " appointment_date, fee_vnd, postage_vnd, form_data, missing_items, note, created_at, updated_at, version)"
        " VALUES (:code, :agency, :procedure, :citizen, '', 'postal', 4, 'received', false, 'post_office', :office,"
        " '', '', :staff, :consent, :key, :print, 'BI' || substr(md5(:key), 1, 9) || 'VN', :now, :now,"
        " 'online_valid', :now, :now, :now, :now, :day, 50000, 25000, '{}', '[]', '', :now,"
        " :now, 1) RETURNING id"
    ),
    "document": text(
        "INSERT INTO dossier_documents (dossier_id, checklist_item_id, title, filename, content_type, size_bytes,"
        " sha256, content, uploaded_at) VALUES (:dossier, :item, 'scan', 'scan.png', 'image/png', :size, :sha,"
        " :content, :now)"
    ),
    "collected": text(
        "INSERT INTO collected_amounts (dossier_id, kind, method, amount_vnd, collected_by_id, collected_at)"
        " VALUES (:dossier, :kind, 'cash', :amount, :staff, :now)"
    ),
    "history": text(
        "INSERT INTO dossier_status_changes (dossier_id, from_status, to_status, at, actor_id, on_behalf_of_id, reason)"
        " VALUES (:dossier, NULL, 'received', :now, :staff, :citizen, '')"
    ),
    "audit": text(
        "INSERT INTO audit_entries (at, actor_id, on_behalf_of_id, consent_id, action, subject_type, subject_id, details)"
        " VALUES (:now, :staff, :citizen, :consent, 'dossier.submitted', 'dossier', :dossier, '{}')"
    ),
    "message": text(
        "INSERT INTO outbox_messages (channel, recipient, recipient_user_id, template, subject, body, status,"
        " attempts, last_error, created_at) VALUES ('sms', '+84912345678', :citizen, 'dossier_received', '', 'x',"
        " 'sent', 1, '', :now)"
    ),
}


def run_bare(engine, count: int, staff_id: int, citizen_id: int, items: list[int]) -> float:
    with engine.connect() as connection:
        ids = connection.execute(
            text("SELECT u.post_office_id, c.id FROM users u, consents c WHERE u.id = :s AND c.citizen_id = :c"),
            {"s": staff_id, "c": citizen_id},
        ).one()
        agency_id, procedure_id = connection.execute(text("SELECT agency_id, id FROM procedures LIMIT 1")).one()
    office_id, consent_id = ids
    content = tiny_png(1)
    started = time.perf_counter()
    for number in range(count):
        now = utcnow()
        with engine.begin() as connection:
            day = now.date()
            sequence = connection.execute(BARE_STATEMENTS["counter"], {"agency": agency_id, "day": day}).scalar_one()
            values = {
                "code": f"000.00.20.H10-{day:%y%m%d}-{sequence:04d}-bare",
                "agency": agency_id, "procedure": procedure_id, "citizen": citizen_id, "office": office_id,
                "staff": staff_id, "consent": consent_id, "key": f"bench-bare-{number}", "print": "0" * 64,
                "now": now, "day": day,
            }
            dossier_id = connection.execute(BARE_STATEMENTS["dossier"], values).scalar_one()
            for item in items:
                connection.execute(
                    BARE_STATEMENTS["document"],
                    {"dossier": dossier_id, "item": item, "size": len(content), "sha": "0" * 64, "content": content, "now": now},
                )
            for kind, amount in (("fee", 50_000), ("postage", 25_000)):
                connection.execute(
                    BARE_STATEMENTS["collected"],
                    {"dossier": dossier_id, "kind": kind, "amount": amount, "staff": staff_id, "now": now},
                )
            connection.execute(BARE_STATEMENTS["history"], {"dossier": dossier_id, "now": now, "staff": staff_id, "citizen": citizen_id})
            connection.execute(
                BARE_STATEMENTS["audit"],
                {"dossier": dossier_id, "now": now, "staff": staff_id, "citizen": citizen_id, "consent": consent_id},
            )
            connection.execute(BARE_STATEMENTS["message"], {"citizen": citizen_id, "now": now})
    return time.perf_counter() - started


def main() -> None:
    bootstrap.install_listeners()  # the Session listeners the app and the worker run with
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=300)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args()

    url, drop = fresh_database(args.admin_url, "bench_intake")
    engine = create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            install_append_only_trigger(connection)
        staff_id, citizen_id, procedure_code, items = setup(engine)
        # Warm both paths (imports, connection pool, prepared plans) before timing.
        run_service(engine, 5, staff_id, citizen_id, procedure_code, items, label="warm-up")
        service_seconds = run_service(engine, args.dossiers, staff_id, citizen_id, procedure_code, items)
        bare_seconds = run_bare(engine, args.dossiers, staff_id, citizen_id, items)
    finally:
        engine.dispose()
        drop()
    service_rate = args.dossiers / service_seconds
    bare_rate = args.dossiers / bare_seconds
    print(f"dossiers:             {args.dossiers}")
    print(f"through the service:  {service_rate:8.1f} submissions/s")
    print(f"bare SQL inserts:     {bare_rate:8.1f} submissions/s")
    print(f"ratio (bare/service): {bare_rate / service_rate:8.2f}x")


if __name__ == "__main__":
    main()
