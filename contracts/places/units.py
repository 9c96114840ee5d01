"""Vietnam's administrative units after 1 July 2025 (two levels), and the units before it, as data.

Sources, both pinned in requirements.txt and read, never edited by hand:

- ``vietnam-provinces``: the statistics office's codes and names of the 34 provinces and about 3,300
  communes, wards and special zones (Nghị quyết 202/2025/QH15 and the Standing Committee's resolutions
  of June 2025). Its codes are the ones we store.
- ``vietnamadminunits`` (MIT): its dataset carries the centroid (latitude, longitude) of every new commune
  and province, the units before the change (63 provinces, districts, communes, with their keywords and
  aliases) and the 63→34 mapping of every old commune to the new one(s) that replaced it. Its codes for a
  hundred or so new wards differ from the statistics office's, so its rows are joined on (province code,
  name), never on its ward code.

Everything is read once per process from the installed packages; nothing here touches the network.
"""
from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from geopy.distance import geodesic
from vietnam_provinces import Province as VPProvince
from vietnam_provinces import Ward as VPWard


def fold(text: str) -> str:
    """Lower-case ASCII words: "Đồng  Xoài –" -> "dong xoai"."""
    text = (text or "").replace("Đ", "D").replace("đ", "d")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def key_of(text: str) -> str:
    """The packages' lookup key: folded, no spaces ("Phường Đồng Xoài" -> "phuongdongxoai")."""
    return fold(text).replace(" ", "")


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    #: "tỉnh" or "thành phố trung ương"
    division_type: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Commune:
    """A xã, phường or đặc khu of the two-level map."""

    code: str
    name: str
    province_code: str
    #: "xã", "phường" or "đặc khu"
    division_type: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class LegacyDistrict:
    """A district (huyện, quận, thị xã, thành phố thuộc tỉnh) as it was before 1 July 2025."""

    code: str
    name: str
    province_code: str
    province_name: str
    key: str
    keywords: tuple[str, ...]
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class LegacyWard:
    code: str
    name: str
    district_code: str
    key: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Conversion:
    """The new commune(s) an old commune became: one, or several when it was split."""

    communes: tuple[str, ...]
    #: the new commune the package marks as taking most of the old one (a split commune), or ""
    default: str = ""


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name} is not installed (see requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def package_versions() -> dict[str, str]:
    """The installed versions of both data packages (recorded with the units we store)."""
    return {name: version(name) for name in ("vietnam-provinces", "vietnamadminunits")}


def _keywords(raw: str | None) -> tuple[str, ...]:
    return tuple(json.loads(raw)) if raw else ()


@dataclass(frozen=True)
class Catalogue:
    provinces: dict[str, Province]
    communes: dict[str, Commune]
    #: province code -> its communes' codes, by name
    by_province: dict[str, tuple[str, ...]]
    #: new province code -> keywords naming it (names, short names, aliases)
    province_keywords: dict[str, tuple[str, ...]]
    #: new commune code -> keywords naming it
    commune_keywords: dict[str, tuple[str, ...]]
    #: old province code -> (name, keywords, new province code)
    legacy_provinces: dict[str, tuple[str, tuple[str, ...], str]]
    legacy_districts: dict[str, LegacyDistrict]
    legacy_wards: dict[str, LegacyWard]
    #: old commune code -> what it became
    conversions: dict[str, Conversion]
    #: old district code -> the new communes that took its communes, by code
    district_communes: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """Both packages' data, joined on codes and names; read once."""
    data_dir = _package_dir("vietnamadminunits") / "data"
    with sqlite3.connect(f"file:{data_dir / 'dataset.db'}?mode=ro", uri=True) as connection:
        connection.row_factory = sqlite3.Row
        new_rows = [dict(row) for row in connection.execute("SELECT * FROM admin_units")]
        old_rows = [dict(row) for row in connection.execute("SELECT * FROM admin_units_legacy")]
    converter = json.loads((data_dir / "converter_2025.json").read_text(encoding="utf-8"))

    provinces: dict[str, Province] = {}
    position = {row["provinceCode"]: (row["provinceLat"], row["provinceLon"]) for row in new_rows}
    for item in VPProvince.iter_all():
        code = f"{int(item.code):02d}"
        latitude, longitude = position.get(code, (None, None))
        provinces[code] = Province(code, item.name, item.division_type.value, latitude, longitude)

    # the other package's rows by (province, folded name): its ward codes are not all the office's
    new_by_name = {(row["provinceCode"], fold(row["ward"])): row for row in new_rows}
    communes: dict[str, Commune] = {}
    commune_keywords: dict[str, tuple[str, ...]] = {}
    by_province: dict[str, list[Commune]] = {code: [] for code in provinces}
    #: (the other package's province key, ward key) -> our code
    by_package_key: dict[tuple[str, str], str] = {}
    for item in VPWard.iter_all():
        code, province_code = f"{int(item.code):05d}", f"{int(item.province_code):02d}"
        row = new_by_name.get((province_code, fold(item.name)))
        commune = Commune(
            code, item.name, province_code, item.division_type.value,
            row["wardLat"] if row else None, row["wardLon"] if row else None,
        )
        communes[code] = commune
        by_province[province_code].append(commune)
        keywords = {key_of(item.name), key_of(item.name.split(" ", 1)[-1])}
        if row:
            keywords.update(_keywords(row["wardKeywords"]))
            by_package_key[(row["provinceKey"], row["wardKey"])] = code
        commune_keywords[code] = tuple(sorted(keywords))

    province_keywords: dict[str, set[str]] = {code: {key_of(p.name)} for code, p in provinces.items()}
    new_province_key: dict[str, str] = {}
    for row in new_rows:
        province_keywords[row["provinceCode"]].update(_keywords(row["provinceKeywords"]))
        new_province_key[row["provinceKey"]] = row["provinceCode"]

    # before 1 July 2025
    merged_into = {old: new_province_key[new] for new, olds in converter["DICT_PROVINCE"].items() for old in olds}
    legacy_provinces: dict[str, tuple[str, tuple[str, ...], str]] = {}
    legacy_districts: dict[str, LegacyDistrict] = {}
    legacy_wards: dict[str, LegacyWard] = {}
    old_ward_by_key: dict[str, str] = {}
    old_district_by_key: dict[str, str] = {}
    for row in old_rows:
        if row["provinceCode"] not in legacy_provinces:
            legacy_provinces[row["provinceCode"]] = (
                row["province"], _keywords(row["provinceKeywords"]), merged_into[row["provinceKey"]],
            )
        district_key = f"{row['provinceKey']}_{row['districtKey']}"
        if row["districtCode"] not in legacy_districts:
            legacy_districts[row["districtCode"]] = LegacyDistrict(
                row["districtCode"], row["district"], row["provinceCode"], row["province"], district_key,
                _keywords(row["districtKeywords"]), row["districtLat"], row["districtLon"],
            )
            old_district_by_key[district_key] = row["districtCode"]
        if row["wardCode"]:
            ward_key = f"{district_key}_{row['wardKey']}"
            legacy_wards[row["wardCode"]] = LegacyWard(
                row["wardCode"], row["ward"], row["districtCode"], ward_key, _keywords(row["wardKeywords"]),
            )
            old_ward_by_key[ward_key] = row["wardCode"]

    conversions: dict[str, Conversion] = {}
    district_communes: dict[str, set[str]] = {}

    def record(old_key: str, new_codes: list[str], default: str = "") -> None:
        province_key, district_key, ward_key = old_key.split("_")
        district_code = old_district_by_key.get(f"{province_key}_{district_key}")
        if district_code:
            district_communes.setdefault(district_code, set()).update(new_codes)
        ward_code = old_ward_by_key.get(old_key) if ward_key else None
        if ward_code:
            known = conversions.get(ward_code)
            codes = tuple(sorted(set(new_codes) | set(known.communes if known else ())))
            conversions[ward_code] = Conversion(codes, default or (known.default if known else ""))

    for new_province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, old_keys in wards.items():
            code = by_package_key.get((new_province, new_ward))
            if code:
                for old_key in old_keys:
                    record(old_key, [code])
    for new_province, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, news in olds.items():
            codes = [by_package_key[(new_province, n["newWardKey"])] for n in news
                     if (new_province, n["newWardKey"]) in by_package_key]
            default = next((by_package_key.get((new_province, n["newWardKey"]), "") for n in news
                            if n["isDefaultNewWard"]), "")
            record(old_key, codes, default)

    def by_name(code: str) -> str:
        return fold(communes[code].name.split(" ", 1)[-1])

    return Catalogue(
        provinces=provinces,
        communes=communes,
        by_province={code: tuple(c.code for c in sorted(items, key=lambda c: fold(c.name.split(" ", 1)[-1])))
                     for code, items in by_province.items()},
        province_keywords={code: tuple(sorted(words)) for code, words in province_keywords.items()},
        commune_keywords=commune_keywords,
        legacy_provinces=legacy_provinces,
        legacy_districts=legacy_districts,
        legacy_wards=legacy_wards,
        conversions=conversions,
        district_communes={code: tuple(sorted(codes, key=by_name)) for code, codes in district_communes.items()},
    )


def provinces() -> dict[str, Province]:
    return catalogue().provinces


def communes() -> dict[str, Commune]:
    return catalogue().communes


def communes_of(province_code: str) -> list[Commune]:
    found = catalogue()
    return [found.communes[code] for code in found.by_province.get(province_code, ())]


def province_of(code: str) -> Province | None:
    return catalogue().provinces.get(code)


def commune_of(code: str) -> Commune | None:
    return catalogue().communes.get(code)


def new_province_for_legacy(code: str) -> str | None:
    """The province an old province code (63 provinces) now belongs to: "70" (Bình Phước) -> "75" (Đồng Nai)."""
    legacy = catalogue().legacy_provinces.get(code)
    return legacy[2] if legacy else None


def communes_replacing_district(district_code: str) -> tuple[str, ...]:
    """The new communes that took the communes of an old district (GSO district code), by name."""
    return catalogue().district_communes.get(district_code, ())


def seat_commune(district_code: str) -> str | None:
    """The new commune standing for an old district in a record that names only the district: the one that
    carries the district's name (usually its seat: "Thành phố Đồng Xoài" -> "Phường Đồng Xoài"), else the one
    nearest the district's centre."""
    found = catalogue()
    district = found.legacy_districts.get(district_code)
    codes = communes_replacing_district(district_code)
    if district is None or not codes:
        return None
    short = fold(district.name)
    for prefix in ("thanh pho ", "thi xa ", "huyen ", "quan "):
        if short.startswith(prefix):
            short = short[len(prefix):]
            break
    named = [code for code in codes if fold(found.communes[code].name.split(" ", 1)[-1]) == short]
    if len(named) == 1:
        return named[0]
    if district.latitude is None:
        return None
    positioned = [code for code in codes if found.communes[code].latitude is not None]
    return min(positioned, key=lambda code: geodesic(
        (district.latitude, district.longitude),
        (found.communes[code].latitude, found.communes[code].longitude)).km, default=None)
