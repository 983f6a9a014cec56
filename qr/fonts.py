"""The CJK font posters are set in.

The default is Noto Sans CJK SC from the ``manimgx-fonts-cjk`` wheel (OFL-1.1,
pinned in requirements.txt), so every machine prints the same poster; system
fonts differ from one machine to the next and are never looked at. The
POSTER_FONT environment variable (or an explicit path) may point elsewhere.

A font that lacks Chinese glyphs prints boxes ("tofu") instead of the post's
name, and nobody notices until the posters are on the street. So every font is
checked for real glyphs before a single file is written, and refused with
:class:`FontMissing` otherwise.
"""
from __future__ import annotations

import functools
import os
from importlib import resources

from PIL import ImageFont

PACKAGE = "manimgx-fonts-cjk"
_PACKAGE_MODULE = "manimgx_fonts_cjk"
_PACKAGE_FILE = "NotoSansCJK-VF.otf.ttc"

# Characters every poster prints; each must have a real glyph.
_PROBE = "岗位编号扫码上下文明交通劝导志愿服务"
# A noncharacter: any font answers it with its .notdef glyph (the tofu box).
_NOTDEF = "\uffff"


class FontMissing(Exception):
    """No usable CJK font: raised before any poster file is written."""


def font_path(override: str | None = None) -> str:
    """The checked path of the poster font.

    ``override`` wins, then the POSTER_FONT environment variable, then the
    font shipped by the pinned package. Raises :class:`FontMissing` when the
    file is absent, unreadable, or has no Chinese glyphs.
    """
    path = override or os.environ.get("POSTER_FONT") or _packaged_font()
    _check(os.path.abspath(path))
    return os.path.abspath(path)


def _packaged_font() -> str:
    try:
        font = resources.files(_PACKAGE_MODULE) / _PACKAGE_FILE
    except ModuleNotFoundError:
        raise FontMissing(
            f"The poster font package '{PACKAGE}' is not installed. "
            "Run `pip install -r requirements.txt`, or set POSTER_FONT to the path "
            "of a font with Simplified Chinese glyphs (e.g. NotoSansCJKsc-Regular.otf)."
        ) from None
    if not font.is_file():
        raise FontMissing(f"The package '{PACKAGE}' is installed but lacks {_PACKAGE_FILE}; reinstall it.")
    return str(font)


@functools.lru_cache(maxsize=8)
def _check(path: str) -> None:
    if not os.path.isfile(path):
        raise FontMissing(f"Poster font not found: {path} (check POSTER_FONT).")
    try:
        font = load(path, 48)
    except OSError as exc:
        raise FontMissing(f"Poster font {path} cannot be opened as a TrueType/OpenType font: {exc}") from None
    missing = "".join(ch for ch in _PROBE if not _ink_differs(font, ch))
    if missing:
        raise FontMissing(
            f"Poster font {path} has no glyphs for {missing!r}: it would print empty "
            "boxes. Use a Simplified Chinese font such as Noto Sans CJK SC."
        )


def missing_glyphs(path: str, text: str) -> str:
    """The characters of ``text`` that ``path`` (a checked font) cannot draw."""
    return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and not _has_glyph(path, ch)))


@functools.lru_cache(maxsize=8192)
def _has_glyph(path: str, ch: str) -> bool:
    return _ink_differs(load(path, 48), ch)


def _ink_differs(font: ImageFont.FreeTypeFont, ch: str) -> bool:
    # Empty ink, or ink identical to the .notdef box, both mean "no glyph".
    mask = font.getmask(ch, mode="1")
    tofu = font.getmask(_NOTDEF, mode="1")
    return any(bytes(mask)) and (mask.size, bytes(mask)) != (tofu.size, bytes(tofu))


@functools.lru_cache(maxsize=16)
def face_index(path: str) -> int:
    """Which face of a font collection (.ttc) to use: the Simplified Chinese one.

    Noto/Source Han collections hold JP, KR, SC, TC and HK faces whose shapes
    differ for the same code point; a Chinese poster must use SC.
    """
    for index in range(32):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:
            break
        if family.endswith((" SC", " CN")) or "SC" in family.split() or "Simplified" in family:
            return index
    return 0


@functools.lru_cache(maxsize=128)
def load(path: str, size: int, weight: int = 400) -> ImageFont.FreeTypeFont:
    """A font object at ``size`` px, at ``weight`` if the font is variable.

    Cached because poster rendering asks for the same few sizes hundreds of
    times; the basic layout engine is enough for CJK and does not depend on
    whether Pillow was built with libraqm.
    """
    font = ImageFont.truetype(path, size, index=face_index(path), layout_engine=ImageFont.Layout.BASIC)
    try:
        axes = font.get_variation_axes()
    except OSError:  # a static font: its one weight is what we get
        return font
    font.set_variation_by_axes(
        [_clamp(weight, a) if a["name"] in (b"Weight", "Weight") else a["default"] for a in axes]
    )
    return font


def _clamp(value: int, axis: dict) -> int:
    return min(max(value, axis["minimum"]), axis["maximum"])
