"""Photos built in memory for the image-processing tests: scenes, EXIF, forged headers."""
from __future__ import annotations

import io
import random
import struct
import zlib
from datetime import timedelta, timezone

import pytest
from PIL import Image, ImageChops, ImageDraw

from server.evidence.imaging import (
    PhotoRejected,
    process_photo,
)

RED = (255, 0, 0)
CST = timezone(timedelta(hours=8))


# --- building uploads ---------------------------------------------------------

def make_scene(size: tuple[int, int], seed: int, noise: float = 18) -> Image.Image:
    """A picture with structure at every scale: a gradient, random shapes and
    sensor-like noise, so it compresses and hashes like a photo."""
    rng = random.Random(seed)
    width, height = size
    base = Image.linear_gradient("L").rotate(rng.choice([0, 90, 180, 270])).resize(size)
    image = Image.merge("RGB", [base, base.point(lambda v: 255 - v), base.point(lambda v: v // 2 + 60)])
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1 = x0 + rng.randrange(max(1, width // 20), max(2, width // 3))
        y1 = y0 + rng.randrange(max(1, height // 20), max(2, height // 3))
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.rectangle if rng.random() < 0.5 else draw.ellipse)((x0, y0, x1, y1), fill=fill)
    grain = Image.effect_noise(size, noise)
    return ImageChops.add(image, Image.merge("RGB", [grain] * 3), 1.0, -128)


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def with_red_corner(size: tuple[int, int]) -> Image.Image:
    image = Image.new("RGB", size, (0, 0, 200))
    corner = max(8, min(size) // 8)
    ImageDraw.Draw(image).rectangle((0, 0, corner, corner), fill=RED)
    return image


def camera_exif(*, orientation: int = 1, taken: str | None = "2024:05:01 08:30:15",
                offset: str | None = "+08:00", lat=None, lng=None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Example Phones Ltd"  # Make
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber, lives in IFD0 here; still must go
    details = exif.get_ifd(0x8769)
    if taken:
        details[0x9003] = taken
    if offset:
        details[0x9011] = offset
    if lat is not None:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2] = lat
        gps[3], gps[4] = lng
    return exif


def png_header(width: int, height: int) -> bytes:
    """A PNG that only claims a size: enough to test the header check cheaply."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF header is patched to claim another size."""
    data = bytearray(encode(Image.new("RGB", (16, 16), "white")))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def jpeg_markers(data: bytes) -> list[int]:
    """Marker codes of the segments before the scan data."""
    assert data[:2] == b"\xff\xd8"
    pos, markers = 2, []
    while pos < len(data):
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        pos += 2 + length
    return markers


def rejection(data: bytes, **kwargs) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(data, **kwargs)
    return caught.value

