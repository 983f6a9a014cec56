"""Turning an uploaded duty photo into the JPEGs we store.

Everything here works on bytes in memory and knows nothing about Flask or the
database, so the app can run it before opening a write transaction.

An upload is trusted for nothing: the format is sniffed from its first bytes
(never from a filename or Content-Type), the pixel count is checked from the
header before any decoding so a decompression bomb costs microseconds, and the
whole image is decoded so truncated or corrupt files are refused rather than
stored. What we store is re-encoded by us and carries no metadata at all: phone
EXIF holds the volunteer's exact position, device serials and more, and the
evidence a shift needs (capture time, GPS) is read out first and returned.
"""
from __future__ import annotations

import hashlib
import io
import logging
import math
import re
import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import NamedTuple

from PIL import ExifTags, Image, ImageCms, ImageFile

from server.errors import ApiError

log = logging.getLogger(__name__)

CONTENT_TYPE = "image/jpeg"
JPEG_QUALITY = 85
THUMB_QUALITY = 80

# dHash distance at or below which two photos count as the same picture. A
# re-encode, resize or small brightness change moves a handful of bits; two
# different scenes sit near 32. Photos of the same post from the same spot can
# come close, so callers should flag for review, not refuse.
NEAR_DUPLICATE_MAX_DISTANCE = 6

_HASH_MASK = (1 << 64) - 1
# A bit is only evidence when its two cells differ by at least _DECISIVE_STEP
# grey levels; otherwise JPEG noise decides it. Night shots, walls, lens caps
# have few such bits and would "match" every other dark or flat photo, and a
# smooth gradient (sky) sets nearly all bits one way.
_DECISIVE_STEP = 2
_MIN_DECISIVE_BITS = 32  # of 64
_MIN_HASH_BITS = 6  # required set bits, and required unset bits


class PhotoRejected(ApiError):
    """Base for every reason an upload is not accepted as a photo."""

    status, code, message = 422, "INVALID_IMAGE", "文件不是有效的图片，或图片已损坏"


class EmptyPhoto(PhotoRejected):
    status, code, message = 400, "EMPTY_FILE", "上传的文件是空的"


class InvalidImage(PhotoRejected):
    status, code, message = 422, "INVALID_IMAGE", "文件不是有效的图片，或图片已损坏"


class UnsupportedImageType(PhotoRejected):
    status, code, message = 422, "UNSUPPORTED_IMAGE_TYPE", "仅支持 JPEG、PNG 或 WebP 格式的静态照片"


class PhotoTooLarge(PhotoRejected):
    status, code, message = 422, "PHOTO_TOO_LARGE_PIXELS", "照片分辨率过大，请压缩后重新上传"


class GpsPoint(NamedTuple):
    """Decimal degrees exactly as EXIF records them (WGS-84 per the EXIF spec;
    some Chinese apps write GCJ-02 anyway, which we cannot tell apart)."""

    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class ProcessedPhoto:
    sha256: str  # of `jpeg`, the stored bytes: the storage key
    source_sha256: str  # of the upload, to spot the very same file sent twice
    jpeg: bytes = field(repr=False)  # kept out of repr so logging a photo stays short
    thumbnail: bytes = field(repr=False)
    width: int  # of the stored, upright image
    height: int
    size_bytes: int  # len(jpeg)
    format: str  # of the upload: "JPEG", "PNG" or "WEBP"
    # Wall-clock time on the camera, naive; `captured_offset` is its UTC offset
    # when the phone recorded one (OffsetTimeOriginal), else None.
    captured_at: datetime | None
    captured_offset: timedelta | None
    gps: GpsPoint | None
    dhash: int | None  # 64-bit difference hash, None for low-detail photos

    def capture_time(self, default_tz: tzinfo) -> datetime | None:
        """Aware capture time, reading a time without offset in `default_tz`."""
        if self.captured_at is None:
            return None
        tz = timezone(self.captured_offset) if self.captured_offset is not None else default_tz
        return self.captured_at.replace(tzinfo=tz)


def process_photo(data: bytes, *, max_pixels: int = 50_000_000, max_side: int = 1600,
                  thumb_side: int = 320) -> ProcessedPhoto:
    """Validate an upload and produce the stored JPEG, thumbnail and evidence.

    Raises a :class:`PhotoRejected` subclass for anything that is not a whole,
    still JPEG/PNG/WebP within `max_pixels`.
    """
    source = _open_checked(data, max_pixels)
    width, height = source.size
    target = _fit(width, height, max_side)
    if source.format in ("JPEG", "MPO") and target != source.size:
        # Let libjpeg scale by 1/2, 1/4 or 1/8 while decoding. Asking for the
        # final size in both axes makes it pick a scale that still leaves at
        # least `max_side` on the long side. Entropy decoding still reads every
        # byte, so truncation is caught as without draft.
        source.draft("RGB", target)
    try:
        source.load()
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError) as exc:
        raise _invalid(exc) from exc

    # Read metadata from the opened file, not from derived images: it is what
    # the camera wrote, and draft() left it untouched.
    exif = _read_exif(source)
    orientation = exif.get(ExifTags.Base.Orientation, 1)
    captured_at, captured_offset = _capture_time(exif)
    gps = _gps(exif)
    icc = source.info.get("icc_profile")

    image = _flatten(source)
    if image.size != target:
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    image = _to_srgb(image, icc)
    # Rotating after the resize moves fewer pixels; the long side is the same
    # either way.
    method = _TRANSPOSE.get(orientation)
    if method is not None:
        image = image.transpose(method)

    thumb = image.resize(_fit(*image.size, thumb_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    jpeg = _encode(image, JPEG_QUALITY)
    return ProcessedPhoto(
        sha256=hashlib.sha256(jpeg).hexdigest(),
        source_sha256=hashlib.sha256(data).hexdigest(),
        jpeg=jpeg,
        thumbnail=_encode(thumb, THUMB_QUALITY),
        width=image.width,
        height=image.height,
        size_bytes=len(jpeg),
        format="JPEG" if source.format == "MPO" else source.format,
        captured_at=captured_at,
        captured_offset=captured_offset,
        gps=gps,
        dhash=difference_hash(thumb),
    )


def difference_hash(image: Image.Image) -> int | None:
    """64-bit dHash of an upright image: bit set where a cell is brighter than
    its left neighbour on a 9x8 greyscale grid. None when the picture has too
    little detail for the bits to mean anything."""
    cells = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS).tobytes()
    value = decisive = 0
    for row in range(8):
        for col in range(8):
            left, right = cells[row * 9 + col], cells[row * 9 + col + 1]
            value = (value << 1) | (right > left)
            decisive += abs(right - left) >= _DECISIVE_STEP
    set_bits = value.bit_count()
    if decisive < _MIN_DECISIVE_BITS or not _MIN_HASH_BITS <= set_bits <= 64 - _MIN_HASH_BITS:
        return None
    return value


def hamming(a: int, b: int) -> int:
    """Differing bits between two dHashes. Masked to 64 bits so a hash stored
    as a signed BIGINT (SQLite, PostgreSQL) compares equal to its unsigned form."""
    return ((a ^ b) & _HASH_MASK).bit_count()


def is_near_duplicate(a: int | None, b: int | None) -> bool:
    """True when both hashes exist and are within the near-duplicate threshold."""
    return a is not None and b is not None and hamming(a, b) <= NEAR_DUPLICATE_MAX_DISTANCE


# --- validation -------------------------------------------------------------

_ACCEPTED = {"JPEG", "PNG", "WEBP"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}


def _sniff(data: bytes) -> str | None:
    """Name the format from magic bytes, so Pillow only runs one parser on
    untrusted input. Returns a non-accepted name for images we recognise but
    refuse, so the user is told "wrong type" rather than "broken file"."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if data[:2] == b"BM" and len(data) >= 26:
        return "BMP"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIF"  # iPhone originals; WeChat normally converts, but not always
    return None


def _open_checked(data: bytes, max_pixels: int) -> ImageFile.ImageFile:
    if not data:
        raise EmptyPhoto()
    kind = _sniff(data)
    if kind is None:
        raise _invalid("no JPEG/PNG/WebP signature")
    if kind not in _ACCEPTED:
        raise UnsupportedImageType(detected=kind)
    try:
        image = Image.open(io.BytesIO(data), formats=[kind])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own ceiling (2 x MAX_IMAGE_PIXELS) fired first.
        raise PhotoTooLarge(max_pixels=max_pixels) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise _invalid(exc) from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise _invalid("zero size")
    if width * height > max_pixels:
        raise PhotoTooLarge(max_pixels=max_pixels)
    # MPO is how Pillow names phone JPEGs that carry extra preview frames; we
    # keep the primary picture. Real animations are not a photo of a duty.
    if getattr(image, "is_animated", False) and image.format != "MPO":
        raise UnsupportedImageType(detected=f"animated {kind}")
    return image


def _invalid(cause: BaseException | str) -> InvalidImage:
    # Pillow's wording stays in our log, in English; the client only gets the
    # code and the Chinese message, which is all a volunteer can act on.
    detail = cause if isinstance(cause, str) else f"{type(cause).__name__}: {cause}"
    log.info("photo rejected as invalid: %s", detail)
    return InvalidImage()


# --- pixels -----------------------------------------------------------------

_TRANSPOSE = {  # EXIF orientation -> transform, as ImageOps.exif_transpose
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _fit(width: int, height: int, side: int) -> tuple[int, int]:
    """Size with the long side at most `side`, aspect kept, never enlarged."""
    long_side = max(width, height)
    if long_side <= side:
        return width, height
    scale = side / long_side
    return max(1, round(width * scale)), max(1, round(height * scale))


def _flatten(image: Image.Image) -> Image.Image:
    """RGB (or CMYK, left for the colour transform) with any transparency laid
    on white: converting RGBA straight to RGB would turn it black."""
    if image.mode == "I" or image.mode.startswith("I;16"):
        # 16-bit grey PNG; Pillow's own conversion to L clips instead of scaling.
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image if image.mode in ("RGB", "CMYK") else image.convert("RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Bake an embedded colour profile (Display P3 on recent phones, CMYK from
    scanners) into sRGB pixels, because the stored file carries no profile and
    browsers read profile-less JPEGs as sRGB."""
    if icc:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            # Many Android phones tag plain sRGB; the transform would cost
            # ~40 ms per photo to change nothing.
            if not ImageCms.getProfileDescription(profile).strip().startswith("sRGB"):
                # Built per call (0.2 ms) so worker threads never share one lcms handle.
                srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
                return ImageCms.profileToProfile(image, profile, srgb, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile is not worth refusing the photo over
    return image.convert("RGB") if image.mode != "RGB" else image


def _encode(image: Image.Image, quality: int) -> bytes:
    # Pillow copies info["comment"] into JPEGs it saves, and exif/icc/xmp only
    # when passed; hand it a bare image so nothing of the upload rides along.
    image.info = {}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


# --- metadata ---------------------------------------------------------------

_EXIF_TIME = re.compile(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})")


def _read_exif(image: Image.Image) -> Image.Exif:
    try:
        return image.getexif()
    except Exception:  # noqa: BLE001 - any malformed EXIF just means "no metadata"
        return Image.Exif()


def _capture_time(exif: Image.Exif) -> tuple[datetime | None, timedelta | None]:
    try:
        ifd = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:  # noqa: BLE001
        return None, None
    match = _EXIF_TIME.match(_text(ifd.get(ExifTags.Base.DateTimeOriginal)))
    if not match:
        return None, None
    try:  # "0000:00:00 00:00:00" is what cameras write when the clock is unset
        captured = datetime(*(int(part) for part in match.groups()))
    except ValueError:
        return None, None
    subsec = _text(ifd.get(ExifTags.Base.SubsecTimeOriginal)).strip()
    if subsec.isdigit():
        captured = captured.replace(microsecond=int(subsec[:6].ljust(6, "0")))
    offset = None
    found = _EXIF_OFFSET.fullmatch(_text(ifd.get(ExifTags.Base.OffsetTimeOriginal)).strip())
    if found:
        sign = -1 if found[1] == "-" else 1
        delta = sign * timedelta(hours=int(found[2]), minutes=int(found[3]))
        if abs(delta) < timedelta(hours=24):
            offset = delta
    return captured, offset


def _gps(exif: Image.Exif) -> GpsPoint | None:
    try:
        ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(ifd.get(ExifTags.GPS.GPSLatitude), ifd.get(ExifTags.GPS.GPSLatitudeRef), "N", "S")
        lng = _degrees(ifd.get(ExifTags.GPS.GPSLongitude), ifd.get(ExifTags.GPS.GPSLongitudeRef), "E", "W")
    except Exception:  # noqa: BLE001 - rationals with odd shapes or types
        return None
    if lat is None or lng is None or abs(lat) > 90 or abs(lng) > 180:
        return None
    if lat == 0 and lng == 0:  # "no fix" as written by some phones
        return None
    return GpsPoint(round(lat, 7), round(lng, 7))


def _degrees(value: object, ref: object, positive: str, negative: str) -> float | None:
    ref = _text(ref).upper()
    # Without a hemisphere the sign is a guess, and a wrong sign is worse than none.
    if value is None or ref not in (positive, negative):
        return None
    parts = [float(part) for part in (value if isinstance(value, tuple) else (value,))]
    if not 1 <= len(parts) <= 3 or not all(math.isfinite(p) for p in parts):
        return None
    degrees = sum(part / 60**i for i, part in enumerate(parts))
    return -degrees if ref == negative else degrees


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else ""
