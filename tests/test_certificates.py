"""A volunteer's service-hour certificate: a one-page Chinese A4 PDF whose QR code opens a page
showing the same figures, so an altered paper or a made-up code is caught."""
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pytest
import zxingcpp

from server.clock import utcnow
from tests import factories
from tests.report_data import TZ, add_shift

BASE = "https://redvest.example.gov.cn"


@pytest.fixture
def volunteer(county):
    return factories.volunteer(county.unit_a, name="张伟")


TODAY = utcnow().astimezone(TZ).date()
START = TODAY - timedelta(days=30)  # the certified period: 30 days ago until 10 days ago
PERIOD = {"from": START.isoformat(), "to": (START + timedelta(days=20)).isoformat()}


def chinese(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def at(days: int, hour: int = 8) -> datetime:
    """A local time ``days`` after the period starts."""
    return datetime.combine(START + timedelta(days=days), datetime.min.time()) + timedelta(hours=hour)


@pytest.fixture
def served(county, volunteer):
    """12.5 hours in the period: 10 scanned, 2.5 added by hand; plus one rejected, one pending."""
    for day in range(1, 6):
        add_shift(volunteer, county.post_east, at(day, 7), 120)
    add_shift(volunteer, county.post_west, at(8), 150, source="manual", review_state="approved")
    add_shift(volunteer, county.post_east, at(9), 60, review_state="rejected", credited=0)
    add_shift(volunteer, county.post_east, at(10), 45, review_state="pending")


@pytest.fixture
def coordinator(county):
    return factories.headers(factories.console_user("coordinator", unit_=county.unit_a))


def certificate(client, headers, volunteer_id, **period):
    res = client.get(f"/api/console/v1/volunteers/{volunteer_id}/certificate.pdf", headers=headers,
                     query_string=period)
    assert res.status_code == 200, res.get_json(silent=True)
    assert res.mimetype == "application/pdf"
    return res


def read_pdf(data: bytes) -> tuple[str, str, tuple[float, float], int]:
    """(text, QR payload, page size in points, page count) as a reader and a phone would see it."""
    document = pdfium.PdfDocument(data)
    page = document[0]
    text = page.get_textpage().get_text_range()
    image = page.render(scale=3).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert len(codes) == 1, "exactly one QR code on the page"
    return text, codes[0].text, page.get_size(), len(document)


def test_certificate_prints_the_figures_and_a_qr_code_that_verifies_them(client, served, volunteer, coordinator):
    res = certificate(client, coordinator, volunteer.id, **PERIOD)
    text, url, size, pages = read_pdf(res.data)
    assert pages == 1
    assert abs(size[0] - 595.3) < 1 and abs(size[1] - 841.9) < 1  # A4 portrait
    flat = text.replace("\r", "").replace("\n", "")
    period = f"{chinese(START)}至{chinese(START + timedelta(days=20))}"
    for expected in ("志愿服务时长证明", "张伟", "县财政局", period, "12.50 小时",
                     "6 次", "10.00 小时", "2.50 小时", "XX县创建全国文明城市指挥部", "未评星",
                     res.headers["X-Certificate-Number"]):
        assert expected in flat, expected
    assert chinese(TODAY) in flat  # the date of issue

    assert url.startswith(f"{BASE}/verify/")
    page = client.get(urlsplit(url).path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for expected in ("本系统出具过此证明", "张*", "县财政局", f"{PERIOD['from']} 至 {PERIOD['to']}", "12.50 小时",
                     "10.00 小时", "2.50 小时", "6 次", "未评星", res.headers["X-Certificate-Number"]):
        assert expected in html, expected
    assert "记录有更新" not in html


def test_a_made_up_or_altered_code_is_not_verified(client, served, volunteer, coordinator):
    res = certificate(client, coordinator, volunteer.id, **PERIOD)
    _, url, _, _ = read_pdf(res.data)
    token = urlsplit(url).path.rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for path in (f"/verify/{forged}", "/verify/1", "/verify/MQ.abcdefgh"):
        page = client.get(path)
        assert page.status_code == 404 and "未找到该证明" in page.get_data(as_text=True)


def test_asking_again_the_same_day_gives_the_same_certificate(client, served, volunteer, coordinator):
    period = PERIOD
    first = certificate(client, coordinator, volunteer.id, **period).headers["X-Certificate-Number"]
    assert certificate(client, coordinator, volunteer.id, **period).headers["X-Certificate-Number"] == first
    other = certificate(client, coordinator, volunteer.id, **{"from": PERIOD["from"], "to": at(5).date().isoformat()})
    assert other.headers["X-Certificate-Number"] != first


def test_the_page_warns_when_the_records_changed_after_printing(client, county, served, volunteer, coordinator):
    res = certificate(client, coordinator, volunteer.id, **PERIOD)
    _, url, _, _ = read_pdf(res.data)
    later = add_shift(volunteer, county.post_east, at(15), 60)
    assert later.counted
    html = client.get(urlsplit(url).path).get_data(as_text=True)
    assert "12.50 小时" in html and "目前核定为 13.50 小时、7 次" in html


def test_volunteer_downloads_their_own_certificate_from_the_mini_program(client, served, volunteer):
    res = client.get("/api/mp/v1/me/certificate.pdf", headers=factories.headers(volunteer),
                     query_string=PERIOD)
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in res.headers["Content-Disposition"]
    text, url, _, _ = read_pdf(res.data)
    assert "12.50 小时" in text and url.startswith(f"{BASE}/verify/")


def test_period_defaults_to_the_first_counted_shift_until_today(client, served, volunteer):
    res = client.get("/api/mp/v1/me/certificate.pdf", headers=factories.headers(volunteer))
    text, _, _, _ = read_pdf(res.data)
    assert f"{chinese(at(1).date())}至{chinese(TODAY)}" in text.replace("\r\n", "")


def test_a_period_ending_after_today_is_cut_to_today(client, served, volunteer):
    res = client.get("/api/mp/v1/me/certificate.pdf", headers=factories.headers(volunteer),
                     query_string={"from": PERIOD["from"], "to": (TODAY + timedelta(days=40)).isoformat()})
    text, _, _, _ = read_pdf(res.data)
    assert f"{chinese(START)}至{chinese(TODAY)}" in text.replace("\r\n", "")


def test_unregistered_users_have_no_certificate(client, county):
    stranger = factories.volunteer(None, registered=False)
    res = client.get("/api/mp/v1/me/certificate.pdf", headers=factories.headers(stranger))
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "NOT_REGISTERED"


def test_star_level_is_printed_from_lifetime_hours(client, county, volunteer, coordinator):
    for day in range(1, 29):
        add_shift(volunteer, county.post_east, datetime(START.year - 1, 2, day, 7, 0), 240)  # 112 hours
    add_shift(volunteer, county.post_east, at(3), 60)
    res = certificate(client, coordinator, volunteer.id, **PERIOD)
    text, _, _, _ = read_pdf(res.data)
    assert "一星" in text and "1.00 小时" in text
