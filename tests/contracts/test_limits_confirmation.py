"""Lowering a national full-trip limit (R-17, Điều 22.5: a contract may not agree more than the national ceiling)
below what contract versions in force promise lists the contracts affected and saves nothing until the operator
confirms with a second submit."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from contracts.limits import LimitBelowPromises, national_limits, promises_above, set_national_limit
from contracts.models import Leg, Zone
from contracts.parsing import start_of_local_day
from postal_gateway.accounts.models import Role
from tests import factories
from tests.conftest import log_in

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)
SOURCE = "Thông tư 14/2018/TT-BTTTT"


@pytest.fixture()
def contracts(session):
    """The demo content agrees 24 h in the same district, 96 h to another province; one contract has ended."""
    current = factories.contract(session, factories.agency(session, name="Sở Tư pháp"), number="HĐ-HIỆN-HÀNH")
    ended = factories.contract(session, factories.agency(session, name="Sở Y tế"), number="HĐ-ĐÃ-HẾT",
                               valid_from=start_of_local_day(date(2020, 1, 1)),
                               valid_until=start_of_local_day(date(2021, 1, 1)))
    faster = factories.contract(session, factories.agency(session, name="Sở Nội vụ"), number="HĐ-NHANH",
                                trip_hours={(leg, zone): 12 for leg in ("forward", "return")
                                            for zone in ("same_commune", "same_province", "other_province")})
    session.commit()
    return {"current": current, "ended": ended, "faster": faster}


def test_lowering_below_a_promise_lists_the_contracts_and_saves_nothing__dieu_22_5(session, contracts):
    with pytest.raises(LimitBelowPromises) as caught:
        set_national_limit(session, leg="forward", zone="same_commune", max_hours=20, legal_source=SOURCE, now=NOW)
    affected = caught.value.affected
    assert [(item.contract_number, item.agency_name, item.version_number, item.promised_hours)
            for item in affected] == [("HĐ-HIỆN-HÀNH", "Sở Tư pháp", 1, 24)]  # not the ended one, not the faster one
    assert caught.value.params == {"max_hours": 20, "count": 1}
    limit = national_limits(session)[(Leg.forward, Zone.same_commune)]
    assert limit.max_hours == 48 and limit.provisional  # nothing saved


def test_the_confirmed_lowering_is_saved__dieu_22_5(session, contracts):
    affected = promises_above(session, leg=Leg.forward, zone=Zone.same_commune, max_hours=20, now=NOW)
    row = set_national_limit(session, leg="forward", zone="same_commune", max_hours=20, legal_source=SOURCE,
                             now=NOW, confirmed_versions={item.version_id for item in affected})
    assert row.max_hours == 20 and not row.provisional


def test_a_confirmation_of_other_versions_does_not_count(session, contracts):
    with pytest.raises(LimitBelowPromises):
        set_national_limit(session, leg="forward", zone="same_commune", max_hours=20, legal_source=SOURCE,
                           now=NOW, confirmed_versions={contracts["faster"].versions[0].id})


def test_raising_or_lowering_above_every_promise_needs_no_confirmation(session, contracts):
    assert set_national_limit(session, leg="forward", zone="same_commune", max_hours=30, legal_source=SOURCE,
                              now=NOW).max_hours == 30
    assert set_national_limit(session, leg="forward", zone="same_commune", max_hours=24, legal_source=SOURCE,
                              now=NOW).max_hours == 24
    assert set_national_limit(session, leg="return", zone="other_province", max_hours=200, legal_source=SOURCE,
                              now=NOW).max_hours == 200


def test_the_limits_page_asks_for_confirmation_with_the_affected_contracts(client, session, contracts):
    operator = factories.user(session, Role.operator)
    session.commit()
    log_in(client, operator)
    form = {"leg": "return", "zone": "other_province", "max_hours": "72", "legal_source": SOURCE, "note": "Đối chiếu"}
    asked = client.post("/contracts/limits", data=form)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 409
    assert "Xác nhận hạ giới hạn" in html and "HĐ-HIỆN-HÀNH" in html and "Sở Tư pháp" in html
    assert "Cam kết 96 giờ" in html and "HĐ-ĐÃ-HẾT" not in html and "HĐ-NHANH" not in html
    session.expire_all()
    assert national_limits(session)[(Leg.return_, Zone.other_province)].max_hours == 120
    confirm = re.search(r'name="confirm" value="([0-9,]+)"', html).group(1)
    assert confirm == str(contracts["current"].versions[0].id)
    saved = client.post("/contracts/limits", data={**form, "confirm": confirm})
    assert saved.status_code == 302
    session.expire_all()
    limit = national_limits(session)[(Leg.return_, Zone.other_province)]
    assert (limit.max_hours, limit.note, limit.updated_by_id) == (72, "Đối chiếu", operator.id)


def test_a_forged_confirmation_saves_nothing(client, session, contracts):
    operator = factories.user(session, Role.operator)
    session.commit()
    log_in(client, operator)
    form = {"leg": "forward", "zone": "other_province", "max_hours": "50", "legal_source": SOURCE}
    for confirm in ("yes", "", "999999", f"{contracts['faster'].versions[0].id}"):
        assert client.post("/contracts/limits", data={**form, "confirm": confirm}).status_code == 409, confirm
    session.expire_all()
    assert national_limits(session)[(Leg.forward, Zone.other_province)].max_hours == 120


def test_the_command_lists_the_contracts_and_lowers_only_with_confirm(app, session, contracts):
    runner = app.test_cli_runner()
    arguments = ["contracts", "limits", "set", "forward", "same_province", "40", "--source", SOURCE]
    refused = runner.invoke(args=arguments)
    assert refused.exit_code == 1 and "HĐ-HIỆN-HÀNH v1 (Sở Tư pháp): 48 h" in refused.output
    session.expire_all()
    assert national_limits(session)[(Leg.forward, Zone.same_province)].max_hours == 48
    confirmed = runner.invoke(args=[*arguments, "--confirm"])
    assert confirmed.exit_code == 0, confirmed.output
    session.expire_all()
    assert national_limits(session)[(Leg.forward, Zone.same_province)].max_hours == 40
