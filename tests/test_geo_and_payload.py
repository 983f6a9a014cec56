"""Pure rules: coordinates, the geofence and signed QR payloads."""
import re

import pytest

from qr import payload
from server.checkin import geo

SECRET = "test-secret-key-with-enough-length"


@pytest.mark.parametrize("wgs, gcj", [
    # Published vector of the widely used coordtransform library (Tiananmen area).
    ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
])
def test_wgs84_is_converted_to_gcj02_like_the_published_vectors(wgs, gcj):
    lat, lng = geo.wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-9)
    assert lng == pytest.approx(gcj[1], abs=1e-9)


def test_the_gcj02_shift_inside_china_is_a_few_hundred_metres_and_none_abroad():
    lat, lng = geo.wgs84_to_gcj02(29.2480, 117.8617)
    assert 100 < geo.haversine_m(29.2480, 117.8617, lat, lng) < 1000
    assert geo.wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)


def test_haversine_matches_a_known_distance():
    # One degree of latitude is about 111.2 km.
    assert geo.haversine_m(30.0, 117.0, 31.0, 117.0) == pytest.approx(111_195, rel=1e-3)


def test_geofence_allowance_for_accuracy_is_bounded():
    near = geo.check_geofence(30.0, 117.0, 100, 30.0012, 117.0, accuracy_m=40, max_allowance_m=50)
    assert near.inside  # ~133 m away, within 100 m + 40 m accuracy
    vague = geo.check_geofence(30.0, 117.0, 100, 30.01, 117.0, accuracy_m=5000, max_allowance_m=50)
    assert not vague.inside and vague.allowed_m == 150


def test_payload_round_trip_in_every_form():
    token = payload.make_token(SECRET, 1234, 7)
    url = payload.make_url("https://rv.example.cn/", SECRET, 1234, 7)
    assert url == f"https://rv.example.cn/q/{token}"
    for scanned in (url, token, f"scene={token}", f"  {token}\n"):
        assert payload.verify(SECRET, scanned) == payload.PostCode(1234, 7)


def test_scene_form_fits_wechat_limits_and_is_url_safe():
    token = payload.make_token(SECRET, 999_999_999, 999_999)
    assert len(token) <= 32
    assert re.fullmatch(r"[0-9A-Za-z._~-]+", token)


@pytest.mark.parametrize("scanned", [
    "", "   ", "hello", "https://example.com/", "https://rv.example.cn/q/",
    "1.1.AAAAAAAAAAAA",  # forged signature
    "1.1." + "A" * 40, "0.1.AAAAAAAAAAAA", "-1.1.AAAAAAAAAAAA", "1.1.AAAA AAAAAAA",
    "\x00\x01", "1.1.<script>abc", "https://rv.example.cn/q/../../etc/passwd",
])
def test_garbage_and_forgeries_are_refused(scanned):
    with pytest.raises(payload.InvalidPayload):
        payload.verify(SECRET, scanned)


def test_altering_post_or_version_breaks_the_signature():
    post_id, version, signature = payload.make_token(SECRET, 12, 3).split(".")
    for altered in (f"13.{version}.{signature}", f"{post_id}.4.{signature}",
                    f"{post_id}.{version}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"):
        with pytest.raises(payload.InvalidPayload):
            payload.verify(SECRET, altered)


def test_a_code_signed_with_another_key_is_refused():
    with pytest.raises(payload.InvalidPayload):
        payload.verify(SECRET, payload.make_token("another-secret-key-of-length", 12, 3))
