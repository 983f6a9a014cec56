"""Small TrueType fonts holding just the characters a PDF needs, cut from the CJK poster font.

The poster font (qr/fonts.py) is a variable CFF2 OpenType collection of 30 MB.
fpdf2 would take minutes to instance it and embeds CFF2 in a way PDF viewers
call invalid. So: take the Simplified Chinese face, keep only the glyphs of
the text to print (fontTools' subsetter, well under a second), fix the
weight, and convert the cubic outlines to TrueType quadratics. Each result is
a few kilobytes and embeds as an ordinary CID TrueType font with a ToUnicode
map, so the PDF's text can be searched and copied.
"""
from __future__ import annotations

import functools
import io
import os
import tempfile
from contextlib import contextmanager
from typing import Iterator

from fontTools import subset
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer
from fpdf import FPDF

from qr.fonts import face_index, font_path

FAMILY = "RedVestCJK"


def truetype_cuts(text: str, weights=(400,), font_file: str | None = None) -> dict[int, bytes]:
    """{weight: TrueType font bytes} covering ``text`` (plus the space) at each weight.

    ``font_file`` overrides the poster font (as POSTER_FONT does); a static
    font gives the same outlines at every weight.
    """
    path = font_path(font_file)
    stat = os.stat(path)
    chars = "".join(sorted(set(text) - {"\n", "\r", "\t"}))
    return {weight: _cut_once(chars, weight, path, stat.st_mtime_ns, stat.st_size) for weight in weights}


@functools.lru_cache(maxsize=64)
def _cut_once(chars: str, weight: int, path: str, mtime_ns: int, size: int) -> bytes:
    """One cut per set of characters, weight and font file (its time and size in the key, so a
    replaced file is cut afresh). A cut takes 1-3 s; the same certificate or bulletin asked for
    again (downloaded twice, printed after a preview) needs the same characters. At most 64
    cuts of a few kilobytes each are kept."""
    return _cut(chars, weight, path)


@contextmanager
def a4_with_cjk(text: str, font_file: str | None = None) -> Iterator:
    """An A4 FPDF with family ``cjk`` (regular and bold) cut to ``text``, for the
    certificate and the bulletin; the cut files live only while the PDF is built."""
    cuts = truetype_cuts(text, (400, 700), font_file)
    with tempfile.TemporaryDirectory() as folder:
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_creator("红马甲志愿服务系统")
        for weight, style in ((400, ""), (700, "B")):
            path = os.path.join(folder, f"cjk-{weight}.ttf")
            with open(path, "wb") as fp:
                fp.write(cuts[weight])
            pdf.add_font("cjk", style, path)
        yield pdf


def _cut(chars: str, weight: int, path: str) -> bytes:
    """The font cut to ``chars`` (each once, no line breaks or tabs) and the space."""
    font = TTFont(path, fontNumber=face_index(path), lazy=True)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = []
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=" " + chars)
    subsetter.subset(font)
    if "fvar" in font:
        axis = next((a for a in font["fvar"].axes if a.axisTag == "wght"), None)
        location = {"wght": min(max(weight, axis.minValue), axis.maxValue)} if axis is not None else {}
        font = instancer.instantiateVariableFont(font, location, inplace=True) or font
    return _as_truetype(font)


def _as_truetype(font: TTFont) -> bytes:
    glyph_set, order = font.getGlyphSet(), font.getGlyphOrder()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        # CFF contours run counter-clockwise, TrueType ones clockwise.
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    builder = FontBuilder(font["head"].unitsPerEm, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(font.getBestCmap())
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: font["hmtx"][name] for name in order})
    builder.setupHorizontalHeader(ascent=font["hhea"].ascent, descent=font["hhea"].descent)
    builder.setupNameTable({"familyName": FAMILY, "styleName": "Regular"})
    os2 = font["OS/2"]
    builder.setupOS2(sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender,
                     usWinAscent=os2.usWinAscent, usWinDescent=os2.usWinDescent)
    builder.setupPost()
    out = io.BytesIO()
    builder.font.save(out)
    return out.getvalue()
