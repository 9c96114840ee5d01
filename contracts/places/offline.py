"""The compact JSON of units the intake page's pickers read offline, generated from the packages.

``postal_gateway/static/places/units.json`` is committed (no build step): regenerate it with
``flask contracts units --write-json`` after a package bump; a test fails while it is stale.
Shape: {"source": "...", "p": [[code, name], ...], "c": {province code: [[code, name], ...]}},
communes by name within their province.
"""
from __future__ import annotations

import json
from pathlib import Path

from contracts.places.units import catalogue, package_versions

STATIC_FILE = Path(__file__).resolve().parents[2] / "postal_gateway" / "static" / "places" / "units.json"


def units_json() -> str:
    units = catalogue()
    versions = package_versions()
    body = {
        "source": f"vietnam-provinces {versions['vietnam-provinces']}",
        "p": [[code, province.name] for code, province in sorted(units.provinces.items(),
                                                                   key=lambda item: item[1].name)],
        "c": {code: [[commune, units.communes[commune].name] for commune in communes]
              for code, communes in sorted(units.by_province.items())},
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_units_json(path: Path = STATIC_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(units_json(), encoding="utf-8")
    return path
