"""A streaming PDF writer: one full-page PNG image per page.

Why not fpdf2: it keeps the whole document in memory until ``output()``, and
re-compresses every image. Here each page is written as soon as it arrives
and the PNG's own zlib data goes into the PDF untouched (PDF's FlateDecode
with PNG predictors reads it as is), so a 200-page district costs the memory
of one page and no second compression.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class PngParts:
    width: int
    height: int
    bit_depth: int
    color_type: int  # 0 gray, 2 RGB, 3 palette
    palette: bytes
    idat: bytes


def parse_png(data: bytes) -> PngParts:
    """The pieces of a non-interlaced PNG without alpha that a PDF needs."""
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG")
    pos, header, palette, idat = len(_PNG_SIGNATURE), None, b"", []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without IHDR")
    width, height, bit_depth, color_type, _compression, _filter, interlace = header
    if interlace or color_type not in (0, 2, 3) or bit_depth == 16:
        raise ValueError("only non-interlaced 1-8 bit gray, RGB or palette PNGs can be embedded")
    return PngParts(width, height, bit_depth, color_type, palette, b"".join(idat))


class PdfPages:
    """Write pages to ``fp`` as they come; call :meth:`close` to finish the file."""

    def __init__(self, fp: BinaryIO, page_size_pt: tuple[float, float], title: str = "") -> None:
        self._fp = fp
        self._size = page_size_pt
        self._title = title
        self._offset = 0
        self._xref: list[int] = [0, 0, 0]  # 1 catalog, 2 page tree, 3 info: written at close
        self._kids: list[int] = []
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    @property
    def pages(self) -> int:
        return len(self._kids)

    def add_png(self, png: bytes) -> None:
        img = parse_png(png)
        width_pt, height_pt = self._size
        if img.color_type == 3:
            colors = 1
            space = f"[/Indexed /DeviceRGB {len(img.palette) // 3 - 1} <{img.palette.hex()}>]"
        else:
            colors = 3 if img.color_type == 2 else 1
            space = "/DeviceRGB" if colors == 3 else "/DeviceGray"
        image_no = self._object(
            f"<< /Type /XObject /Subtype /Image /Width {img.width} /Height {img.height} "
            f"/ColorSpace {space} /BitsPerComponent {img.bit_depth} /Filter /FlateDecode "
            f"/DecodeParms << /Predictor 15 /Colors {colors} /BitsPerComponent {img.bit_depth} "
            f"/Columns {img.width} >> /Length {len(img.idat)} >>".encode(),
            img.idat,
        )
        # The image is stretched over the exact paper size; at 300 dpi the
        # pixel grid and the millimetre size differ by under 0.05 mm.
        content = f"q {width_pt:.3f} 0 0 {height_pt:.3f} 0 0 cm /P Do Q".encode()
        content_no = self._object(f"<< /Length {len(content)} >>".encode(), content)
        page_no = self._object(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_pt:.3f} {height_pt:.3f}] "
            f"/Resources << /XObject << /P {image_no} 0 R >> >> /Contents {content_no} 0 R >>".encode()
        )
        self._kids.append(page_no)

    def close(self) -> None:
        kids = " ".join(f"{k} 0 R" for k in self._kids)
        self._object(b"<< /Type /Catalog /Pages 2 0 R >>", number=1)
        self._object(f"<< /Type /Pages /Kids [{kids}] /Count {len(self._kids)} >>".encode(), number=2)
        title = self._title.encode("utf-16-be").hex()
        self._object(f"<< /Producer (Red Vest) /Title <feff{title}> >>".encode(), number=3)
        xref_at = self._offset
        rows = [b"xref\n", f"0 {len(self._xref) + 1}\n".encode(), b"0000000000 65535 f \n"]
        rows += [f"{offset:010d} 00000 n \n".encode() for offset in self._xref]
        rows.append(f"trailer\n<< /Size {len(self._xref) + 1} /Root 1 0 R /Info 3 0 R >>\n".encode())
        rows.append(f"startxref\n{xref_at}\n%%EOF\n".encode())
        self._write(b"".join(rows))
        self._fp.flush()

    def _object(self, head: bytes, stream: bytes | None = None, number: int | None = None) -> int:
        if number is None:
            self._xref.append(0)
            number = len(self._xref)
        self._xref[number - 1] = self._offset
        parts = [f"{number} 0 obj\n".encode(), head]
        if stream is not None:
            parts += [b"\nstream\n", stream, b"\nendstream"]
        parts.append(b"\nendobj\n")
        self._write(b"".join(parts))
        return number

    def _write(self, data: bytes) -> None:
        self._fp.write(data)
        self._offset += len(data)

