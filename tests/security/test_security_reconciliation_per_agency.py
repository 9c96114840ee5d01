"""Reconciliation is per agency and day: a daily file belongs to the importing agency's terminal, and
nobody sees or changes another agency's file, exceptions or sign-off."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from payments import reconciliation
from payments.models import GatewayImport, GatewayTransaction, ReconciliationItem
from payments.settings import DEMO_TMN_CODE
from payments.vnpay import format_vnpay_datetime
from postal_gateway.core.domain import Forbidden
from tests.conftest import log_in
from tests.payments.test_reconciliation import DAY, HEADER, NOON, NOW, World


def upload(client, lines: list[str], name: str = "vnpay.csv"):
    return client.post(f"/payments/reconciliation/{DAY}/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO("".join(lines).encode()), name)})


def forged_line(txn_ref: str, amount: int) -> str:
    return f"{DEMO_TMN_CODE},{txn_ref},14999999,01,00,{amount},{format_vnpay_datetime(NOON)},NCB\n"


def test_another_agencys_forged_file_changes_nothing_of_this_agencys_day(client, session):
    here, there = World(session), World(session)
    paid = here.payment()
    here.gateway(paid.txn_ref, 80_000)
    here.load()
    record = reconciliation.reconcile(session, agency_id=here.agency.id, day=DAY, user=here.staff, now=NOW)
    assert record.totals["matched"]["count"] == 1
    session.commit()

    log_in(client, there.staff)
    forged = upload(client, [HEADER, forged_line(paid.txn_ref, 1_000)], name="forged.csv")
    assert forged.status_code == 422 and "Giao dịch không thuộc cơ quan của bạn" in forged.get_data(as_text=True)
    client.post("/logout")

    # nothing of ours was replaced or added, and our day reads the same
    session.expire_all()
    assert session.scalar(select(GatewayTransaction.amount_vnd).where(GatewayTransaction.txn_ref == paid.txn_ref)) == 80_000
    assert [row.amount_vnd for row in session.scalars(select(GatewayTransaction))] == [80_000]
    record = reconciliation.reconcile(session, agency_id=here.agency.id, day=DAY, user=here.staff, now=NOW)
    assert record.totals["matched"]["count"] == 1 and record.totals["amount_mismatch"]["count"] == 0
    session.commit()
    log_in(client, here.staff)
    page = client.get(f"/payments/reconciliation/{DAY}").get_data(as_text=True)
    assert "vnpay.csv" in page and "forged.csv" not in page


def test_one_agencys_sign_off_locks_only_its_own_day(client, session):
    here, there = World(session), World(session)
    paid = here.payment()
    session.commit()
    log_in(client, there.admin)
    assert upload(client, [HEADER]).status_code == 303  # an empty day of theirs, imported and reconciled
    assert client.post(f"/payments/reconciliation/{DAY}/sign-off").status_code == 303
    client.post("/logout")

    log_in(client, here.staff)
    assert upload(client, [HEADER, forged_line(paid.txn_ref, 80_000)]).status_code == 303
    record = reconciliation.get_day(session, agency_id=here.agency.id, day=DAY)
    session.refresh(record)
    assert record.totals["matched"]["count"] == 1
    mine = session.scalar(select(GatewayImport).where(GatewayImport.agency_id == here.agency.id))
    assert record.gateway_file_id == mine.id and mine.tmn_code == DEMO_TMN_CODE


def test_nobody_resolves_or_signs_off_another_agencys_exceptions(session):
    here, there = World(session), World(session)
    here.payment()  # paid here, missing from the file: an exception
    here.load()
    record = reconciliation.reconcile(session, agency_id=here.agency.id, day=DAY, user=here.staff, now=NOW)
    item = session.scalar(select(ReconciliationItem).where(ReconciliationItem.day_id == record.id))
    with pytest.raises(Forbidden):
        reconciliation.resolve_item(session, item_id=item.id, comment="Không phải của tôi", user=there.staff, now=NOW)
    with pytest.raises(Forbidden):
        reconciliation.sign_off(session, agency_id=here.agency.id, day=DAY, user=there.admin, now=NOW)
    with pytest.raises(Forbidden):
        reconciliation.reconcile(session, agency_id=here.agency.id, day=DAY, user=there.staff, now=NOW)
