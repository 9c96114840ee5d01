"""Dossier submissions per second through the intake service, against bare SQL inserts of the same rows.

Both run in the same process, on the same fresh PostgreSQL database, one transaction per dossier,
so the ratio is meaningful on a noisy machine. The service does everything a real submission does:
the idempotency key, consent check, checklist and scan validation by content (``--scans`` each),
the shipment number, amounts into the worker's cash shift, the contract version and zones, history
and its integration event, the lookup record, the forward leg with its first event and clock, the
audit entry and the citizen's message. The bare side writes the same rows with one plain INSERT each
(precomputed values). Prints the SQL statements of one submission and the ratio with its aim.
The message's dispatch after commit goes to an in-process broker (CELERY_BROKER_URL, default memory://).

    .venv/bin/python bench/intake.py [--dossiers 300] [--scans 2] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The citizen's message is handed to the worker after commit; an in-process broker stands for RabbitMQ
# here (no queue left behind on a shared broker). Without it the dispatch would go through `make run`'s
# SQLite broker file, a development stand-in that costs 30 ms a message.
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

from PIL import Image  # noqa: E402
from sqlalchemy import (  # noqa: E402
    create_engine,
    event,
    select,  # noqa: E402
    text,
)
from sqlalchemy.orm import Session, joinedload  # noqa: E402

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



#: statements of one submission without scans (issue 16)
STATEMENT_AIM = 15


def setup(engine, scans: int = 2):
    """An agency, a procedure with ``scans`` optional checklist items, a postal worker, a citizen and the consent."""
    with Session(engine) as session, unit_of_work(session):
        agency = factories.agency(session, code="000.00.20.H10", province_code="70", district_code="689")
        names = ("Đơn đề nghị", "Bản sao giấy phép", "Ảnh chân dung", "Tờ khai")[:scans]
        procedure = factories.procedure(session, agency, fee_vnd=50_000, level=4, checklist=names)
        factories.contract(session, agency)  # the contract in force: its zones and full-trip times
        staff = factories.user(session, Role.postal_staff)
        staff.post_office.province_code, staff.post_office.district_code = "70", "690"
        citizen = factories.user(session, Role.citizen)
        factories.consent(session, citizen, staff, valid_until=utcnow() + timedelta(days=300))
        session.flush()
        return staff.id, citizen.id, procedure.code, [item.id for item in procedure.checklist]


def run_service(
    engine, count: int, staff_id: int, citizen_id: int, procedure_code: str, items: list[int], label: str = "timed",
    scans: int = 2,
) -> float:
    files = [(item, f"scan-{item}.png", tiny_png(item)) for item in items] if scans else []
    started = time.perf_counter()
    for number in range(count):
        with Session(engine, expire_on_commit=False) as session, unit_of_work(session):
            # the two accounts (and the worker's post office) in one query, as a request has them at hand
            users = {user.id: user for user in session.scalars(
                select(User).where(User.id.in_((staff_id, citizen_id))).options(joinedload(User.post_office)))}
            staff, citizen = users[staff_id], users[citizen_id]
            submit(
                session,
                PostalSubmission(
                    staff=staff,
                    citizen=citizen,
                    procedure_code=procedure_code,
                    checklist_ticked=items if scans else [],
                    scans=files,
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
        "INSERT INTO shipment_number_counters (prefix, last_serial) VALUES ('BB', 1) "
        "ON CONFLICT (prefix) DO UPDATE SET last_serial = shipment_number_counters.last_serial + 1 "
        "RETURNING last_serial"
    ),
    "dossier": text(
        "INSERT INTO dossiers (shipment_number, agency_id, procedure_id, citizen_id, organisation_name, channel, level,"
        " status, digitally_signed, collection_place, post_office_id, pickup_address, delivery_address,"
        " submitted_by_id, consent_id, submission_key, submission_fingerprint, entered_at, submitted_at, fee_vnd,"
        " postage_vnd, form_data, missing_items, note, created_at, updated_at, version)"
        " VALUES (:shipment, :agency, :procedure, :citizen, '', 'postal', 4, 'submitted', false, 'post_office',"
        " :office, '', '', :staff, :consent, :key, :print, :now, :now, 50000, 25000, '{}', '[]', :note, :now, :now, 1)"
        " RETURNING id"
    ),
    "document": text(
        "INSERT INTO dossier_documents (dossier_id, checklist_item_id, title, filename, content_type, size_bytes,"
        " sha256, content, uploaded_at) VALUES (:dossier, :item, 'scan', 'scan.png', 'image/png', :size, :sha,"
        " :content, :now)"
    ),
    "collected": text(
        "INSERT INTO collected_amounts (dossier_id, kind, method, amount_vnd, collected_by_id, collected_at, shift_id)"
        " VALUES (:dossier, :kind, 'cash', :amount, :staff, :now, :shift)"
    ),
    "history": text(
        "INSERT INTO dossier_status_changes (dossier_id, from_status, to_status, at, actor_id, on_behalf_of_id, reason,"
        " action, details) VALUES (:dossier, NULL, 'submitted', :now, :staff, :citizen, '', 'submit', '{}')"
    ),
    "event": text(
        "INSERT INTO integration_events (event_id, event_type, version, aggregate_type, aggregate_id, payload,"
        " occurred_at, publish_attempts) VALUES (gen_random_uuid()::text, :type, 1, 'dossier', :shipment,"
        " CAST(:payload AS json), :now, 0)"
    ),
    "lookup": text(
        "INSERT INTO lookup_records (dossier_id, shipment_number, submitted_at, agency_name, processing_department,"
        " organisation_name, applicant_name, status, supplements, timeline, id_number_hash, last_event_id, note,"
        " updated_at) VALUES (:dossier, :shipment, :now, 'Sở Thông tin và Truyền thông', '', '', 'Nguyễn Văn Thử',"
        " 'submitted', '[]', CAST(:timeline AS json), :hash, '', '', :now)"
    ),
    "contract": text(
        "INSERT INTO dossier_contracts (dossier_id, version_id, forward_zone, return_zone, attached_at)"
        " VALUES (:dossier, :version, 'same_province', 'same_province', :now)"
    ),
    "leg": text(
        "INSERT INTO shipment_legs (dossier_id, kind, state, post_office_id, zone, started_at, due_at, due_basis,"
        " last_event_at, created_at, updated_at) VALUES (:dossier, 'forward', 'at_post_office', :office, '', :now,"
        " :now + interval '3 days', 'default', :now, :now, :now) RETURNING id"
    ),
    "shipment_event": text(
        "INSERT INTO shipment_events (event_id, leg_id, dossier_id, event_type, occurred_at, recorded_at, received_at,"
        " actor_id, post_office_code, note, details, outcome, rejection_reason, fingerprint)"
        " VALUES (:event_id, :leg, :dossier, 'accepted_at_office', :now, :now, :now, :staff, '830001',"
        " '', '{}', 'accepted', '', :hash)"
    ),
    "audit": text(
        "INSERT INTO audit_entries (at, actor_id, on_behalf_of_id, consent_id, action, subject_type, subject_id,"
        " details)"
        " VALUES (:now, :staff, :citizen, :consent, 'dossier.submitted', 'dossier', :dossier, CAST(:details AS json))"
    ),
    "message": text(
        "INSERT INTO outbox_messages (channel, recipient, recipient_user_id, template, subject, body, status,"
        " attempts, last_error, created_at, gateway_reference) VALUES ('sms', '+84912345678', :citizen,"
        " 'dossier_submitted', '', :body, 'queued', 0, '', :now, '')"
    ),
}


def run_bare(engine, count: int, staff_id: int, citizen_id: int, items: list[int], *, scans: bool = True,
             label: str = "timed") -> float:
    """The rows one submission writes (dossier, documents, amounts, history, its event, the lookup record,
    the contract version and zones, the forward leg with its first event and that event's integration event,
    audit entry, the citizen's message), each with one plain INSERT of precomputed values, one transaction
    per dossier."""
    with engine.connect() as connection:
        office_id, consent_id, shift_id = connection.execute(
            text("SELECT u.post_office_id, c.id, s.id FROM users u, consents c, cash_shifts s"
                 " WHERE u.id = :s AND c.citizen_id = :c AND s.worker_id = :s LIMIT 1"),
            {"s": staff_id, "c": citizen_id},
        ).one()
        agency_id, procedure_id = connection.execute(text("SELECT agency_id, id FROM procedures LIMIT 1")).one()
        version_id = connection.execute(text("SELECT id FROM contract_versions LIMIT 1")).scalar_one()
    content = tiny_png(1)
    body = "Hồ sơ (Thủ tục thử) đã được bưu chính nộp trực tuyến. Tra cứu: http://127.0.0.1:8000/lookup?code="
    started = time.perf_counter()
    for number in range(count):
        now = utcnow()
        with engine.begin() as connection:
            serial = connection.execute(BARE_STATEMENTS["counter"]).scalar_one()
            shipment = f"BB{serial:08d}0VN"
            values = {
                "shipment": shipment, "agency": agency_id, "procedure": procedure_id, "citizen": citizen_id,
                "office": office_id, "staff": staff_id, "consent": consent_id, "key": f"bench-bare-{label}-{number}",
                "print": "0" * 64, "now": now, "hash": hashlib.sha256(shipment.encode()).hexdigest(),
                "event_id": f"intake:{shipment}", "note": "Bản gốc gửi kèm qua bưu chính, ghi mã hồ sơ",
            }
            dossier_id = connection.execute(BARE_STATEMENTS["dossier"], values).scalar_one()
            row = {"dossier": dossier_id, **values}
            if scans:
                connection.execute(
                    BARE_STATEMENTS["document"],
                    [{"dossier": dossier_id, "item": item, "size": len(content), "sha": "0" * 64, "content": content,
                      "now": now} for item in items],
                )
            connection.execute(
                BARE_STATEMENTS["collected"],
                [{"dossier": dossier_id, "kind": kind, "amount": amount, "staff": staff_id, "now": now,
                  "shift": shift_id} for kind, amount in (("fee", 50_000), ("postage", 25_000))],
            )
            connection.execute(BARE_STATEMENTS["history"], row)
            payload = json.dumps({"shipment_number": shipment, "procedure_code": "1.000001", "at": now.isoformat()})
            connection.execute(BARE_STATEMENTS["event"], {**row, "type": "dossier.submitted", "payload": payload})
            timeline = json.dumps([{"at": now.isoformat(), "label": "Đã gửi", "place": "Bưu cục"}])
            connection.execute(BARE_STATEMENTS["lookup"], {**row, "timeline": timeline})
            connection.execute(BARE_STATEMENTS["contract"], {**row, "version": version_id})
            leg_id = connection.execute(BARE_STATEMENTS["leg"], row).scalar_one()
            connection.execute(BARE_STATEMENTS["shipment_event"], {**row, "leg": leg_id})
            payload = json.dumps({"dossier_code": shipment, "event_type": "accepted_at_office", "leg": "forward",
                                  "state": "at_post_office", "occurred_at": now.isoformat()})
            connection.execute(BARE_STATEMENTS["event"], {**row, "type": "shipment.event_recorded", "payload": payload})
            connection.execute(
                BARE_STATEMENTS["audit"],
                {**row, "details": json.dumps({"shipment_number": shipment, "procedure": "1.000001",
                                               "channel": "postal"})},
            )
            connection.execute(BARE_STATEMENTS["message"], {**row, "body": body + shipment})
    return time.perf_counter() - started


def count_statements(engine, staff_id: int, citizen_id: int, procedure_code: str, items: list[int],
                     scans: int) -> int:
    """SQL statements one submission sends (BEGIN and COMMIT aside), counted by an engine event listener."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        run_service(engine, 1, staff_id, citizen_id, procedure_code, items, label="counted", scans=scans)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def main(argv: list[str] | None = None) -> dict:
    bootstrap.install_listeners()  # the Session listeners the app and the worker run with
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=300)
    parser.add_argument("--scans", type=int, default=2, help="scans per dossier (0: a submission without scans)")
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    args = parser.parse_args(argv)

    url, drop = fresh_database(args.admin_url, "bench_intake")
    engine = create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            install_append_only_trigger(connection)
        staff_id, citizen_id, procedure_code, items = setup(engine, args.scans)
        ids = (staff_id, citizen_id, procedure_code, items)
        # Warm both paths (imports, connection pool, prepared plans) before timing.
        run_service(engine, 5, *ids, label="warm-up", scans=args.scans)
        run_bare(engine, 5, staff_id, citizen_id, items, scans=args.scans > 0, label="warm-up")
        statements = count_statements(engine, *ids, scans=args.scans)
        service_seconds = run_service(engine, args.dossiers, *ids, scans=args.scans)
        bare_seconds = run_bare(engine, args.dossiers, staff_id, citizen_id, items, scans=args.scans > 0)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT count(*) FROM dossiers")).scalar_one()
        assert rows == 2 * args.dossiers + 11, rows
    finally:
        engine.dispose()
        drop()
    service_rate = args.dossiers / service_seconds
    bare_rate = args.dossiers / bare_seconds
    ratio = service_rate / bare_rate
    print(f"dossiers:             {args.dossiers} each side, {args.scans} scans each")
    print(f"SQL statements:       {statements} per submission (aim: at most {STATEMENT_AIM} without scans)")
    print(f"through the service:  {service_rate:8.1f} submissions/s")
    print(f"bare SQL inserts:     {bare_rate:8.1f} submissions/s")
    print(f"ratio service / bare: {ratio:8.2f} (aim: at least 0.5)")
    return {"service": service_rate, "bare": bare_rate, "ratio": ratio, "statements": statements}


if __name__ == "__main__":
    main()
