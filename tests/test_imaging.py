"""Photo evidence processing: what is accepted, what is refused, what is kept."""
from __future__ import annotations

import hashlib
import io
import time

import pytest
from PIL import Image, ImageCms, ImageDraw, JpegImagePlugin

from server.evidence.imaging import process_photo
from tests.images import (
    RED, camera_exif, encode, jpeg_claiming, make_scene, png_header, rejection,
    with_red_corner,
)


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
