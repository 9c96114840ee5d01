"""The PDF building blocks every printed document shares: the Vietnamese fonts, the QR code and the
page helpers (reportlab).

The slip (``postal_gateway.dossiers.slip_layout``), the apology letters (``postal_gateway.workbench.letters``)
and the payments reports draw with these; the public lookup page draws the same QR code as SVG.
"""
from __future__ import annotations

import functools
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

FONT_DIR = Path(__file__).resolve().parents[1] / "static" / "fonts"
FONT_REGULAR = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
#: the name of the marked-content block around the QR modules, so tests can find them
QR_MARK = "QRCode"

_font_lock = threading.Lock()
_fonts_registered = False


def register_fonts() -> None:
    """Register the vendored DejaVu Sans faces with reportlab, once per process."""
    global _fonts_registered
    with _font_lock:
        if _fonts_registered:
            return
        pdfmetrics.registerFont(TTFont(FONT_REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
        # <b> in paragraphs picks the bold face; there is no italic, so italics stay upright.
        pdfmetrics.registerFontFamily(
            FONT_REGULAR, normal=FONT_REGULAR, bold=FONT_BOLD, italic=FONT_REGULAR, boldItalic=FONT_BOLD
        )
        _fonts_registered = True


@functools.lru_cache(maxsize=64)
def qr_matrix(text: str) -> tuple[tuple[bool, ...], ...]:
    """The QR modules for ``text``, quiet zone included; True is a dark module."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())


def dark_runs(matrix: tuple[tuple[bool, ...], ...]) -> Iterator[tuple[int, int, int]]:
    """(row, first column, length) of each run of dark modules: a code drawn as a few rectangles per row, not one
    per module (the slip's PDF and the lookup page's SVG)."""
    for row_index, row in enumerate(matrix):
        column, count = 0, len(row)
        while column < count:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < count and row[column]:
                column += 1
            yield row_index, start, column - start


def story_height(story: list[Flowable], width: float) -> float:
    """How tall a roll page must be for the story to fit in one frame, with a little slack."""
    scratch = Canvas(io.BytesIO())
    total = 0.0
    for flowable in story:
        _, height = flowable.wrapOn(scratch, width, 10_000 * mm)
        total += height + flowable.getSpaceBefore() + flowable.getSpaceAfter()
    return total + 4 * mm


def page_numbers(label: str = ""):
    """A page callback for ``SimpleDocTemplate.build(onFirstPage=…, onLaterPages=…)`` writing "<label> n" at the
    right of each page's foot: long tables run over many pages and readers quote the page."""
    prefix = f"{label} " if label else ""

    def draw(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(FONT_REGULAR, 8)
        canvas.drawRightString(document.pagesize[0] - document.rightMargin, 6 * mm, f"{prefix}{document.page}")
        canvas.restoreState()

    return draw


class ShortRule(Flowable):
    """The short line under the issuer's name and the national motto."""

    def __init__(self, length: float) -> None:
        super().__init__()
        self.length = length
        self.hAlign = "CENTER"

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, 2

    def draw(self) -> None:
        self.canv.setLineWidth(0.6)
        start = (self.width - self.length) / 2
        self.canv.line(start, 1, start + self.length, 1)


class QrCode(Flowable):
    """QR modules drawn as vector rectangles (one per horizontal run), sharp at any print size."""

    def __init__(self, matrix: tuple[tuple[bool, ...], ...], size: float) -> None:
        super().__init__()
        self.matrix = matrix
        self.size = size
        self.width = self.height = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self) -> None:
        canvas = self.canv
        count = len(self.matrix)
        module = self.size / count
        canvas.saveState()
        canvas.addLiteral(f"/{QR_MARK} BMC")
        canvas.setFillColor(colors.black)
        for row_index, start, length in dark_runs(self.matrix):
            canvas.rect(start * module, self.size - (row_index + 1) * module, length * module, module, stroke=0, fill=1)
        canvas.addLiteral("EMC")
        canvas.restoreState()
