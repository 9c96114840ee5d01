"""The lookup page's QR code: drawn once per link and process, and painting exactly the code's dark modules."""
from __future__ import annotations

import re

from postal_gateway.core.pdf import qr_matrix
from postal_gateway.lookup import controllers


def _painted(svg: str, size: int) -> set[tuple[int, int]]:
    cells = set()
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        cells.update((int(x) + dx, int(y)) for dx in range(int(width)))
    return cells


def test_the_svg_paints_the_dark_modules_and_nothing_else():
    text = "https://tracuu.example.vn/tra-cuu?ma=000.00.20.H10-261207-0001"
    matrix = qr_matrix(text)
    dark = {(x, y) for y, row in enumerate(matrix) for x, cell in enumerate(row) if cell}
    assert _painted(str(controllers.qr_svg(text)), len(matrix)) == dark
    assert f'viewBox="0 0 {len(matrix)} {len(matrix)}"' in controllers.qr_svg(text)


def test_the_same_link_is_drawn_once():
    controllers._qr_svg.cache_clear()
    for _ in range(3):
        controllers.qr_svg("https://tracuu.example.vn/tra-cuu?ma=BT000000001VN")
    info = controllers._qr_svg.cache_info()
    assert (info.misses, info.hits) == (1, 2)
