"""Loading the packages' units into our tables, and saying what a package bump changed.

``refresh_units`` is idempotent: a second run with the same packages changes nothing and reports
nothing. A unit missing from a newer package is marked retired, never deleted (records keep their codes).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.places.models import AdminCommune, AdminProvince, UnitsRefresh
from contracts.places.units import catalogue, package_versions


@dataclass
class RefreshReport:
    versions: dict[str, str]
    added: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    provinces: int = 0
    communes: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.renamed or self.moved or self.retired)

    def lines(self) -> list[str]:
        head = ", ".join(f"{name} {version}" for name, version in sorted(self.versions.items()))
        lines = [f"units from {head}: {self.provinces} provinces, {self.communes} communes"]
        lines.append(
            f"added {len(self.added)}, renamed {len(self.renamed)}, moved {len(self.moved)}, "
            f"retired {len(self.retired)}"
        )
        for kind, items in (("added", self.added), ("renamed", self.renamed), ("moved", self.moved),
                            ("retired", self.retired)):
            lines.extend(f"  {kind}: {item}" for item in items)
        return lines


def refresh_units(session: Session, *, now: datetime) -> RefreshReport:
    """Upsert provinces and communes from the installed packages; returns (and records) what changed."""
    units = catalogue()
    report = RefreshReport(package_versions())
    provinces = {row.code: row for row in session.scalars(select(AdminProvince))}
    for code, province in units.provinces.items():
        row = provinces.get(code)
        if row is None:
            session.add(AdminProvince(code=code, name=province.name, division_type=province.division_type,
                                      latitude=province.latitude, longitude=province.longitude))
            report.added.append(f"province {code} {province.name}")
            continue
        if row.name != province.name:
            report.renamed.append(f"province {code}: {row.name} -> {province.name}")
        row.name, row.division_type, row.retired = province.name, province.division_type, False
        row.latitude, row.longitude = province.latitude, province.longitude
    for code, row in provinces.items():
        if code not in units.provinces and not row.retired:
            row.retired = True
            report.retired.append(f"province {code} {row.name}")
    session.flush()
    communes = {row.code: row for row in session.scalars(select(AdminCommune))}
    for code, commune in units.communes.items():
        row = communes.get(code)
        if row is None:
            session.add(AdminCommune(code=code, province_code=commune.province_code, name=commune.name,
                                     division_type=commune.division_type, latitude=commune.latitude,
                                     longitude=commune.longitude))
            report.added.append(f"commune {code} {commune.name}")
            continue
        if row.name != commune.name:
            report.renamed.append(f"commune {code}: {row.name} -> {commune.name}")
        if row.province_code != commune.province_code:
            report.moved.append(f"commune {code} {commune.name}: province {row.province_code} -> "
                                f"{commune.province_code}")
        row.name, row.province_code, row.division_type, row.retired = (
            commune.name, commune.province_code, commune.division_type, False)
        row.latitude, row.longitude = commune.latitude, commune.longitude
    for code, row in communes.items():
        if code not in units.communes and not row.retired:
            row.retired = True
            report.retired.append(f"commune {code} {row.name}")
    report.provinces, report.communes = len(units.provinces), len(units.communes)
    if report.changed:
        session.add(UnitsRefresh(refreshed_at=now, package_versions=report.versions, added=len(report.added),
                                 renamed=len(report.renamed), moved=len(report.moved),
                                 retired=len(report.retired),
                                 changes=(report.added + report.renamed + report.moved + report.retired)[:5000]))
    session.flush()
    return report
