"""QR code images for post payloads: PIL image, PNG bytes and SVG text.

Posters hang outdoors for months, so codes use error-correction level Q (25%
of the symbol may be dirty or faded) and always keep a quiet zone of at least
four modules: cheap phone cameras fail far more often on a cramped margin
than on a small code.
"""
from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_Q
from PIL import Image

QUIET_ZONE = 4  # modules; the minimum ISO/IEC 18004 asks for
EC_LEVELS = {"Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}


def qr_matrix(data: str, ec_level: str = "Q") -> list[list[bool]]:
    """The symbol's modules (True = dark), WITHOUT the quiet zone."""
    if not isinstance(data, str) or not data:
        raise ValueError("QR data must be a non-empty string")
    code = qrcode.QRCode(error_correction=EC_LEVELS[ec_level], box_size=1, border=0)
    # One segment (no mode-switching optimisation): what is stored is exactly the
    # string's UTF-8 bytes, which is what every decoder hands back.
    code.add_data(data, optimize=0)
    code.make(fit=True)
    return code.get_matrix()


def qr_image(data: str, size_px: int, ec_level: str = "Q") -> Image.Image:
    """A square 1-bit image exactly ``size_px`` wide, quiet zone included.

    Every module is a whole number of pixels (blurry half-pixel modules scan
    badly once printed); the pixels left over widen the quiet zone.
    """
    matrix = qr_matrix(data, ec_level)
    n = len(matrix)
    scale = size_px // (n + 2 * QUIET_ZONE)
    if scale < 1:
        raise ValueError(f"{size_px}px is too small for a {n}-module QR code")
    # Mode "1": 0 is black, 255 is white.
    small = Image.new("1", (n, n), 255)
    small.putdata([0 if dark else 255 for row in matrix for dark in row])
    symbol = small.resize((n * scale, n * scale), Image.Resampling.NEAREST)
    canvas = Image.new("1", (size_px, size_px), 255)
    offset = (size_px - n * scale) // 2
    canvas.paste(symbol, (offset, offset))
    return canvas


def qr_png(data: str, size_px: int = 600, ec_level: str = "Q") -> bytes:
    """PNG bytes of :func:`qr_image` (1-bit, so a few kilobytes)."""
    buf = io.BytesIO()
    qr_image(data, size_px, ec_level).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def qr_svg(data: str, size_mm: float = 60.0, ec_level: str = "Q") -> str:
    """A standalone SVG whose user units are modules, scaled to ``size_mm``.

    One path of horizontal runs keeps the file small and avoids hairline gaps
    that some viewers draw between adjacent squares.
    """
    matrix = qr_matrix(data, ec_level)
    total = len(matrix) + 2 * QUIET_ZONE
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}h{x - start}v1h{start - x}z")
            else:
                x += 1
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_mm:g}mm" height="{size_mm:g}mm" '
        f'viewBox="0 0 {total} {total}" shape-rendering="crispEdges">\n'
        f'<rect width="{total}" height="{total}" fill="#fff"/>\n'
        f'<path fill="#000" d="{"".join(parts)}"/>\n'
        "</svg>\n"
    )
