"""Printable posters for posts: one page with the post's QR code, as PNG and PDF.

A coordinator prints a whole district at once (a couple of hundred posts), so
the work is arranged for throughput:

* everything that depends only on paper size and post kind (the red header,
  the QR frame, the instructions, the footer band) is drawn once per worker
  and copied for each poster;
* pages are palette images with a 16-colour palette, i.e. 4-bit PNGs, small
  and quick to compress, and the PNG's compressed data goes into the PDF as
  is (see ``pdfpages``);
* posters are rendered in a process pool, in order, with only a few pages in
  flight, so memory does not grow with the number of posts.

Text is drawn without anti-aliasing: at 300 dpi the steps are invisible on
paper, and it keeps the palette small.
"""
from __future__ import annotations

import datetime
import io
import multiprocessing
import os
import re
import shutil
import tempfile
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

from PIL import Image, ImageDraw

from qr import fonts, images, textfit
from qr.fonts import FontMissing
from qr.pdfpages import PdfPages

__all__ = ["PAPERS", "FontMissing", "PosterInfo", "export_posters", "poster_png", "render_poster", "write_pdf"]

DPI = 300
PDF_NAME = "posters.pdf"


@dataclass(frozen=True)
class Paper:
    name: str
    width_px: int
    height_px: int
    width_pt: float  # exact ISO size, 1 pt = 1/72 inch
    height_pt: float


PAPERS = {
    "A5": Paper("A5", 1748, 2480, 148 / 25.4 * 72, 210 / 25.4 * 72),
    "A4": Paper("A4", 2480, 3508, 210 / 25.4 * 72, 297 / 25.4 * 72),
}

# Title and slogan printed in the red header, by post kind.
HEADERS = {
    "intersection": ("文明交通劝导岗", "礼让斑马线 · 文明出行"),
    "park": ("文明志愿服务岗", "爱护绿地 · 文明游园"),
    "community": ("文明志愿服务岗", "垃圾分类引导 · 邻里守望"),
    "street": ("文明志愿服务岗", "文明劝导 · 市容守护"),
    "other": ("志愿服务岗", "奉献 · 友爱 · 互助 · 进步"),
}
KICKER = "红马甲志愿服务"
INSTRUCTION = "微信扫码  上岗 / 下岗"
HINT = "到岗时扫一次，离岗时再扫一次"


@dataclass
class PosterInfo:
    post_id: int
    name: str
    kind: str  # intersection / park / community / street / other
    district: str
    code: str  # short code read out on support calls, e.g. "P0012"
    qr_version: int
    payload: str  # exactly what the QR code must hold
    printed_on: datetime.date
    # An official WeChat mini-program code to print instead of the QR: an image, or its
    # encoded bytes (a JPEG is ~50 kB to hand to a worker process; decoded, megabytes).
    image: Image.Image | bytes | None = None


# Palette indices. 0-7 are the poster's colours; 8-15 a grey ramp so that a
# WeChat mini-program code image (anti-aliased, sometimes tinted) survives
# being mapped onto the palette.
WHITE, RED, INK, GREY, PINK, BLACK, PALE, DARK_RED = range(8)
_COLOURS = [
    (255, 255, 255), (200, 22, 29), (31, 31, 31), (102, 102, 102),
    (253, 236, 236), (0, 0, 0), (255, 226, 226), (150, 12, 18),
] + [(v, v, v) for v in (30, 60, 90, 120, 150, 180, 210, 235)]
PALETTE = [c for rgb in _COLOURS for c in rgb]


# ---------------------------------------------------------------- layout

@dataclass(frozen=True)
class _Layout:
    """Positions in pixels. Designed on A5 and scaled by width for A4;
    the footer is anchored to the bottom edge because A4 is a hair shorter
    relative to its width than A5 is."""

    paper: Paper

    def px(self, a5_value: float) -> int:
        return round(a5_value * self.paper.width_px / PAPERS["A5"].width_px)

    @property
    def width(self) -> int:
        return self.paper.width_px

    @property
    def height(self) -> int:
        return self.paper.height_px

    @property
    def margin(self) -> int:
        return self.px(110)

    @property
    def text_width(self) -> int:
        return self.width - 2 * self.margin

    @property
    def qr_size(self) -> int:  # 9.5 cm on A5, 13.5 cm on A4
        return self.px(1122)

    @property
    def qr_box(self) -> tuple[int, int, int, int]:
        x = (self.width - self.qr_size) // 2
        y = self.px(850)
        return x, y, x + self.qr_size, y + self.qr_size

    @property
    def footer_top(self) -> int:
        return self.height - self.px(110)


def _sizes(layout: _Layout, largest: int, smallest: int) -> range:
    return range(layout.px(smallest), layout.px(largest) + 1, max(1, layout.px(4)))


def _draw(draw: ImageDraw.ImageDraw, fitted: textfit.Fitted, center_x: float, center_y: float, fill: int) -> None:
    """Draw fitted lines as a block centred on (center_x, center_y)."""
    y = center_y - fitted.line_height * len(fitted.lines) / 2
    for line in fitted.lines:
        draw.text((center_x, y + fitted.line_height / 2), line, font=fitted.font, fill=fill, anchor="mm")
        y += fitted.line_height


def _one_line(
    layout: _Layout, text: str, font_file: str, weight: int, largest: int, width: int | None = None
) -> textfit.Fitted:
    """``text`` on one line at up to ``largest`` A5 pixels, shrunk (or cut) to fit."""
    return textfit.fit(
        text, font_file, weight, width or layout.text_width, layout.px(largest * 1.3),
        _sizes(layout, largest, largest * 0.5), max_lines=1,
    )


def _line(
    draw: ImageDraw.ImageDraw, layout: _Layout, text: str, font_file: str,
    weight: int, center_y: int, largest: int, fill: int,
) -> None:
    _draw(draw, _one_line(layout, text, font_file, weight, largest), layout.width / 2, center_y, fill)


# ---------------------------------------------------------------- drawing

@lru_cache(maxsize=12)
def _template(paper: str, kind: str, font_file: str) -> Image.Image:
    """Everything that is the same for every poster of this paper and kind."""
    layout = _Layout(PAPERS[paper])
    px = layout.px
    im = Image.new("P", (layout.width, layout.height), WHITE)
    im.putpalette(PALETTE)
    draw = ImageDraw.Draw(im)
    title, slogan = HEADERS[kind]

    draw.rectangle((0, 0, layout.width, px(430)), fill=RED)
    draw.rectangle((0, px(430), layout.width, px(442)), fill=DARK_RED)
    _line(draw, layout, KICKER, font_file, 500, px(78), 44, PALE)
    _line(draw, layout, title, font_file, 900, px(212), 140, WHITE)
    _line(draw, layout, slogan, font_file, 500, px(352), 52, WHITE)

    x0, y0, x1, y1 = layout.qr_box
    pad = px(22)
    draw.rounded_rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), radius=px(40), outline=RED, width=px(8))

    _line(draw, layout, INSTRUCTION, font_file, 900, px(2068), 92, RED)
    _line(draw, layout, HINT, font_file, 400, px(2156), 44, GREY)

    draw.rectangle((0, layout.footer_top, layout.width, layout.height), fill=RED)
    return im


def render_poster(info: PosterInfo, paper: str = "A5", font_file: str | None = None) -> Image.Image:
    """The poster as a palette image of exactly the paper's size at 300 dpi."""
    layout = _Layout(_paper(paper))
    if info.kind not in HEADERS:
        raise ValueError(f"unknown post kind {info.kind!r}; expected one of {', '.join(HEADERS)}")
    font_file = _poster_font(font_file)
    missing = fonts.missing_glyphs(font_file, info.name + info.district + info.code)
    if missing:
        raise FontMissing(f"post {info.post_id}: the poster font has no glyphs for {missing!r}")
    px = layout.px
    im = _template(layout.paper.name, info.kind, font_file).copy()
    draw = ImageDraw.Draw(im)

    name = textfit.fit(info.name, font_file, 700, layout.text_width, px(250), _sizes(layout, 136, 44))
    _draw(draw, name, layout.width / 2, px(596), INK)
    _line(draw, layout, info.district, font_file, 400, px(774), 50, GREY)

    _paste_code(im, info, layout)

    # The post code in a pill: what a volunteer reads out when calling for help.
    code = _one_line(layout, f"岗位编号  {info.code}", font_file, 700, 60, width=layout.text_width - px(120))
    half = code.font.getlength(code.lines[0]) / 2 + px(48)
    cx, cy = layout.width / 2, px(2266)
    draw.rounded_rectangle(
        (cx - half, cy - px(52), cx + half, cy + px(52)), radius=px(52), fill=PINK, outline=RED, width=px(4)
    )
    _draw(draw, code, cx, cy, INK)

    foot_font = fonts.load(font_file, px(36), 500)
    foot_y = (layout.footer_top + layout.height) // 2
    version, printed = f"二维码版本 v{info.qr_version}", f"打印日期 {info.printed_on:%Y-%m-%d}"
    draw.text((layout.margin, foot_y), version, font=foot_font, fill=WHITE, anchor="lm")
    draw.text((layout.width - layout.margin, foot_y), printed, font=foot_font, fill=WHITE, anchor="rm")
    return im


def _paste_code(im: Image.Image, info: PosterInfo, layout: _Layout) -> None:
    x0, y0, _, _ = layout.qr_box
    size = layout.qr_size
    if info.image is None:
        symbol = images.qr_image(info.payload, size)
        # Paint black through the dark modules; the template is white there already.
        dark = symbol.convert("L").point(lambda v: 255 - v)
        im.paste(BLACK, (x0, y0, x0 + size, y0 + size), dark)
        return
    code = Image.open(io.BytesIO(info.image)) if isinstance(info.image, bytes) else info.image
    if code.mode in ("RGBA", "LA", "PA") or "transparency" in code.info:
        # WeChat's "transparent background" codes: flatten onto the white paper.
        rgba = code.convert("RGBA")
        code = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        code.alpha_composite(rgba)
    code = code.convert("RGB").resize((size, size), Image.Resampling.LANCZOS)
    im.paste(code.quantize(palette=_palette_image(), dither=Image.Dither.NONE), (x0, y0))


@lru_cache(maxsize=1)
def _palette_image() -> Image.Image:
    pal = Image.new("P", (1, 1))
    pal.putpalette(PALETTE)
    return pal


def poster_png(info: PosterInfo, paper: str = "A5", font_file: str | None = None) -> bytes:
    """The poster as a 4-bit palette PNG (about 100-200 kB)."""
    buf = io.BytesIO()
    # Level 3 compresses these flat pages nearly as well as 9, several times faster.
    render_poster(info, paper, font_file).save(buf, "PNG", compress_level=3, dpi=(DPI, DPI))
    return buf.getvalue()


# ---------------------------------------------------------------- batches

def write_pdf(
    infos: Iterable[PosterInfo],
    fp: BinaryIO | str | os.PathLike,
    paper: str = "A5",
    font_file: str | None = None,
    workers: int = 2,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write one page per poster to ``fp`` (a binary file or a path); returns the page count.

    The font is checked before a byte is written. Given a path, the file
    appears only once it is complete. With ``workers`` > 1 pages are drawn in
    "spawn" worker processes, so a plain script calling this needs the usual
    ``if __name__ == "__main__":`` guard (Flask's CLI, gunicorn and pytest
    are fine); ``workers=1`` draws in this process.
    """
    font = _poster_font(font_file)
    sheet = _paper(paper)
    if not isinstance(fp, (str, os.PathLike)):
        return _write_pdf(infos, fp, sheet, font, workers, progress)
    target = Path(fp)
    tmp = target.with_name(f".{target.name}.partial")
    try:
        with open(tmp, "wb") as out:
            pages = _write_pdf(infos, out, sheet, font, workers, progress)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return pages


def _write_pdf(infos, fp, sheet: Paper, font: str, workers: int, progress, on_png=None) -> int:
    pdf = PdfPages(fp, (sheet.width_pt, sheet.height_pt), title=f"红马甲岗位二维码 {sheet.name}")
    for post_id, png in _pngs(infos, sheet.name, font, workers):
        if on_png:
            on_png(post_id, png)
        pdf.add_png(png)
        if progress:
            progress(pdf.pages)
    if not pdf.pages:
        raise ValueError("no posts to print")
    pdf.close()
    return pdf.pages


_OWN_FILE = re.compile(r"^\d+\.png$")


def export_posters(
    infos: Iterable[PosterInfo],
    out_dir: str | os.PathLike,
    paper: str = "A5",
    font_file: str | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 2,
) -> list[Path]:
    """Leave exactly ``<post_id>.png`` for each post and ``posters.pdf`` in ``out_dir``.

    Work happens in a hidden staging folder inside ``out_dir`` and is moved in
    only when every poster rendered, so a failure leaves the folder as it was.
    Posters from an earlier export (``<digits>.png``) that are not part of this
    one are removed: a stale poster may carry a revoked QR version. Other
    files in the folder are left alone.
    """
    font = _poster_font(font_file)
    sheet = _paper(paper)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".posters-", dir=out))
    names: list[str] = []

    def keep_png(post_id: int, png: bytes) -> None:
        name = f"{int(post_id)}.png"
        if name in names:
            raise ValueError(f"post {post_id} is listed twice")
        (staging / name).write_bytes(png)
        names.append(name)

    try:
        with open(staging / PDF_NAME, "wb") as pdf:
            _write_pdf(infos, pdf, sheet, font, workers, progress, on_png=keep_png)
        for old in os.listdir(out):
            if _OWN_FILE.match(old) and old not in names:
                (out / old).unlink()
        for name in names + [PDF_NAME]:
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / name for name in names] + [out / PDF_NAME]


def _pngs(infos: Iterable[PosterInfo], paper: str, font: str, workers: int) -> Iterator[tuple[int, bytes]]:
    """(post_id, PNG) in input order, rendered by ``workers`` processes.

    At most a few pages per worker are in flight, so a 2,000-post export
    needs no more memory than a 20-post one.
    """
    if workers <= 1:
        for info in infos:
            yield info.post_id, poster_png(info, paper, font)
        return
    # "spawn", not "fork": the caller may be a threaded web server, and a
    # forked child of a process whose other threads hold locks can deadlock.
    # Workers are direct children, so their memory shows in RUSAGE_CHILDREN.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    pending: deque = deque()
    try:
        for info in infos:
            pending.append((info.post_id, pool.submit(poster_png, info, paper, font)))
            if len(pending) >= 3 * workers:
                post_id, job = pending.popleft()
                yield post_id, job.result()
        while pending:
            post_id, job = pending.popleft()
            yield post_id, job.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _poster_font(font_file: str | None) -> str:
    """The checked font path, refused unless it can draw every fixed text too."""
    path = fonts.font_path(font_file)
    fixed = "".join(title + slogan for title, slogan in HEADERS.values()) + KICKER + INSTRUCTION + HINT
    missing = fonts.missing_glyphs(path, fixed + "岗位编号二维码版本打印日期0123456789-Pv")
    if missing:
        raise FontMissing(f"Poster font {path} has no glyphs for {missing!r}: it would print empty boxes.")
    return path


def _paper(name: str) -> Paper:
    try:
        return PAPERS[name]
    except KeyError:
        raise ValueError(f"unknown paper {name!r}; expected one of {', '.join(PAPERS)}") from None
