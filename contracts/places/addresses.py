"""Free-text addresses, in the new two-level form or the old three-level one, placed into codes.

"Số 1 Trần Hưng Đạo, phường Đồng Xoài, tỉnh Đồng Nai" (since 1 July 2025) and "Số 1 Trần Hưng Đạo,
P. Tân Phú, TP. Đồng Xoài, Bình Phước" (before) both give province 75 and the commune code of Phường
Đồng Xoài; the second with a note that it was converted (Nghị quyết 202/2025/QH15 merged Bình Phước into
Đồng Nai; the communes were rearranged by the Standing Committee's resolutions of June 2025).

How: the address is cut at its commas (or, without commas, before the words that start a unit: "xã",
"phường", "huyện", "tỉnh"...), abbreviations are expanded ("P.", "Q.", "TX", "TP", "TT"), and each part is
looked up, from the right, among the keywords (names with and without accents, short names and aliases)
that ``vietnamadminunits`` keeps for the new and the old units. A district names an old-form address:
its commune is converted by the package's 63→34 mapping. A commune split between two new ones gives
candidates (the person asks which), never a guess. A small typo in a commune's name is corrected against
the province's communes when exactly one name is close. ``vietnamadminunits.parse_address`` itself is
not used: it matches names inside other names ("Phú Hội" read as "Phú Hồ") and its converter looks up
split communes over the network.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from contracts.places.units import catalogue, fold, key_of
from postal_gateway.core.domain import N_, FieldError, InvalidInput

#: words that start a unit in an address, longest first (folded)
_UNIT_WORDS = ("thanh pho", "thi tran", "thi xa", "dac khu", "phuong", "huyen", "tinh", "quan", "xa")
#: abbreviations at the start of a part (folded, dots gone): "p 15", "tp dong xoai", "tx binh long"
_ABBREVIATIONS = (
    (re.compile(r"^tp\s*(?=[a-z])"), "thanh pho "),
    (re.compile(r"^tx\s*(?=[a-z])"), "thi xa "),
    (re.compile(r"^tt\s*(?=[a-z])"), "thi tran "),
    (re.compile(r"^p\s*(?=\d)|^p\s+"), "phuong "),
    (re.compile(r"^q\s*(?=\d)|^q\s+"), "quan "),
    (re.compile(r"^h\s+"), "huyen "),
    (re.compile(r"^x\s+"), "xa "),
)
_TYPE_PREFIX = re.compile(r"^(thanh pho|thi tran|thi xa|dac khu|phuong|huyen|tinh|quan|xa)\s+(?=\S)")


@dataclass(frozen=True)
class PlacedAddress:
    """Where an address is on the two-level map."""

    province_code: str
    #: "" when the address names a province only, or when it is ambiguous (see ``candidates``)
    commune_code: str
    #: what comes before the commune: house number, street, hamlet
    street: str = ""
    #: "new" (two levels, since 1 July 2025) or "old" (with a district, converted)
    form: str = "new"
    #: new commune codes the address may mean, when it cannot tell (a split commune, a district alone)
    candidates: tuple[str, ...] = ()
    #: what the person should know: conversions, corrections; (message id, params)
    notes: tuple[tuple[str, dict], ...] = field(default=())
    #: the text as written
    written: str = ""

    @property
    def ambiguous(self) -> bool:
        return not self.commune_code and len(self.candidates) > 1

    def label(self) -> str:
        """"Phường Đồng Xoài, Đồng Nai" in today's names."""
        units = catalogue()
        province = units.provinces[self.province_code].name
        if self.commune_code:
            return f"{units.communes[self.commune_code].name}, {province}"
        return province


def _parts(text: str) -> list[str]:
    raw = [part.strip() for part in re.split(r"[,;\n]+", text) if part.strip()]
    if len(raw) > 1:
        return raw
    # one piece: cut before each word that starts a unit ("Phường Bến Thành Quận 1 TP HCM")
    folded = fold(text)
    pieces = [piece.strip() for piece in
              re.split(r"\s(?=(?:" + "|".join(_UNIT_WORDS) + r"|tp|tx|tt|p|q)\s)", f" {folded}") if piece.strip()]
    if pieces:  # a province written last without its word: "phường Hoàn Kiếm Hà Nội"
        new_provinces, old_provinces = _indexes()[:2]
        words = pieces[-1].split()
        for size in range(min(4, len(words) - 1), 0, -1):
            tail = "".join(words[-size:])
            if tail in new_provinces or tail in old_provinces:
                pieces[-1:] = [" ".join(words[:-size]), " ".join(words[-size:])]
                break
    return pieces or raw


def _variants(part: str) -> list[str]:
    """Keys to try for a part, most specific first: with its unit word, then without."""
    folded = fold(part)
    for pattern, replacement in _ABBREVIATIONS:
        folded = pattern.sub(replacement, folded, count=1)
    keys = [folded.replace(" ", "")]
    bare = _TYPE_PREFIX.sub("", folded)
    if bare != folded:
        keys.append(bare.replace(" ", ""))
    return keys


def _typed(part: str) -> bool:
    folded = fold(part)
    for pattern, replacement in _ABBREVIATIONS:
        folded = pattern.sub(replacement, folded, count=1)
    return bool(_TYPE_PREFIX.match(folded))


@lru_cache(maxsize=1)
def _indexes():
    units = catalogue()
    new_provinces: dict[str, set[str]] = {}
    for code, words in units.province_keywords.items():
        for word in words:
            new_provinces.setdefault(word, set()).add(code)
    old_provinces: dict[str, set[str]] = {}
    for code, (_name, words, _new) in units.legacy_provinces.items():
        for word in (*words, key_of(_name)):
            old_provinces.setdefault(word, set()).add(code)
    communes: dict[str, dict[str, set[str]]] = {}
    for code, words in units.commune_keywords.items():
        province = units.communes[code].province_code
        for word in words:
            communes.setdefault(province, {}).setdefault(word, set()).add(code)
    nationwide: dict[str, set[str]] = {}
    for province_words in communes.values():
        for word, codes in province_words.items():
            nationwide.setdefault(word, set()).update(codes)
    districts: dict[str, dict[str, set[str]]] = {}
    for code, district in units.legacy_districts.items():
        for word in (*district.keywords, key_of(district.name)):
            districts.setdefault(district.province_code, {}).setdefault(word, set()).add(code)
    wards: dict[str, dict[str, set[str]]] = {}
    for code, ward in units.legacy_wards.items():
        for word in (*ward.keywords, key_of(ward.name)):
            wards.setdefault(ward.district_code, {}).setdefault(word, set()).add(code)
    old_province_of_district = {code: d.province_code for code, d in units.legacy_districts.items()}
    return new_provinces, old_provinces, communes, nationwide, districts, wards, old_province_of_district


def _lookup(part: str, index: dict[str, set[str]]) -> set[str]:
    for key in _variants(part):
        if key in index:
            return set(index[key])
    return set()


class AddressNotPlaced(InvalidInput):
    """The address names no province or no commune we can find; ``part`` is the words that failed."""

    def __init__(self, field_name: str, message: str, *, part: str, candidates: tuple[str, ...] = (),
                 **params) -> None:
        super().__init__(message, field_errors=[FieldError(field_name, message, {"part": part, **params})],
                         params={"part": part, **params})
        self.part = part
        self.candidates = candidates


def place_address(text: str, *, field: str = "address") -> PlacedAddress:
    """Province and commune codes of a free-text address (old or new form); see the module docstring.

    Raises AddressNotPlaced naming the part that failed. An ambiguous address is returned with
    ``candidates`` and no commune: the caller asks which.
    """
    units = catalogue()
    new_provinces, old_provinces, communes_index, nationwide, districts, wards, district_province = _indexes()
    written = (text or "").strip()
    parts = _parts(written)
    if not parts:
        raise AddressNotPlaced(field, N_("Vui lòng nhập địa chỉ."), part="")
    notes: list[tuple[str, dict]] = []

    # 1. the province, from the right
    province_code, old_province_codes, province_index = "", [], None
    for index in range(len(parts) - 1, -1, -1):
        old = _lookup(parts[index], old_provinces)
        new = _lookup(parts[index], new_provinces)
        if not old and not new:
            continue
        if old and not new:  # a province that no longer exists: merged into a new one
            old_code = sorted(old)[0]
            name, _words, province_code = units.legacy_provinces[old_code]
            old_province_codes = [old_code]
            notes.append((N_("%(old)s nay thuộc %(new)s (sắp xếp đơn vị hành chính từ 01/7/2025)."),
                          {"old": name, "new": units.provinces[province_code].name}))
        else:
            province_code = sorted(new)[0]
            old_province_codes = [code for code, (_n, _w, new_code) in units.legacy_provinces.items()
                                  if new_code == province_code]
        province_index = index
        break
    if province_index is None:
        guess = _close(parts[-1], {word: codes for word, codes in new_provinces.items() if len(word) > 3})
        if guess:
            province_code = guess
            province_index = len(parts) - 1
            old_province_codes = [code for code, (_n, _w, new_code) in units.legacy_provinces.items()
                                  if new_code == province_code]
            notes.append((N_("Đã hiểu \"%(written)s\" là %(name)s."),
                          {"written": parts[-1], "name": units.provinces[province_code].name}))
    rest = parts[:province_index] if province_index is not None else parts
    if province_index == 0 and len(parts) > 1:  # written from the province down: "TP HCM, Quận 1, P. Bến Nghé"
        rest = list(reversed(parts[1:]))

    if province_index is None:
        # no province named: a commune whose name is unique in the country still places it
        for index in range(len(rest) - 1, -1, -1):
            found = _lookup(rest[index], nationwide)
            if len(found) == 1:
                code = found.pop()
                return PlacedAddress(units.communes[code].province_code, code, ", ".join(rest[:index]),
                                     notes=tuple(notes), written=written)
        raise AddressNotPlaced(
            field, N_("Không xác định được tỉnh/thành phố trong địa chỉ (phần \"%(part)s\"). "
                      "Vui lòng ghi rõ xã/phường và tỉnh/thành phố."), part=parts[-1])

    province_communes = communes_index.get(province_code, {})

    # 2. a district names an old three-level address
    for d_index in range(len(rest) - 1, -1, -1):
        found: set[str] = set()
        for old_code in old_province_codes:
            found |= _lookup(rest[d_index], districts.get(old_code, {}))
        if len(found) != 1:
            continue
        district_code = found.pop()
        if _lookup(rest[d_index], province_communes) and not _district_word(rest[d_index]):
            # "Tân Bình" is a district of old and a ward of today: old only if an old ward of it comes before
            left = rest[d_index - 1] if d_index else ""
            if not left or not _lookup(left, wards.get(district_code, {})) or _lookup(left, province_communes):
                continue
        district = units.legacy_districts[district_code]
        replacing = units.district_communes.get(district_code, ())
        for w_index in range(d_index - 1, -1, -1):
            ward_codes = _lookup(rest[w_index], wards.get(district_code, {}))
            if not ward_codes:
                # a new commune's name written with the old district ("xã Phú Riềng, huyện Phú Riềng")
                new_codes = _lookup(rest[w_index], province_communes) & set(replacing)
                if len(new_codes) == 1:
                    return PlacedAddress(province_code, new_codes.pop(), ", ".join(rest[:w_index]), "old",
                                         notes=tuple(notes), written=written)
                continue
            ward = units.legacy_wards[sorted(ward_codes)[0]]
            conversion = units.conversions.get(ward.code)
            street = ", ".join(rest[:w_index])
            notes.append((N_("Địa chỉ cũ (%(ward)s, %(district)s, %(province)s) đã được chuyển sang đơn vị hành "
                             "chính mới."), {"ward": ward.name, "district": district.name,
                                              "province": district.province_name}))
            if conversion is None or not conversion.communes:
                raise AddressNotPlaced(field, N_("Không tìm thấy xã/phường mới thay cho \"%(part)s\"."),
                                       part=rest[w_index])
            if len(conversion.communes) == 1:
                return PlacedAddress(province_code, conversion.communes[0], street, "old",
                                     notes=tuple(notes), written=written)
            notes.append((N_("%(ward)s đã được chia cho nhiều xã/phường mới: vui lòng chọn một."),
                          {"ward": ward.name}))
            return PlacedAddress(province_code, "", street, "old", candidates=conversion.communes,
                                 notes=tuple(notes), written=written)
        # the district alone: the communes that replaced it
        notes.append((N_("%(district)s không còn từ 01/7/2025: vui lòng chọn xã/phường mới."),
                      {"district": district.name}))
        if len(replacing) == 1:
            return PlacedAddress(province_code, replacing[0], ", ".join(rest[:d_index]), "old",
                                 notes=tuple(notes), written=written)
        return PlacedAddress(province_code, "", ", ".join(rest[:d_index]), "old", candidates=replacing,
                             notes=tuple(notes), written=written)

    # 3. a commune of the new map
    for index in range(len(rest) - 1, -1, -1):
        found = _lookup(rest[index], province_communes)
        if not found:
            continue
        street = ", ".join(rest[:index])
        if len(found) == 1:
            return PlacedAddress(province_code, found.pop(), street, notes=tuple(notes), written=written)
        ordered = tuple(sorted(found, key=lambda code: units.communes[code].name))
        notes.append((N_("Có nhiều xã/phường tên \"%(part)s\": vui lòng chọn một."), {"part": rest[index]}))
        return PlacedAddress(province_code, "", street, candidates=ordered, notes=tuple(notes), written=written)

    # 4. an old commune named without its district
    for index in range(len(rest) - 1, -1, -1):
        if not _typed(rest[index]):
            continue
        converted: set[str] = set()
        for district_code, ward_index in wards.items():
            if district_province.get(district_code) not in old_province_codes:
                continue
            for ward_code in _lookup(rest[index], ward_index):
                conversion = units.conversions.get(ward_code)
                converted.update(conversion.communes if conversion else ())
        if not converted:
            continue
        street = ", ".join(rest[:index])
        notes.append((N_("\"%(part)s\" là tên xã/phường cũ, đã được chuyển sang đơn vị hành chính mới."),
                      {"part": rest[index]}))
        if len(converted) == 1:
            return PlacedAddress(province_code, converted.pop(), street, "old", notes=tuple(notes), written=written)
        ordered = tuple(sorted(converted, key=lambda code: units.communes[code].name))
        return PlacedAddress(province_code, "", street, "old", candidates=ordered, notes=tuple(notes),
                             written=written)

    # 5. a typo in the commune's name
    for index in range(len(rest) - 1, -1, -1):
        guess = _close(rest[index], province_communes)
        if guess:
            notes.append((N_("Đã hiểu \"%(written)s\" là %(name)s."),
                          {"written": rest[index], "name": units.communes[guess].name}))
            return PlacedAddress(province_code, guess, ", ".join(rest[:index]), notes=tuple(notes), written=written)

    if rest and _typed(rest[-1]):
        raise AddressNotPlaced(
            field, N_("Không tìm thấy xã/phường \"%(part)s\" ở %(province)s."), part=rest[-1],
            province=units.provinces[province_code].name)
    return PlacedAddress(province_code, "", ", ".join(rest), notes=tuple(notes), written=written)


def _district_word(part: str) -> bool:
    """The part starts with a district's word: huyện, quận, thị xã or thành phố (thuộc tỉnh)."""
    return bool(re.match(r"^(huyen|quan|thi xa|thanh pho|tx|tp|q|h)\b", fold(part)))


def _close(part: str, index: dict[str, set[str]]) -> str | None:
    """The one code whose keyword is close to the part (a typo), or None."""
    best: set[str] = set()
    for key in _variants(part):
        if len(key) < 5:
            continue
        matches = difflib.get_close_matches(key, list(index), n=3, cutoff=0.86)
        for match in matches:
            best |= index[match]
        if best:
            break
    return next(iter(best)) if len(best) == 1 else None


def choose(placed: PlacedAddress, commune_code: str, *, field: str = "commune_code") -> PlacedAddress:
    """The person picked one of the candidates (or any commune of the province for a province-only address)."""
    units = catalogue()
    commune = units.communes.get(commune_code or "")
    allowed = placed.candidates or tuple(units.by_province.get(placed.province_code, ()))
    if commune is None or commune.code not in allowed:
        raise InvalidInput.on_field(field, N_("Xã/phường %(code)s không nằm trong các lựa chọn của địa chỉ này."),
                                    code=(commune_code or "?")[:8])
    return PlacedAddress(placed.province_code, commune.code, placed.street, placed.form, (), placed.notes,
                         placed.written)
