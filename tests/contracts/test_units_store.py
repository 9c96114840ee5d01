"""Units stored with their codes, refreshed from the packages with a report of what changed; the pickers'
committed JSON matches the installed packages."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import func, select

from contracts.places import units
from contracts.places.models import AdminCommune, AdminProvince, UnitsRefresh
from contracts.places.offline import STATIC_FILE, units_json
from contracts.places.store import refresh_units

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)


def test_units_are_loaded_once_and_a_package_bump_reports_what_changed(session):
    first = refresh_units(session, now=NOW)
    assert first.provinces == 34 and len(first.added) == 34 + len(units.communes())
    assert session.scalar(select(func.count()).select_from(AdminCommune)) == len(units.communes())
    assert session.get(AdminProvince, "75").name == "Đồng Nai"
    again = refresh_units(session, now=NOW)
    assert not again.changed and session.scalar(select(func.count()).select_from(UnitsRefresh)) == 1

    # what a newer package would look like from the database's side: a renamed unit, a unit it no longer
    # has (kept, marked retired: records may refer to it), one moved, one new
    session.get(AdminCommune, "25210").name = "Phường Đồng Xoài Cũ"
    session.get(AdminCommune, "25195").province_code = "79"
    session.add(AdminCommune(code="99990", province_code="75", name="Xã Đã Bỏ", division_type="xã"))
    session.delete(session.get(AdminCommune, "25222"))
    session.flush()
    bump = refresh_units(session, now=NOW)
    assert bump.renamed == ["commune 25210: Phường Đồng Xoài Cũ -> Phường Đồng Xoài"]
    assert bump.moved == ["commune 25195 Phường Bình Phước: province 79 -> 75"]
    assert bump.retired == ["commune 99990 Xã Đã Bỏ"] and bump.added == ["commune 25222 Xã Bù Gia Mập"]
    assert session.get(AdminCommune, "99990").retired
    recorded = session.scalars(select(UnitsRefresh).order_by(UnitsRefresh.id.desc())).first()
    assert (recorded.added, recorded.renamed, recorded.moved, recorded.retired) == (1, 1, 1, 1)
    assert "renamed 1" in "\n".join(bump.lines())


def test_the_committed_pickers_json_is_the_packages():
    assert STATIC_FILE.read_text(encoding="utf-8") == units_json(), "run: flask contracts units --write-json"
    data = json.loads(units_json())
    assert len(data["p"]) == 34 and sum(len(items) for items in data["c"].values()) == len(units.communes())
    assert ["25210", "Phường Đồng Xoài"] in data["c"]["75"]
