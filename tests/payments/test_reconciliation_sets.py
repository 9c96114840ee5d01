"""The set-based reconciliation against a plain Python reading of the rules, on a seeded random day.

Every category, the combinations that decide between them (a duplicate that also differs in amount, a
late line paid after its expiry), refunds of an earlier day's payment, and a second run that keeps
the comments of lines that are still there and drops the lines that went away.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments import reconciliation
from payments.models import MONEY_RECEIVED, Payment, PaymentStatus, ReconciliationItem, Refund, RefundStatus
from postal_gateway.accounts.models import Role
from postal_gateway.core.db import make_engine
from postal_gateway.models import metadata
from tests import factories
from tests.payments.test_reconciliation import DAY, NOON, NOW, World, add_cash

FATES = ("matched", "missing_at_gateway", "missing_here", "amount_mismatch", "duplicate_at_gateway", "duplicate_mismatch",
         "paid_twice", "late_settled", "late_after_expiry", "refunded", "refund_not_ours", "refund_of_earlier_day",
         "next_day", "pending_only")


class RandomDay(World):
    """A World whose dossiers share one citizen and one post office worker (fewer rows to write)."""

    def __init__(self, session, seed: int):
        super().__init__(session)
        self.random = random.Random(seed)
        self.citizen = factories.user(session, Role.citizen)
        self.worker = factories.user(session, Role.postal_staff)
        self.refund_keys = 0

    def dossier(self):
        return factories.postal_dossier(self.session, procedure=self.procedure, postage_vnd=30_000, citizen=self.citizen,
                                        staff=self.worker, entered_at=NOON - timedelta(days=1))

    def moment(self):
        return NOON + timedelta(seconds=self.random.randrange(-4 * 3600, 11 * 3600))

    def refund(self, payment, amount, status):
        self.refund_keys += 1
        self.session.add(Refund(dossier_id=payment.dossier_id, payment_id=payment.id, amount_vnd=amount, transaction_type="03",
                                reason="x", authorised_by_id=self.admin.id, idempotency_key=f"k-{self.refund_keys}",
                                status=status, created_at=NOON))

    def build(self, fate: str) -> None:
        pay_at = self.moment()
        if fate == "matched":
            self.gateway(self.payment(pay_at=pay_at).txn_ref, 80_000, pay_at=pay_at)
        elif fate == "missing_at_gateway":
            self.payment(pay_at=pay_at)
        elif fate == "missing_here":
            self.gateway(self.payment(status=PaymentStatus.pending, pay_at=pay_at).txn_ref, 80_000, pay_at=pay_at)
        elif fate == "pending_only":
            self.payment(status=PaymentStatus.pending, pay_at=pay_at)
        elif fate == "amount_mismatch":
            self.gateway(self.payment(pay_at=pay_at).txn_ref, self.random.choice((70_000, 80_001)), pay_at=pay_at)
        elif fate in ("duplicate_at_gateway", "duplicate_mismatch"):
            txn_ref = self.payment(pay_at=pay_at).txn_ref
            self.gateway(txn_ref, 80_000, pay_at=pay_at)
            self.gateway(txn_ref, 80_000 if fate == "duplicate_at_gateway" else 75_000, pay_at=pay_at)
        elif fate == "paid_twice":
            dossier = self.dossier()
            for attempt in (1, 2):
                payment = self.payment(dossier, attempt=attempt, pay_at=pay_at + timedelta(minutes=attempt))
                self.gateway(payment.txn_ref, 80_000, pay_at=payment.pay_date)
        elif fate == "late_settled":
            self.gateway(self.payment(pay_at=pay_at, settled_at=pay_at + timedelta(days=1)).txn_ref, 80_000, pay_at=pay_at)
        elif fate == "late_after_expiry":
            payment = self.payment(pay_at=pay_at)
            payment.expires_at = pay_at - timedelta(minutes=1)
            self.gateway(payment.txn_ref, 80_000, pay_at=pay_at)
        elif fate in ("refunded", "refund_not_ours"):
            payment = self.payment(status=PaymentStatus.partially_refunded, pay_at=pay_at)
            self.gateway(payment.txn_ref, 80_000, pay_at=pay_at)
            self.gateway(payment.txn_ref, 20_000, kind="03", pay_at=pay_at + timedelta(minutes=30))
            self.refund(payment, 20_000, RefundStatus.completed if fate == "refunded" else RefundStatus.requested)
        elif fate == "refund_of_earlier_day":
            payment = self.payment(status=PaymentStatus.partially_refunded, pay_at=pay_at - timedelta(days=2))
            self.gateway(payment.txn_ref, 30_000, kind="03", pay_at=pay_at)
            self.refund(payment, 30_000, RefundStatus.sent)
        elif fate == "next_day":
            self.payment(pay_at=datetime(2026, 3, 3, 17, 0, tzinfo=timezone.utc) + timedelta(minutes=self.random.randrange(1, 600)))


def expected(session: Session, world: RandomDay) -> tuple[dict, dict]:
    """The rules of DOMAIN.md read plainly: one dict of (category, txn_ref) -> (ours, gateway), one of totals."""
    start, end = reconciliation.day_bounds(DAY)
    paid, refunded = defaultdict(list), defaultdict(list)
    for line in world.lines[1:]:
        _tmn, txn_ref, _number, kind, _status, amount, _pay_date, _bank = line.strip().split(",")
        (paid if kind == "01" else refunded)[txn_ref].append(int(amount))
    payments = list(session.scalars(select(Payment).where(Payment.agency_id == world.agency.id)))
    received = [p for p in payments if p.status in MONEY_RECEIVED]
    first_paid = {}
    for payment in sorted(received, key=lambda p: p.id):
        first_paid.setdefault(payment.dossier_id, payment.id)
    ours = {p.txn_ref: p for p in received if start <= p.pay_date < end}
    lines = {}
    for txn_ref, payment in ours.items():
        amounts = paid.get(txn_ref)
        if not amounts:
            category = "missing_at_gateway"
        elif len(amounts) > 1 or first_paid[payment.dossier_id] != payment.id:
            category = "duplicate"
        elif sum(amounts) != payment.amount_vnd or payment.amount_vnd != payment.fee_vnd + payment.postage_vnd:
            category = "amount_mismatch"
        elif payment.settled_at >= end or payment.pay_date > payment.expires_at:
            category = "late"
        else:
            category = "matched"
        lines[(category, txn_ref)] = (payment.amount_vnd, sum(amounts) if amounts else None)
    for txn_ref, amounts in paid.items():
        if txn_ref not in ours:
            lines[("missing_here", txn_ref)] = (None, sum(amounts))
    by_ref = {p.txn_ref: p for p in payments}
    refunds = list(session.scalars(select(Refund).where(Refund.status.in_((RefundStatus.sent, RefundStatus.completed)))))
    for txn_ref, amounts in refunded.items():
        ours_refunds = [r.amount_vnd for r in refunds if txn_ref in by_ref and r.payment_id == by_ref[txn_ref].id]
        lines[("refunded", txn_ref)] = (sum(ours_refunds) if ours_refunds else None, sum(amounts))
    totals = defaultdict(lambda: {"count": 0, "ours_vnd": 0, "gateway_vnd": 0})
    for (category, _txn_ref), (ours_vnd, gateway_vnd) in lines.items():
        totals[category]["count"] += 1
        totals[category]["ours_vnd"] += (ours_vnd or 0) if category != "refunded" else 0
        totals[category]["gateway_vnd"] += gateway_vnd or 0
    return lines, dict(totals)


def check_day(session: Session, world: RandomDay, record) -> list[ReconciliationItem]:
    lines, totals = expected(session, world)
    found = reconciliation.items(session, record)
    payment_lines = [item for item in found if not item.category.startswith("cash")]
    assert {(i.category, i.txn_ref): (i.ours_vnd, i.gateway_vnd) for i in payment_lines} == {
        key: value for key, value in lines.items() if key[0] != "matched"}
    assert len(payment_lines) == len({(i.category, i.txn_ref) for i in payment_lines})
    for item in payment_lines:
        assert item.dossier_code == item.txn_ref.rsplit(".", 1)[0]
        refund_settled = item.category == "refunded" and item.ours_vnd == item.gateway_vnd
        assert item.is_exception is not refund_settled
        if item.category in ("missing_at_gateway", "amount_mismatch", "duplicate", "late"):
            assert item.owed_vnd == 80_000
    for category in ("matched", "missing_at_gateway", "missing_here", "amount_mismatch", "duplicate", "late", "refunded"):
        assert record.totals[category] == totals.get(category, {"count": 0, "ours_vnd": 0, "gateway_vnd": 0}), category
    return found


def build_day(session: Session, seed: int) -> RandomDay:
    world = RandomDay(session, seed)
    fates = list(FATES) * 2 + [world.random.choice(FATES) for _ in range(30)]
    world.random.shuffle(fates)
    for fate in fates:
        world.build(fate)
    session.flush()
    return world


def test_random_day_matches_the_rules_and_a_second_run_keeps_comments(session):
    world = build_day(session, seed=20260303)
    add_cash(world)
    world.load()
    record = reconciliation.reconcile(session, agency_id=world.agency.id, day=DAY, user=world.staff, now=NOW)
    found = check_day(session, world, record)
    assert record.totals["cash_remitted"] == {"count": 1, "ours_vnd": 50_000, "gateway_vnd": 0}
    assert record.totals["cash_not_remitted"] == {"count": 1, "ours_vnd": 50_000, "gateway_vnd": 0}
    cash = [item for item in found if item.category == "cash_not_remitted"]
    assert len(cash) == 1 and cash[0].txn_ref.startswith("cash-") and cash[0].is_exception

    # staff explain a missing line and the cash line; then VNPay's corrected file brings the missing payment
    missing = next(item for item in found if item.category == "missing_at_gateway")
    mismatch = next(item for item in found if item.category == "amount_mismatch")
    for item in (missing, mismatch, cash[0]):
        reconciliation.resolve_item(session, item_id=item.id, comment=f"Đã xem {item.category}", user=world.staff, now=NOW)
    world.gateway(missing.txn_ref, 80_000)
    world.load()
    again = reconciliation.reconcile(session, agency_id=world.agency.id, day=DAY, user=world.staff, now=NOW + timedelta(hours=1))
    found = check_day(session, world, again)
    assert ("missing_at_gateway", missing.txn_ref) not in {(i.category, i.txn_ref) for i in found}
    commented = {(i.category, i.txn_ref): i.comment for i in found if i.resolved_at is not None}
    assert commented == {("amount_mismatch", mismatch.txn_ref): "Đã xem amount_mismatch",
                         ("cash_not_remitted", cash[0].txn_ref): "Đã xem cash_not_remitted"}
    assert session.scalar(select(ReconciliationItem.id).where(ReconciliationItem.id == missing.id)) is None


def test_random_day_on_sqlite_gives_the_same_lines(tmp_path):
    """`make run` uses SQLite: the same statements, run in two steps, give the same lines and totals."""
    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    metadata.create_all(engine)
    with Session(engine) as session:
        world = build_day(session, seed=7)
        world.load()
        record = reconciliation.reconcile(session, agency_id=world.agency.id, day=DAY, user=world.staff, now=NOW)
        check_day(session, world, record)
        first = reconciliation.items(session, record, exceptions_only=True)[0]
        reconciliation.resolve_item(session, item_id=first.id, comment="Đã kiểm tra", user=world.staff, now=NOW)
        record = reconciliation.reconcile(session, agency_id=world.agency.id, day=DAY, user=world.staff, now=NOW)
        kept = [i for i in reconciliation.items(session, record) if i.resolved_at is not None]
        assert [(i.category, i.txn_ref, i.comment) for i in kept] == [(first.category, first.txn_ref, "Đã kiểm tra")]
    engine.dispose()


def test_empty_day_has_zero_totals_and_no_lines(session):
    world = RandomDay(session, seed=1)
    world.load()
    record = reconciliation.reconcile(session, agency_id=world.agency.id, day=DAY, user=world.staff, now=NOW)
    assert reconciliation.items(session, record) == []
    assert all(total == {"count": 0, "ours_vnd": 0, "gateway_vnd": 0} for total in record.totals.values())


def test_a_refund_file_row_without_our_payment_is_an_exception(session):
    world = RandomDay(session, seed=2)
    world.gateway(f"{world.agency.code}-999999-0000001.1", 10_000, kind="02")
    world.load()
    record = reconciliation.reconcile(session, agency_id=world.agency.id, day=DAY, user=world.staff, now=NOW)
    [item] = reconciliation.items(session, record)
    assert (item.category, item.ours_vnd, item.gateway_vnd, item.dossier_code, item.is_exception) == (
        "refunded", None, 10_000, "", True)
    assert record.totals["refunded"] == {"count": 1, "ours_vnd": 0, "gateway_vnd": 10_000}
