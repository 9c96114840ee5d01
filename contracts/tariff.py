"""Postage (cước) and surcharges of a contract version, itemised, in integer VND. No database here.

Rounding rules, in this one place:
- Every amount is a whole number of đồng; there is no smaller unit to carry.
- A percentage (the collection-on-behalf fee, VAT) is computed exactly as a fraction of integers
  and rounded HALF UP to the nearest đồng (``percent_of``). Nothing else is ever rounded.
- The collection-on-behalf fee is rounded first, then raised to the contract's minimum.
- VAT is computed ONCE on the sum of the post's taxable lines (postage of both legs, surcharges,
  the collection fee), not line by line, so lines and total always agree.
- The fee (lệ phí) is the agency's, passed through unchanged and never taxed by the post.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from contracts.models import Zone
from postal_gateway.core.domain import N_, InvalidInput


def percent_of(amount_vnd: int, basis_points: int) -> int:
    """``amount × basis_points / 10 000``, rounded half up to the đồng (amounts are never negative)."""
    if amount_vnd < 0 or basis_points < 0:
        raise ValueError("amounts and rates are never negative")
    return (amount_vnd * basis_points * 2 + 10_000) // 20_000


@dataclass(frozen=True)
class Band:
    zone: Zone
    max_grams: int
    price_vnd: int


@dataclass(frozen=True)
class Terms:
    """What a contract version says about money, as plain values."""

    bands: tuple[Band, ...]
    home_pickup_vnd: int = 0
    home_delivery_vnd: int = 0
    collection_fee_basis_points: int = 0
    collection_fee_min_vnd: int = 0
    vat_basis_points: int = 1000

    @classmethod
    def of_version(cls, version) -> "Terms":
        return cls(
            bands=tuple(Band(b.zone, b.max_grams, b.price_vnd) for b in version.postage_bands),
            home_pickup_vnd=version.home_pickup_vnd,
            home_delivery_vnd=version.home_delivery_vnd,
            collection_fee_basis_points=version.collection_fee_basis_points,
            collection_fee_min_vnd=version.collection_fee_min_vnd,
            vat_basis_points=version.vat_basis_points,
        )


@dataclass(frozen=True)
class QuoteLine:
    #: stable key: postage_forward, postage_return, home_pickup, home_delivery, collection_fee, vat, fee
    code: str
    #: translatable label
    label: str
    amount_vnd: int
    #: "post" (cước) or "agency" (lệ phí)
    owed_to: str = "post"
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Itemised:
    lines: tuple[QuoteLine, ...]

    def amount(self, code: str) -> int:
        return sum(line.amount_vnd for line in self.lines if line.code == code)

    @property
    def postage_total_vnd(self) -> int:
        """Everything owed to the post, VAT included: what the worker collects as postage."""
        return sum(line.amount_vnd for line in self.lines if line.owed_to == "post")

    @property
    def fee_vnd(self) -> int:
        return sum(line.amount_vnd for line in self.lines if line.owed_to == "agency")

    @property
    def total_vnd(self) -> int:
        return self.postage_total_vnd + self.fee_vnd


def band_price(bands: Iterable[Band], zone: Zone, weight_grams: int) -> int:
    """The price of the lightest band of the zone that holds the weight."""
    fitting = sorted((b for b in bands if b.zone is zone and weight_grams <= b.max_grams), key=lambda b: b.max_grams)
    if not fitting:
        heaviest = max((b.max_grams for b in bands if b.zone is zone), default=0)
        raise InvalidInput.on_field(
            "weight_grams",
            N_("Khối lượng %(weight)s g vượt nấc cước lớn nhất của vùng %(zone)s (%(max)s g)."),
            weight=weight_grams, zone=zone.value, max=heaviest,
        )
    return fitting[0].price_vnd


def itemise(
    terms: Terms,
    *,
    forward_zone: Zone,
    return_zone: Zone | None,
    weight_grams: int,
    home_pickup: bool,
    home_delivery: bool,
    fee_vnd: int,
    fee_collected_on_behalf: bool,
) -> Itemised:
    """The itemised postage of one dossier: both legs, surcharges, the collection fee, VAT, and
    the agency's fee. ``return_zone`` None means the result is collected at the agency (no return leg)."""
    if isinstance(weight_grams, bool) or not isinstance(weight_grams, int) or weight_grams <= 0:
        raise InvalidInput.on_field("weight_grams", N_("Khối lượng phải là số gam nguyên dương."))
    if isinstance(fee_vnd, bool) or not isinstance(fee_vnd, int) or fee_vnd < 0:
        raise InvalidInput.on_field("fee_vnd", N_("Lệ phí phải là số nguyên đồng (VND) không âm."))
    lines = [
        QuoteLine("postage_forward", N_("Cước chiều gửi hồ sơ (%(zone)s)"),
                  band_price(terms.bands, forward_zone, weight_grams), params={"zone": forward_zone.value}),
    ]
    if return_zone is not None:
        lines.append(QuoteLine("postage_return", N_("Cước chiều trả kết quả (%(zone)s)"),
                               band_price(terms.bands, return_zone, weight_grams), params={"zone": return_zone.value}))
    if home_pickup and terms.home_pickup_vnd:
        lines.append(QuoteLine("home_pickup", N_("Phụ thu nhận hồ sơ tại nhà"), terms.home_pickup_vnd))
    if home_delivery and terms.home_delivery_vnd:
        lines.append(QuoteLine("home_delivery", N_("Phụ thu trả kết quả tại nhà"), terms.home_delivery_vnd))
    if fee_collected_on_behalf and fee_vnd > 0:
        collection_fee = max(percent_of(fee_vnd, terms.collection_fee_basis_points), terms.collection_fee_min_vnd)
        if collection_fee:
            lines.append(QuoteLine("collection_fee", N_("Phí thu hộ lệ phí"), collection_fee))
    taxable = sum(line.amount_vnd for line in lines)
    vat = percent_of(taxable, terms.vat_basis_points)
    if vat:
        lines.append(QuoteLine("vat", N_("Thuế GTGT %(rate)s%%"), vat, params={"rate": _rate_text(terms.vat_basis_points)}))
    if fee_vnd:
        lines.append(QuoteLine("fee", N_("Lệ phí (nộp cho cơ quan)"), fee_vnd, owed_to="agency"))
    return Itemised(tuple(lines))


def _rate_text(basis_points: int) -> str:
    whole, rest = divmod(basis_points, 100)
    return f"{whole}" if not rest else f"{whole},{rest:02d}".rstrip("0")
