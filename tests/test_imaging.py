"""Photo evidence processing: what is accepted, what is refused, what is kept."""
from __future__ import annotations

import hashlib
import io
import random
import struct
import time
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageEnhance, JpegImagePlugin

from server.imaging import (
    NEAR_DUPLICATE_MAX_DISTANCE,
    GpsPoint,
    PhotoRejected,
    difference_hash,
    hamming,
    is_near_duplicate,
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


@pytest.fixture(scope="module")
def twelve_megapixels() -> bytes:
    return encode(make_scene((4000, 3000), seed=1), quality=90)


# --- accepted formats ---------------------------------------------------------

@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_jpeg_png_or_webp_photo_is_stored_as_jpeg(fmt):
    upload = encode(make_scene((800, 600), seed=2), fmt)

    photo = process_photo(upload)

    assert photo.format == fmt
    assert (photo.width, photo.height) == (800, 600)
    stored = Image.open(io.BytesIO(photo.jpeg))
    assert stored.format == "JPEG" and stored.mode == "RGB" and stored.size == (800, 600)
    assert photo.sha256 == hashlib.sha256(photo.jpeg).hexdigest()
    assert photo.source_sha256 == hashlib.sha256(upload).hexdigest()
    assert photo.size_bytes == len(photo.jpeg)
    assert Image.open(io.BytesIO(photo.thumbnail)).size == (320, 240)


def test_the_same_upload_gives_the_same_stored_file():
    upload = encode(make_scene((640, 480), seed=3))
    first, second = process_photo(upload), process_photo(upload)
    assert first.sha256 == second.sha256 and first.jpeg == second.jpeg


def test_a_png_colour_key_transparency_is_laid_on_white():
    upload = encode(Image.new("RGB", (50, 50), RED), "PNG", transparency=RED)
    stored = Image.open(io.BytesIO(process_photo(upload).jpeg))
    assert min(stored.getpixel((25, 25))) > 240


def test_a_transparent_png_is_laid_on_white_not_black():
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((150, 0, 199, 99), fill=(0, 0, 255, 255))

    stored = Image.open(io.BytesIO(process_photo(encode(image, "PNG")).jpeg))

    assert min(stored.getpixel((10, 50))) > 240
    assert stored.getpixel((180, 50))[2] > 200


@pytest.mark.parametrize("image", [
    Image.new("CMYK", (300, 200), (0, 255, 255, 0)),
    Image.new("L", (300, 200), 128),
    Image.new("P", (300, 200), 3),
    Image.new("1", (300, 200), 1),
], ids=["cmyk-jpeg-red", "grey", "palette", "bilevel"])
def test_unusual_colour_modes_become_rgb(image):
    fmt = "JPEG" if image.mode in ("CMYK", "L") else "PNG"
    stored = Image.open(io.BytesIO(process_photo(encode(image, fmt)).jpeg))
    assert stored.mode == "RGB" and stored.size == (300, 200)
    if image.mode == "CMYK":
        red, green, blue = stored.getpixel((150, 100))
        assert red > 200 and green < 60 and blue < 60


def test_a_sixteen_bit_grey_png_is_scaled_not_clipped():
    gradient = Image.linear_gradient("L").resize((256, 64)).convert("I")
    sixteen = gradient.point(lambda v: v * 257).convert("I;16")
    stored = Image.open(io.BytesIO(process_photo(encode(sixteen, "PNG")).jpeg)).convert("L")
    assert 100 < stored.getpixel((128, 32)) < 156


def test_a_phone_mpo_jpeg_keeps_its_main_picture():
    main, preview = make_scene((800, 600), seed=4), Image.new("RGB", (160, 120), "black")
    upload = encode(main, "MPO", save_all=True, append_images=[preview])
    assert Image.open(io.BytesIO(upload)).format == "MPO"

    photo = process_photo(upload)

    assert photo.format == "JPEG" and (photo.width, photo.height) == (800, 600)


def test_a_wide_gamut_photo_is_converted_to_srgb_and_untagged(monkeypatch):
    converted = []
    real_convert = ImageCms.profileToProfile
    # Pillow can only build sRGB profiles, so let an sRGB one pose as Display P3.
    monkeypatch.setattr(ImageCms, "getProfileDescription", lambda profile: "Display P3")
    monkeypatch.setattr(ImageCms, "profileToProfile",
                        lambda *args, **kwargs: converted.append(args[1]) or real_convert(*args, **kwargs))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

    photo = process_photo(encode(Image.new("RGB", (400, 300), RED), icc_profile=srgb))

    assert len(converted) == 1
    stored = Image.open(io.BytesIO(photo.jpeg))
    assert "icc_profile" not in stored.info and _is_red(stored.getpixel((200, 150)))


def test_a_broken_colour_profile_does_not_cost_the_photo():
    upload = encode(make_scene((400, 300), seed=5), icc_profile=b"\x00" * 200)
    assert process_photo(upload).width == 400


# --- refused uploads ----------------------------------------------------------

def test_an_empty_upload_is_refused():
    error = rejection(b"")
    assert (error.status, error.code) == (400, "EMPTY_FILE")
    assert error.message == "上传的文件是空的"


@pytest.mark.parametrize("fmt,keep", [("JPEG", 0.5), ("JPEG", 0.98), ("PNG", 0.5), ("WEBP", 0.7)])
def test_a_truncated_photo_is_refused(fmt, keep):
    whole = encode(make_scene((800, 600), seed=6), fmt)
    error = rejection(whole[: int(len(whole) * keep)])
    assert (error.status, error.code) == (422, "INVALID_IMAGE")


def test_a_jpeg_cut_just_before_its_end_marker_is_refused_even_when_downscaled(twelve_megapixels):
    error = rejection(twelve_megapixels[:-2])
    assert error.code == "INVALID_IMAGE"


def test_a_text_file_renamed_jpg_is_refused():
    error = rejection("这不是照片\n".encode() * 50)
    assert (error.status, error.code) == (422, "INVALID_IMAGE")


def test_a_jpeg_start_followed_by_garbage_is_refused():
    error = rejection(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    assert error.code == "INVALID_IMAGE"


@pytest.mark.parametrize("upload", [
    encode(Image.new("RGB", (64, 64), "red"), "GIF"),
    encode(Image.new("RGB", (64, 64), "red"), "BMP"),
    encode(Image.new("RGB", (64, 64), "red"), "TIFF"),
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64,
], ids=["gif", "bmp", "tiff", "heic"])
def test_other_image_types_are_refused_by_name(upload):
    error = rejection(upload)
    assert (error.status, error.code) == (422, "UNSUPPORTED_IMAGE_TYPE")
    assert "JPEG" in error.message


def test_an_animated_webp_is_refused():
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "green")]
    upload = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:])
    assert rejection(upload).code == "UNSUPPORTED_IMAGE_TYPE"


@pytest.mark.parametrize("upload", [
    png_header(20_000, 20_000),  # beyond even Pillow's own ceiling
    png_header(10_000, 6_000),  # 60 MP: only our limit stops it
    jpeg_claiming(65_000, 65_000),
], ids=["png-400mp", "png-60mp", "jpeg-4gp"])
def test_a_decompression_bomb_is_refused_from_its_header_quickly(upload):
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        error = rejection(upload)
        timings.append(time.perf_counter() - started)
    assert (error.status, error.code) == (422, "PHOTO_TOO_LARGE_PIXELS")
    assert min(timings) < 0.05


def test_the_pixel_limit_is_configurable():
    upload = encode(make_scene((400, 300), seed=7))
    assert rejection(upload, max_pixels=100_000).code == "PHOTO_TOO_LARGE_PIXELS"
    assert process_photo(upload, max_pixels=120_000).width == 400


# --- size -------------------------------------------------------------------

def test_a_twelve_megapixel_photo_is_stored_at_1600_with_a_320_thumbnail(twelve_megapixels):
    photo = process_photo(twelve_megapixels)

    assert (photo.width, photo.height) == (1600, 1200)
    assert Image.open(io.BytesIO(photo.jpeg)).size == (1600, 1200)
    assert Image.open(io.BytesIO(photo.thumbnail)).size == (320, 240)
    assert photo.size_bytes < len(twelve_megapixels) / 4


@pytest.mark.parametrize("size", [(4000, 3000), (4032, 1816), (3000, 4000), (1700, 1000), (6000, 400)])
def test_reduced_decoding_never_drops_below_the_stored_size(monkeypatch, size):
    decoded = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def recording_draft(self, mode, requested):
        result = original_draft(self, mode, requested)
        decoded.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", recording_draft)
    photo = process_photo(encode(make_scene(size, seed=8, noise=4), quality=80))

    assert max(photo.width, photo.height) == 1600
    assert decoded and max(decoded[0]) >= 1600
    scale = 1600 / max(size)
    reducible = min(size[0] // round(size[0] * scale), size[1] // round(size[1] * scale)) >= 2
    if reducible:  # otherwise libjpeg has no 1/2 step that keeps 1600 px
        assert max(decoded[0]) < max(size)


def test_a_small_photo_is_not_enlarged():
    photo = process_photo(encode(make_scene((200, 150), seed=9)))
    assert (photo.width, photo.height) == (200, 150)
    assert Image.open(io.BytesIO(photo.thumbnail)).size == (200, 150)


# --- orientation --------------------------------------------------------------

@pytest.mark.parametrize("size", [(400, 200), (3200, 1600)], ids=["small", "downscaled-while-decoding"])
def test_a_photo_taken_sideways_is_stored_upright(size):
    # Orientation 6: the camera was turned clockwise, so the viewer rotates the
    # stored pixels 90 degrees clockwise and the top-left corner ends top-right.
    upload = encode(with_red_corner(size), exif=camera_exif(orientation=6))

    photo = process_photo(upload)

    stored = Image.open(io.BytesIO(photo.jpeg))
    expected = (size[1], size[0]) if max(size) <= 1600 else (800, 1600)
    assert (photo.width, photo.height) == stored.size == expected
    width, height = stored.size
    assert _is_red(stored.getpixel((width - 3, 2)))
    assert not _is_red(stored.getpixel((2, 2)))
    assert not _is_red(stored.getpixel((width - 3, height - 3)))


def _is_red(pixel) -> bool:
    red, green, blue = pixel
    return red > 200 and green < 60 and blue < 60


# --- metadata -----------------------------------------------------------------

def test_nothing_of_the_upload_metadata_is_stored():
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>'
           b'<rdf:Description tiff:Orientation="1"/></rdf:RDF></x:xmpmeta>')
    upload = encode(
        make_scene((800, 600), seed=10),
        exif=camera_exif(lat=("N", (39.0, 54.0, 15.48)), lng=("E", (116.0, 24.0, 26.64))),
        xmp=xmp,
        comment=b"volunteer phone 13800000000",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    assert b"Exif\x00\x00" in upload and b"13800000000" in upload

    photo = process_photo(upload)

    for stored in (photo.jpeg, photo.thumbnail):
        image = Image.open(io.BytesIO(stored))
        assert not image.getexif()
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
        for needle in (b"Exif\x00\x00", b"adobe", b"xmpmeta", b"13800000000", b"SERIAL", b"Example Phones"):
            assert needle not in stored
        # Only JFIF header, tables, frame and scan: no APPn beyond APP0, no COM.
        assert set(jpeg_markers(stored)) <= {0xE0, 0xDB, 0xC0, 0xC4, 0xDD, 0xDA}


def test_capture_time_and_gps_are_read_before_stripping():
    upload = encode(make_scene((640, 480), seed=11), exif=camera_exif(
        taken="2024:05:01 08:30:15", offset="+08:00",
        lat=("N", (39.0, 54.0, 15.48)), lng=("E", (116.0, 24.0, 26.64)),
    ))

    photo = process_photo(upload)

    assert photo.captured_at == datetime(2024, 5, 1, 8, 30, 15)
    assert photo.captured_offset == timedelta(hours=8)
    assert photo.capture_time(timezone.utc) == datetime(2024, 5, 1, 0, 30, 15, tzinfo=timezone.utc)
    assert isinstance(photo.gps, GpsPoint)
    assert photo.gps.lat == pytest.approx(39.9043, abs=1e-6)
    assert photo.gps.lng == pytest.approx(116.4074, abs=1e-6)


def test_a_capture_time_without_offset_is_read_in_the_callers_zone():
    exif = camera_exif(taken="2023:12:31 23:59:59", offset=None)
    upload = encode(make_scene((320, 240), seed=12), exif=exif)

    photo = process_photo(upload)

    assert photo.captured_at == datetime(2023, 12, 31, 23, 59, 59)
    assert photo.captured_offset is None
    assert photo.capture_time(CST) == datetime(2023, 12, 31, 23, 59, 59, tzinfo=CST)


def test_southern_and_western_coordinates_are_negative():
    upload = encode(make_scene((320, 240), seed=13), exif=camera_exif(
        lat=("S", (33.0, 52.0, 4.0)), lng=("W", (70.0, 40.0, 0.0))))
    gps = process_photo(upload).gps
    assert gps.lat == pytest.approx(-33.867778, abs=1e-6) and gps.lng == pytest.approx(-70.666667, abs=1e-6)


@pytest.mark.parametrize("exif", [
    None,
    camera_exif(taken="0000:00:00 00:00:00", offset="+99:99"),
    camera_exif(taken="garbage", lat=("N", (0.0, 0.0, 0.0)), lng=("E", (0.0, 0.0, 0.0))),
    camera_exif(taken=None, lat=("", (39.0, 54.0, 15.0)), lng=("", (116.0, 24.0, 26.0))),
], ids=["none", "unset-clock", "garbage-and-null-island", "no-hemisphere"])
def test_missing_or_meaningless_metadata_reads_as_unknown(exif):
    params = {"exif": exif} if exif is not None else {}
    photo = process_photo(encode(make_scene((320, 240), seed=14), **params))
    assert photo.gps is None
    assert photo.captured_at is None and photo.captured_offset is None
    assert photo.capture_time(CST) is None


# --- near-duplicates ----------------------------------------------------------

def test_a_reworked_copy_of_a_photo_is_a_near_duplicate():
    original = process_photo(encode(make_scene((2400, 1800), seed=15), quality=92))
    scene = Image.open(io.BytesIO(original.jpeg))
    copies = [
        encode(scene, quality=55),
        encode(scene.resize((800, 600)), quality=75),
        encode(ImageEnhance.Brightness(scene).enhance(1.12), quality=85),
        encode(scene, "PNG"),
    ]
    for upload in copies:
        copy = process_photo(upload)
        assert hamming(original.dhash, copy.dhash) <= NEAR_DUPLICATE_MAX_DISTANCE
        assert is_near_duplicate(original.dhash, copy.dhash)


def test_different_photos_are_not_near_duplicates():
    hashes = [process_photo(encode(make_scene((800, 600), seed=seed))).dhash for seed in range(20, 32)]
    assert all(h is not None for h in hashes)
    for i, first in enumerate(hashes):
        for second in hashes[i + 1:]:
            assert hamming(first, second) > NEAR_DUPLICATE_MAX_DISTANCE * 2


@pytest.mark.parametrize("image", [
    Image.new("RGB", (800, 600), (120, 130, 140)),
    Image.merge("RGB", [Image.effect_noise((800, 600), 6).point(lambda v: max(0, v - 110))] * 3),
    Image.linear_gradient("L").rotate(90).resize((800, 600)).convert("RGB"),
], ids=["flat-wall", "night", "sky-gradient"])
def test_a_low_detail_photo_gets_no_hash(image):
    assert difference_hash(image) is None
    assert process_photo(encode(image)).dhash is None
    assert not is_near_duplicate(None, None)


def test_a_night_shot_with_one_street_lamp_gets_no_hash():
    night = Image.merge("RGB", [Image.effect_noise((800, 600), 6).point(lambda v: max(0, v - 110))] * 3)
    ImageDraw.Draw(night).ellipse((380, 100, 420, 140), fill=(255, 240, 200))
    assert difference_hash(night) is None


def test_hamming_ignores_whether_a_hash_was_stored_signed():
    unsigned = 0xF0F0_0000_0000_0001
    signed = unsigned - (1 << 64)
    assert hamming(unsigned, signed) == 0
    assert hamming(signed, 0x70F0_0000_0000_0001) == 1
