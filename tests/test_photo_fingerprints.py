"""Photo evidence: the metadata read before stripping, and the hashes that catch a reused photo."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image, ImageCms, ImageDraw, ImageEnhance

from server.evidence.imaging import (
    NEAR_DUPLICATE_MAX_DISTANCE,
    GpsPoint,
    difference_hash,
    hamming,
    is_near_duplicate,
    process_photo,
)

from tests.images import (
    CST, camera_exif, encode, jpeg_markers, make_scene,
)


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
