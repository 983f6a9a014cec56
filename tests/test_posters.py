"""Posters a coordinator prints and a volunteer scans: checked with an
independent QR decoder (zxing-cpp) and an independent PDF renderer (PDFium).
No Flask app is involved."""
from __future__ import annotations

import datetime
import io
import os
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from qr import fonts, images
from qr.fonts import FontMissing
from qr.posters import PAPERS, PosterInfo, export_posters, poster_png, render_poster, write_pdf

LONG_NAME = "XX县人民路与解放大道交叉口东南角文明交通劝导岗"
SHORT_NAME = "东湖公园"
MM_PER_INCH = 25.4
DPI = 300


def payload(post_id: int, version: int = 1) -> str:
    return f"http://127.0.0.1:5000/q/{post_id}.{version}.AbCdEf0123456_-x"


def info(post_id: int = 12, name: str = SHORT_NAME, kind: str = "park", **kw) -> PosterInfo:
    fields = dict(
        post_id=post_id, name=name, kind=kind, district="武昌区中华路街道", code=f"P{post_id:04d}",
        qr_version=3, payload=payload(post_id, 3), printed_on=datetime.date(2025, 11, 26),
    )
    fields.update(kw)
    return PosterInfo(**fields)


def decode(image: Image.Image) -> list:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def only_qr(image: Image.Image):
    found = decode(image)
    assert len(found) == 1, f"expected exactly one QR code, found {len(found)}"
    return found[0]


def symbol_box(result) -> tuple[int, int, int, int]:
    """The symbol's pixel box (zxing reports the outer corners of the modules)."""
    pos = result.position
    corners = (pos.top_left, pos.top_right, pos.bottom_left, pos.bottom_right)
    xs, ys = [p.x for p in corners], [p.y for p in corners]
    return min(xs), min(ys), max(xs), max(ys)


def assert_quiet_zone(image: Image.Image, result, modules: int) -> None:
    """Four modules of white on every side of the symbol, inside the image."""
    x0, y0, x1, y1 = symbol_box(result)
    quiet = round(4 * (x1 - x0) / modules)
    outer = (x0 - quiet, y0 - quiet, x1 + quiet, y1 + quiet)
    assert outer[0] >= 0 and outer[1] >= 0 and outer[2] <= image.width and outer[3] <= image.height
    gray = image.convert("L")
    for band in ((outer[0], outer[1], outer[2], y0), (outer[0], y1, outer[2], outer[3]),
                 (outer[0], y0, x0, y1), (x1, y0, outer[2], y1)):
        assert gray.crop(band).getextrema() == (255, 255), f"quiet zone not white in {band}"
    # ...and the symbol really starts where the quiet zone ends.
    assert gray.crop((x0, y0, x1, y1)).getextrema()[0] == 0


# ------------------------------------------------------------------ QR images

def test_qr_image_holds_exactly_the_payload_at_level_q_with_a_quiet_zone():
    text = payload(12)
    image = images.qr_image(text, 709)
    result = only_qr(image)
    assert result.bytes == text.encode()
    assert result.text == text
    assert result.ec_level in ("Q", "H")
    assert image.size == (709, 709)
    assert_quiet_zone(image, result, len(images.qr_matrix(text)))


def test_qr_png_is_a_png_that_decodes_to_the_payload():
    text = payload(7, 2)
    png = images.qr_png(text, 400)
    assert png.startswith(b"\x89PNG")
    assert only_qr(Image.open(io.BytesIO(png))).text == text


def test_qr_svg_draws_the_same_modules_inside_a_quiet_zone():
    text = payload(3)
    svg = images.qr_svg(text)
    matrix = images.qr_matrix(text)
    total = len(matrix) + 8
    assert f'viewBox="0 0 {total} {total}"' in svg
    # Draw the SVG's path ourselves and let the decoder read it.
    scale = 10
    canvas = Image.new("L", (total * scale, total * scale), 255)
    draw = ImageDraw.Draw(canvas)
    drawn = [[False] * len(matrix) for _ in matrix]
    for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        x, y, run = int(x), int(y), int(run)
        assert x >= 4 and y >= 4 and x + run <= total - 4 and y < total - 4, "module inside the quiet zone"
        draw.rectangle((x * scale, y * scale, (x + run) * scale - 1, (y + 1) * scale - 1), fill=0)
        for dx in range(run):
            drawn[y - 4][x - 4 + dx] = True
    assert drawn == matrix
    assert only_qr(canvas).text == text


# ------------------------------------------------------------------ posters

@pytest.mark.parametrize("paper", ["A5", "A4"])
@pytest.mark.parametrize("name,kind", [(LONG_NAME, "intersection"), (SHORT_NAME, "park")])
def test_poster_png_scans_to_the_payload(paper, name, kind):
    poster = info(post_id=12, name=name, kind=kind)
    image = Image.open(io.BytesIO(poster_png(poster, paper)))
    sheet = PAPERS[paper]
    assert image.size == (sheet.width_px, sheet.height_px)
    assert image.mode == "P"  # palette PNG: small files, fast batches
    result = only_qr(image)
    assert result.bytes == poster.payload.encode()
    assert result.ec_level in ("Q", "H")
    assert_quiet_zone(image, result, len(images.qr_matrix(poster.payload)))
    # Scannable from a metre away: the symbol is at least 6 cm across on paper.
    x0, _, x1, _ = symbol_box(result)
    assert (x1 - x0) / DPI * MM_PER_INCH >= 60


@pytest.mark.parametrize("paper", ["A5", "A4"])
@pytest.mark.parametrize("name", [
    LONG_NAME,
    "XX省XX市XX县人民路与解放大道交叉口东南角文明交通劝导岗（城关镇第三网格）志愿服务点位一号",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
])
def test_long_names_stay_inside_the_page_margins(paper, name):
    image = render_poster(info(name=name, district="某某自治州某某县某某镇某某村民委员会第十二网格服务站"), paper)
    width, height = image.size
    strip = round(5 / MM_PER_INCH * DPI)  # 5 mm at each side, between header and footer
    body = (round(height * 0.19), round(height * 0.95))
    gray = image.convert("L")
    assert gray.crop((0, body[0], strip, body[1])).getextrema() == (255, 255)
    assert gray.crop((width - strip, body[0], width, body[1])).getextrema() == (255, 255)


def test_chinese_names_are_drawn_with_real_glyphs_not_identical_boxes():
    # With a font lacking these characters both names would be the same row of boxes.
    east = render_poster(info(name="东湖公园"))
    west = render_poster(info(name="西湖公园"))
    name_area = (0, round(east.height * 0.19), east.width, round(east.height * 0.30))
    assert east.crop(name_area).tobytes() != west.crop(name_area).tobytes()


def test_an_official_wechat_code_image_replaces_the_plain_qr():
    # Stand-in for a round mini-program code with a transparent background.
    official = images.qr_image("wxacode-scene-12", 430).convert("RGBA")
    poster = render_poster(info(image=official))
    assert only_qr(poster).text == "wxacode-scene-12"


def test_unknown_kind_or_paper_is_refused():
    with pytest.raises(ValueError):
        render_poster(info(kind="airport"))
    with pytest.raises(ValueError):
        render_poster(info(), paper="Letter")


# ------------------------------------------------------------------ PDF

@pytest.mark.parametrize("paper", ["A5", "A4"])
def test_pdf_has_one_page_per_post_at_paper_size_in_order(tmp_path, paper):
    posts = [info(post_id=7, name=SHORT_NAME), info(post_id=12, name=LONG_NAME, kind="intersection"),
             info(post_id=30, name="幸福里社区3号楼垃圾分类投放点", kind="community")]
    target = tmp_path / "district.pdf"
    seen = []
    assert write_pdf(posts, target, paper, workers=2, progress=seen.append) == 3
    assert seen == [1, 2, 3]
    sheet = PAPERS[paper]
    pdf = pdfium.PdfDocument(str(target))
    assert len(pdf) == len(posts)
    for page, post in zip(pdf, posts):
        width_pt, height_pt = page.get_size()
        assert abs(width_pt - sheet.width_pt) < 0.5 and abs(height_pt - sheet.height_pt) < 0.5
        image = page.render(scale=150 / 72).to_pil()
        assert only_qr(image).bytes == post.payload.encode()
    pdf.close()


def test_pdf_to_an_open_file_in_process(tmp_path):
    buf = io.BytesIO()
    assert write_pdf([info()], buf, "A5", workers=1) == 1
    pdf = pdfium.PdfDocument(buf.getvalue())
    assert only_qr(pdf[0].render(scale=150 / 72).to_pil()).text == info().payload
    pdf.close()


# ------------------------------------------------------------------ fonts

def test_a_missing_poster_font_is_a_clear_error_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("POSTER_FONT", str(tmp_path / "no-such-font.otf"))
    out = tmp_path / "out"
    with pytest.raises(FontMissing, match="no-such-font.otf"):
        export_posters([info()], out)
    assert not out.exists()
    with pytest.raises(FontMissing):
        write_pdf([info()], tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_font_is_refused(tmp_path):
    bogus = tmp_path / "font.otf"
    bogus.write_bytes(b"not a font at all")
    with pytest.raises(FontMissing, match="cannot be opened"):
        fonts.font_path(str(bogus))


def test_a_font_without_chinese_glyphs_is_refused():
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not latin.exists():
        pytest.skip("no Latin-only font on this machine to try")
    with pytest.raises(FontMissing, match="no glyphs"):
        fonts.font_path(str(latin))


def test_the_packaged_font_is_used_and_overridable(monkeypatch):
    default = fonts.font_path()
    assert "manimgx_fonts_cjk" in default
    monkeypatch.setenv("POSTER_FONT", default)
    assert fonts.font_path() == default


def test_a_name_with_characters_the_font_lacks_is_refused():
    with pytest.raises(FontMissing, match="no glyphs"):
        render_poster(info(name="东湖\ue000公园"))


# ------------------------------------------------------------------ export

def test_export_leaves_exactly_one_png_per_post_and_the_pdf(tmp_path):
    out = tmp_path / "district" / "posters"
    out.mkdir(parents=True)
    (out / "99.png").write_bytes(b"stale poster of a deleted post")
    (out / "README.txt").write_text("kept")
    posts = [info(post_id=7), info(post_id=12, name=LONG_NAME, kind="intersection")]
    done = []
    export_posters(posts, out, "A5", progress=done.append)
    assert sorted(os.listdir(out)) == ["12.png", "7.png", "README.txt", "posters.pdf"]
    assert done == [1, 2]
    for post in posts:
        assert only_qr(Image.open(out / f"{post.post_id}.png")).text == post.payload
    pdf = pdfium.PdfDocument(str(out / "posters.pdf"))
    assert len(pdf) == 2
    pdf.close()


def test_export_creates_the_folder(tmp_path):
    out = tmp_path / "new"
    export_posters([info(post_id=5)], out, "A4")
    assert sorted(os.listdir(out)) == ["5.png", "posters.pdf"]


def test_a_failed_export_leaves_the_folder_untouched(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(FontMissing):
        export_posters([info(post_id=1), info(post_id=2, name="\ue000")], out, workers=1)
    assert os.listdir(out) == []
