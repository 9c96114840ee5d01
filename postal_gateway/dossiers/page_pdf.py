"""One document photographed page by page becomes one PDF (Điều 7.2.a: one file per document).

Pages come in the order the postal worker left them: a photo (JPEG or PNG) becomes one PDF page, a
PDF keeps its own pages as they are. A document of a single PDF is kept byte for byte (a digitally
signed file stays valid); anything else is combined. Photos the phone already made small (about
2000 px, see static/js/page_photos.js) are embedded unchanged; a larger one (the plain form sends
the camera's original) is scaled down and recompressed here, so the stored document stays small.
Nothing here knows Flask.
"""
from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass

from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter

#: an image page's long side on paper, in points: the long side of A4
PAGE_LONG_SIDE_PT = 842
#: photos with a longer side than this (pixels) are scaled down to LONG_SIDE_PX before embedding
MAX_EMBEDDED_LONG_SIDE_PX = 2400
LONG_SIDE_PX = 2000
JPEG_QUALITY = 85
#: EXIF tag of the camera's orientation
_ORIENTATION = 0x0112
_COLOUR_SPACES = {"RGB": "DeviceRGB", "L": "DeviceGray"}


@dataclass(frozen=True)
class PageFile:
    """One page as uploaded: its content type (from the content, see core.uploads) and bytes."""

    content_type: str
    data: bytes


def pdf_page_count(data: bytes) -> int:
    """Pages of a (validated) PDF."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    return len(PdfReader(io.BytesIO(data), strict=False).pages)


def _flattened(image: Image.Image) -> Image.Image:
    """RGB or greyscale, transparency laid on white paper."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, (255, 255, 255))
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    return image.convert("RGB")


def _image_stream(data: bytes) -> tuple[bytes, str, str, tuple[int, int]]:
    """(stream bytes, PDF filter, colour space, size in pixels) of one photo, upright."""
    with Image.open(io.BytesIO(data)) as opened:
        rotated = opened.getexif().get(_ORIENTATION, 1) not in (1, None)
        too_big = max(opened.size) > MAX_EMBEDDED_LONG_SIDE_PX
        if opened.format == "JPEG" and opened.mode in ("RGB", "L") and not rotated and not too_big:
            # embedded as it is (a PDF carries a JPEG's own bytes): no second loss of quality
            return data, "DCTDecode", _COLOUR_SPACES[opened.mode], opened.size
        image = _flattened(ImageOps.exif_transpose(opened))
        image.load()
    if too_big:
        image.thumbnail((LONG_SIDE_PX, LONG_SIDE_PX), Image.Resampling.LANCZOS)
    elif image.mode in ("RGB", "L") and not data.startswith(b"\xff\xd8"):
        # a small PNG (a screenshot, a scanner's page) stays lossless
        return zlib.compress(image.tobytes(), 6), "FlateDecode", _COLOUR_SPACES[image.mode], image.size
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue(), "DCTDecode", _COLOUR_SPACES[image.mode], image.size


def image_page_pdf(data: bytes) -> bytes:
    """A one-page PDF of one photo, the page as long as A4 on its long side, in the photo's proportions."""
    stream, pdf_filter, colour_space, (width_px, height_px) = _image_stream(data)
    scale = PAGE_LONG_SIDE_PT / max(width_px, height_px)
    width, height = round(width_px * scale, 2), round(height_px * scale, 2)
    drawing = f"q {width} 0 0 {height} 0 0 cm /Im0 Do Q".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
        f"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>".encode("ascii"),
        f"<< /Type /XObject /Subtype /Image /Width {width_px} /Height {height_px} /ColorSpace /{colour_space} "
        f"/BitsPerComponent 8 /Filter /{pdf_filter} /Length {len(stream)} >>\nstream\n".encode("ascii")
        + stream + b"\nendstream",
        f"<< /Length {len(drawing)} >>\nstream\n".encode("ascii") + drawing + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii"))
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode("ascii"))
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii"))
    return out.getvalue()


def combine(pages: list[PageFile]) -> bytes:
    """The pages in this order as one PDF; a single PDF comes back unchanged."""
    if not pages:
        raise ValueError("a document needs at least one page")
    if len(pages) == 1 and pages[0].content_type == "application/pdf":
        return pages[0].data
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    writer = PdfWriter()
    for page in pages:
        source = page.data if page.content_type == "application/pdf" else image_page_pdf(page.data)
        writer.append(PdfReader(io.BytesIO(source), strict=False))
    writer.add_metadata({"/Producer": "postal_gateway"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def thumbnail(data: bytes, size: int = 112) -> bytes:
    """A small upright JPEG of a photo, for the list of pages (twice the 56 px it is shown at)."""
    with Image.open(io.BytesIO(data)) as opened:
        opened.draft("RGB", (size * 2, size * 2))  # a JPEG decodes at a fraction of its size: fast
        image = _flattened(ImageOps.exif_transpose(opened))
        image.thumbnail((size, size))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()
