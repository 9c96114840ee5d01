"""Reconciliation of an agency's day: every category, broken file rows, time zones, resolve, sign-off, reports."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import reconcile as bench
from contracts.models import CashShift, Remittance, ShiftStatus
from payments import reconciliation
from payments.models import DayStatus, Payment, PaymentStatus, ReconciliationItem, Refund, RefundStatus
from payments.settings import DEMO_TMN_CODE
from payments.vnpay import format_vnpay_datetime
from postal_gateway.accounts.models import Role
from postal_gateway.core.db import make_engine
from postal_gateway.core.domain import Conflict, Forbidden, InvalidInput
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.dossiers.models import CollectedAmount, CollectionMethod, PaymentKind
from postal_gateway.models import metadata
from tests import factories
from tests.conftest import SCREENSHOT_DIR, log_in
from tests.payments.test_payments import _through_sandbox, level4_dossier

DAY = date(2026, 3, 3)
NOON = datetime(2026, 3, 3, 5, 0, tzinfo=timezone.utc)  # 12:00 in Vietnam
NOW = datetime(2026, 3, 4, 2, 0, tzinfo=timezone.utc)
HEADER = "TmnCode,TxnRef,TransactionNo,TransactionType,TransactionStatus,Amount,PayDate,BankCode\n"


class World:
    def __init__(self, session):
        self.session = session
        self.agency = factories.agency(session)
        self.procedure = factories.procedure(session, self.agency, level=4, fee_vnd=50_000)
        self.staff = factories.user(session, Role.agency_staff, agency_id=self.agency.id)
        self.admin = factories.user(session, Role.agency_admin, agency_id=self.agency.id)
        self.lines = [HEADER]
        self.number = 0

    def dossier(self):
        return factories.postal_dossier(self.session, procedure=self.procedure, postage_vnd=30_000, entered_at=NOON - timedelta(days=1))

    def payment(self, dossier=None, *, pay_at=NOON, status=PaymentStatus.paid, settled_at=None, amount=80_000, attempt=1):
        dossier = dossier or self.dossier()
        row = Payment(txn_ref=f"{dossier.code}.{attempt}", dossier_id=dossier.id, agency_id=self.agency.id, attempt=attempt,
                      fee_vnd=50_000, postage_vnd=amount - 50_000, amount_vnd=amount, status=status,
                      created_at=pay_at - timedelta(minutes=3), expires_at=pay_at + timedelta(minutes=12),
                      ip_address="203.0.113.9", pay_date=pay_at if status != PaymentStatus.pending else None,
                      settled_at=settled_at or (pay_at if status != PaymentStatus.pending else None), settled_via="ipn")
        self.session.add(row)
        self.session.flush()
        return row

    def gateway(self, txn_ref, amount, *, kind="01", pay_at=NOON):
        self.number += 1
        self.lines.append(f"{DEMO_TMN_CODE},{txn_ref},{14_000_000 + self.number},{kind},00,{amount},{format_vnpay_datetime(pay_at)},NCB\n")

    def load(self):
        return reconciliation.import_gateway_file(self.session, io.StringIO("".join(self.lines)), agency_id=self.agency.id,
                                                  day=DAY, tmn_code=DEMO_TMN_CODE, filename="vnpay.csv", now=NOW)


def build_every_category(world: World) -> dict[str, str]:
    refs = {}
    p = world.payment()
    world.gateway(p.txn_ref, 80_000)
    refs["matched"] = p.txn_ref
    refs["missing_at_gateway"] = world.payment().txn_ref
    pending = world.payment(status=PaymentStatus.pending)
    world.gateway(pending.txn_ref, 80_000)
    refs["missing_here"] = pending.txn_ref
    p = world.payment()
    world.gateway(p.txn_ref, 70_000)
    refs["amount_mismatch"] = p.txn_ref
    p = world.payment()
    world.gateway(p.txn_ref, 80_000)
    world.gateway(p.txn_ref, 80_000)
    refs["duplicate"] = p.txn_ref
    twice = world.dossier()
    first = world.payment(twice, attempt=1)
    second = world.payment(twice, attempt=2, pay_at=NOON + timedelta(minutes=30))
    world.gateway(first.txn_ref, 80_000)
    world.gateway(second.txn_ref, 80_000, pay_at=NOON + timedelta(minutes=30))
    refs["duplicate_here"] = second.txn_ref
    p = world.payment(settled_at=NOON + timedelta(days=1))  # lost IPN, found by querydr the next day
    world.gateway(p.txn_ref, 80_000)
    refs["late"] = p.txn_ref
    p = world.payment(status=PaymentStatus.partially_refunded)
    p.refunded_vnd = 20_000
    world.gateway(p.txn_ref, 80_000)
    world.gateway(p.txn_ref, 20_000, kind="03", pay_at=NOON + timedelta(hours=2))
    world.session.add(Refund(dossier_id=p.dossier_id, payment_id=p.id, amount_vnd=20_000, transaction_type="03", reason="x",
                             authorised_by_id=world.admin.id, idempotency_key="k-refunded-1", status=RefundStatus.completed,
                             created_at=NOON))
    refs["refunded"] = p.txn_ref
    # time zones: 23:30 in Vietnam is this day, 00:30 the next day is not
    p = world.payment(pay_at=datetime(2026, 3, 3, 16, 30, tzinfo=timezone.utc))
    world.gateway(p.txn_ref, 80_000, pay_at=p.pay_date)
    refs["late_evening"] = p.txn_ref
    refs["next_day"] = world.payment(pay_at=datetime(2026, 3, 3, 17, 30, tzinfo=timezone.utc)).txn_ref
    world.session.flush()
    return refs


def add_cash(world: World) -> None:
    for remitted in (True, False):
        worker = factories.user(world.session, Role.postal_staff)
        shift = CashShift(worker_id=worker.id, post_office_id=worker.post_office_id, opened_at=NOON - timedelta(hours=3),
                          closed_at=NOON + timedelta(hours=3), status=ShiftStatus.remitted if remitted else ShiftStatus.closed)
        world.session.add(shift)
        world.session.flush()
        world.session.add(CollectedAmount(dossier_id=world.dossier().id, kind=PaymentKind.fee, method=CollectionMethod.cash,
                                          amount_vnd=50_000, collected_by_id=worker.id, collected_at=NOON,
                                          shift_id=shift.id))
        if remitted:
            world.session.add(Remittance(shift_id=shift.id, cashier_id=world.admin.id, fee_vnd=50_000, postage_vnd=0,
                                         handed_vnd=50_000, expected_vnd=50_000, discrepancy_vnd=0, reason="",
                                         remitted_at=NOON + timedelta(hours=4)))
    world.session.flush()


def test_every_category_side_by_side(session):
    world = World(session)
    refs = build_every_category(world)
    add_cash(world)
    result = world.load()
    assert result.errors == [] and result.record.row_count == 11
    record = reconciliation.reconcile(session, agency_id=world.agency.id, day=DAY, user=world.staff, now=NOW)
    found = {(item.category, item.txn_ref): item for item in reconciliation.items(session, record)}
    assert ("missing_at_gateway", refs["missing_at_gateway"]) in found
    assert ("missing_here", refs["missing_here"]) in found
    assert found[("amount_mismatch", refs["amount_mismatch"])].gateway_vnd == 70_000
    assert ("duplicate", refs["duplicate"]) in found
    assert ("duplicate", refs["duplicate_here"]) in found
    assert ("late", refs["late"]) in found
    refunded = found[("refunded", refs["refunded"])]
    assert (refunded.ours_vnd, refunded.gateway_vnd, refunded.is_exception) == (20_000, 20_000, False)
    assert not any(txn == refs["next_day"] for _c, txn in found)
    assert [item.category for item in found.values() if item.category.startswith("cash")] == ["cash_not_remitted"]
    totals = record.totals
    assert totals["matched"]["count"] == 4  # matched, first of the paid-twice dossier, refunded one, 23:30 one
    assert {c: totals[c]["count"] for c in ("missing_at_gateway", "missing_here", "amount_mismatch", "duplicate", "late", "refunded")} == {
        "missing_at_gateway": 1, "missing_here": 1, "amount_mismatch": 1, "duplicate": 2, "late": 1, "refunded": 1}
    assert totals["cash_remitted"] == {"count": 1, "ours_vnd": 50_000, "gateway_vnd": 0}
    assert totals["cash_not_remitted"]["count"] == 1
    assert found[("missing_at_gateway", refs["missing_at_gateway"])].dossier_code == refs["missing_at_gateway"].rsplit(".", 1)[0]


def test_broken_rows_are_named_and_the_rest_loads(session):
    world = World(session)
    good = world.payment()
    world.gateway(good.txn_ref, 80_000)
    world.lines += [
        "only,three,columns\n",
        f"{DEMO_TMN_CODE},{good.txn_ref}x,1,01,00,-5,20260303120000,NCB\n",
        f"{DEMO_TMN_CODE},{good.txn_ref}y,2,01,00,1000,20260304120000,NCB\n",
        f"OTHER123,{good.txn_ref}z,3,09,00,1000,2026-03-03,NCB\n",
    ]
    result = world.load()
    assert result.record.row_count == 1
    by_line = {}
    for error in result.errors:
        by_line.setdefault(error["line"], set()).add(error["column"])
    assert by_line == {3: {""}, 4: {"Amount"}, 5: {"PayDate"}, 6: {"TmnCode", "TransactionType", "PayDate"}}
    with pytest.raises(InvalidInput):
        reconciliation.import_gateway_file(session, io.StringIO("a,b\n1,2\n"), agency_id=world.agency.id, day=DAY, tmn_code=DEMO_TMN_CODE, now=NOW)


def test_resolve_sign_off_and_lock(session):
    world = World(session)
    build_every_category(world)
    world.load()
    record = reconciliation.reconcile(session, agency_id=world.agency.id, day=DAY, user=world.staff, now=NOW)
    with pytest.raises(Conflict):
        reconciliation.sign_off(session, agency_id=world.agency.id, day=DAY, user=world.admin, now=NOW)
    exceptions = reconciliation.items(session, record, exceptions_only=True)
    with pytest.raises(InvalidInput):
        reconciliation.resolve_item(session, item_id=exceptions[0].id, comment="  ", user=world.staff, now=NOW)
    for item in exceptions:
        reconciliation.resolve_item(session, item_id=item.id, comment="Đã kiểm tra với VNPay", user=world.staff, now=NOW)
    # re-running keeps the comments of lines that are still there
    record = reconciliation.reconcile(session, agency_id=world.agency.id, day=DAY, user=world.staff, now=NOW)
    assert reconciliation.open_exceptions(session, record) == 0
    exceptions = reconciliation.items(session, record, exceptions_only=True)
    assert {item.comment for item in exceptions} == {"Đã kiểm tra với VNPay"}

    with pytest.raises(Forbidden):
        reconciliation.sign_off(session, agency_id=world.agency.id, day=DAY, user=world.staff, now=NOW)
    signed = reconciliation.sign_off(session, agency_id=world.agency.id, day=DAY, user=world.admin, now=NOW)
    assert signed.status == DayStatus.signed_off
    assert session.scalar(select(func.count()).select_from(IntegrationEvent).where(
        IntegrationEvent.event_type == "reconciliation.signed_off")) == 1
    for locked in (
        lambda: reconciliation.reconcile(session, agency_id=world.agency.id, day=DAY, user=world.staff, now=NOW),
        lambda: reconciliation.resolve_item(session, item_id=exceptions[0].id, comment="x", user=world.staff, now=NOW),
        lambda: world.load(),
        lambda: reconciliation.sign_off(session, agency_id=world.agency.id, day=DAY, user=world.admin, now=NOW),
    ):
        with pytest.raises(Conflict):
            locked()


def test_pages_reports_and_api(client, session):
    world = World(session)
    build_every_category(world)
    session.commit()
    log_in(client, world.admin)
    upload = client.post(f"/payments/reconciliation/{DAY}/import",
                         data={"file": (io.BytesIO("".join(world.lines).encode()), "vnpay.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 303
    page = client.get(f"/payments/reconciliation/{DAY}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in text and "Thiếu ở cổng thanh toán" in text
    xlsx = client.get(f"/payments/reconciliation/{DAY}/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    pdf = client.get(f"/payments/reconciliation/{DAY}/report.pdf")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    (SCREENSHOT_DIR.parent / "reconciliation-report.pdf").write_bytes(pdf.data)  # for a person to look at
    assert client.get("/payments/reconciliation/2026-13-45").status_code in (400, 422)
    assert client.get(f"/payments/reconciliation/{DAY}/report.doc").status_code == 404
    item = session.scalars(select(ReconciliationItem).where(ReconciliationItem.is_exception.is_(True))).first()
    assert client.post(f"/payments/reconciliation/items/{item.id}/resolve", data={"comment": "Đã xem"}).status_code == 303
    assert client.post(f"/payments/reconciliation/{DAY}/sign-off").status_code == 409
    broken = client.post(f"/payments/reconciliation/{DAY}/import",
                         data={"file": (io.BytesIO((HEADER + "x,y\n").encode()), "bad.csv")}, content_type="multipart/form-data")
    assert broken.status_code == 422 and "Dòng 2" in broken.get_data(as_text=True)


def test_sandbox_daily_file_round_trip(client, session):
    """The sandbox's daily file imports cleanly and matches what the IPN recorded."""
    dossier = level4_dossier(session)
    admin = factories.user(session, Role.agency_admin, agency_id=dossier.agency_id)
    session.commit()
    payment = _through_sandbox(client, session, dossier)
    day = payment.pay_date.astimezone(reconciliation.GMT7).date()
    log_in(client, admin)
    assert client.post(f"/payments/reconciliation/{day}/fetch").status_code == 303
    record = reconciliation.get_day(session, agency_id=dossier.agency_id, day=day)
    session.refresh(record)
    assert record.totals["matched"]["count"] == 1 and reconciliation.open_exceptions(session, record) == 0
    assert client.post(f"/payments/reconciliation/{day}/sign-off").status_code == 303


def test_sqlite_fallback_loads_and_reconciles(tmp_path):
    """`make run` uses SQLite: the batched-insert path and the same SQL give the same categories."""
    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    metadata.create_all(engine)
    with Session(engine) as session:
        world = World(session)
        refs = build_every_category(world)
        result = world.load()
        assert result.record.row_count == 11
        record = reconciliation.reconcile(session, agency_id=world.agency.id, day=DAY, user=world.staff, now=NOW)
        categories = {item.category for item in reconciliation.items(session, record)}
        assert {"missing_at_gateway", "missing_here", "amount_mismatch", "duplicate", "late", "refunded"} <= categories
        assert record.totals["matched"]["count"] == 4
        assert refs
    engine.dispose()


@pytest.mark.slow
def test_bench_smoke_prints_a_ratio():
    """bench/reconcile.py at a tiny size: every category appears and a ratio comes out."""
    results = bench.main(["--rows", "2000"])
    assert results["ratio"] > 0 and results["reconcile"][1] < 300


@pytest.mark.parametrize("chunk_lines", [3, 10_000])
def test_the_copy_of_the_file_loads_exactly_what_the_row_checks_accept(session, monkeypatch, chunk_lines):
    """The file streams into the database with one COPY; whole chunks of plain valid rows are converted at once,
    a chunk with anything else is checked row by row. Either way the rows loaded are those ``_check_row``
    accepts, with the same values, and each refused row is named by its line (issue 16)."""
    from payments.models import GatewayTransaction

    monkeypatch.setattr(reconciliation, "CHUNK_LINES", chunk_lines)
    world = World(session)
    refs = [world.payment().txn_ref for _ in range(4)]
    first = datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc)
    last = datetime(2026, 3, 3, 16, 59, 59, tzinfo=timezone.utc)
    world.gateway(refs[0], 80_000, pay_at=first)  # 00:00:00 in Vietnam: the day's first second
    world.gateway(refs[1], 1, pay_at=last)  # 23:59:59: its last
    world.gateway(refs[2], 20_000, kind="03")
    world.lines.append(world.lines[-1].replace("\n", "\r\n"))  # a Windows line end, and a duplicate
    world.lines += [
        f"{DEMO_TMN_CODE},{refs[3]},15,01,00,0,20260303120000,NCB\n",  # no amount
        "\n",
        f"{DEMO_TMN_CODE}, {refs[3]} ,16,01,00,80000,20260303120000,NCB\n",  # spaces are trimmed, the row is good
        f"{DEMO_TMN_CODE},{refs[3]},17,01,00,80000,20260303240000,NCB\n",  # hour 24
        f"{DEMO_TMN_CODE},X{refs[3]},18,01,00,80000,20260303120000,NCB\n",  # another agency's
        f"{DEMO_TMN_CODE},{refs[3]},20,01,00,80000,20260303120000,N\\C\tB\n",  # COPY's escapes in a bank code
        f"{DEMO_TMN_CODE},{refs[3]},19,01,00,80000,20260303120000,NCB",  # no line end at the end of the file
    ]
    expected, errors = [], []
    start, end = reconciliation.day_bounds(DAY)
    for number, row in enumerate(__import__("csv").reader(world.lines[1:]), start=2):
        if row and (checked := reconciliation._check_row(row, number, day=DAY, tmn_code=DEMO_TMN_CODE,
                                                         agency_code=world.agency.code, start=start, end=end,
                                                         errors=errors)) is not None:
            expected.append(checked)
    result = world.load()
    assert result.record.row_count == len(expected) == 7
    assert result.errors == errors and {error["line"] for error in errors} == {6, 9, 10}
    loaded = session.execute(select(
        GatewayTransaction.business_day, GatewayTransaction.agency_code, GatewayTransaction.txn_ref,
        GatewayTransaction.transaction_no, GatewayTransaction.transaction_type, GatewayTransaction.transaction_status,
        GatewayTransaction.amount_vnd, GatewayTransaction.pay_date, GatewayTransaction.bank_code,
    ).where(GatewayTransaction.import_id == result.record.id).order_by(GatewayTransaction.id)).all()
    assert [tuple(row) for row in loaded] == expected
