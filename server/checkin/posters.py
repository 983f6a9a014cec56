"""Posters for posts: which posts, what each poster says, and the files.

``qr.posters`` draws; this module feeds it from the database. A poster's QR
code holds exactly ``posts.qr_url(post)``, byte for byte what
``flask posts qr ID`` prints; with WeChat configured it carries the post's
official mini-program code instead (``wxacode``), falling back to the plain
QR code when WeChat cannot give one.

Posters downloaded from the console are kept (in POSTER_CACHE_DIR, by
default ``<instance>/poster-cache``) under a name derived from everything
printed on them (post, name, district, QR version, print date, paper, the
code's image, the font and the drawing code), so a second download is
instant and a rename or a rotation can never serve a stale poster. Only
today's files are kept: the print date is on the poster.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterator, Sequence

import sqlalchemy as sa
from flask import current_app

import qr
from qr import fonts, posters as drawing
from qr.posters import FontMissing, PosterInfo
from server.checkin import posts as post_service
from server.wechat import wxacode
from server.clock import county_zone, local_date
from server.db import db
from server.errors import NotFound, ValidationError
from server.models import Post

__all__ = ["Batch", "FontMissing", "NoPosts", "PAPERS", "cached_file", "export", "font", "paper_from", "select"]

PAPERS = tuple(drawing.PAPERS)  # ("A5", "A4")
CACHE_FOLDER = "poster-cache"
_DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Below this many pages, starting worker processes costs more than it saves.
_POOL_THRESHOLD = 8


class NoPosts(NotFound):
    code, message = "NO_POSTS", "没有符合条件的岗位可打印"


def font() -> str:
    """The checked poster font: POSTER_FONT, else the pinned package's; FontMissing otherwise."""
    return fonts.font_path(current_app.config.get("POSTER_FONT") or None)


def paper_from(value: str | None) -> str:
    paper = (value or "A5").strip().upper()
    if paper not in PAPERS:
        raise ValidationError(f"纸张只能是 {'、'.join(PAPERS)} 之一", field="paper")
    return paper


def select(*, district_id: int | None = None, post_ids: Sequence[int] = ()) -> list[Post]:
    """The posts to print, in district and id order.

    Named posts are printed even when inactive (a coordinator may prepare a
    post's poster before it opens); otherwise every active post, of one
    district if given. Raises NoPosts when nothing matches or a named post
    does not exist.
    """
    query = sa.select(Post).order_by(Post.district_id, Post.id)
    if post_ids:
        query = query.where(Post.id.in_(set(post_ids)))
    else:
        query = query.where(Post.active.is_(True))
    if district_id is not None:
        query = query.where(Post.district_id == district_id)
    found = list(db.session.execute(query).scalars())
    missing = sorted(set(post_ids) - {p.id for p in found})
    if missing or not found:
        where = f"片区 {district_id} 中" if district_id is not None else ""
        detail = f"{where}找不到岗位 {'、'.join(map(str, missing))}" if missing else f"{where}没有启用的岗位"
        raise NoPosts(f"没有符合条件的岗位可打印：{detail}")
    return found


@dataclasses.dataclass
class Batch:
    """Posters for some posts on one paper size, printed today."""

    posts: list[Post]
    paper: str
    printed_on: date
    codes: wxacode.OfficialCodes
    # post id -> SHA-256 of its official code, or None for the plain QR code.
    digests: dict[int, str | None] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, posts: list[Post], paper: str, now: datetime) -> "Batch":
        return cls(posts, paper_from(paper), local_date(now, county_zone()),
                   wxacode.OfficialCodes(current_app.config, now, post_service.qr_scene))

    @property
    def official_codes(self) -> int:
        return sum(1 for digest in self.digests.values() if digest)

    def prepare(self, progress: Callable[[int], None] | None = None) -> None:
        """Fetch the official codes now, several at a time (rendering would fetch them one by one)."""
        self.codes.prefetch(self.posts, progress)
        for post in self.posts:
            self._digest(post)

    def _digest(self, post: Post) -> str | None:
        if post.id not in self.digests:
            self.digests[post.id] = self.codes.ensure(post)
        return self.digests[post.id]

    def info(self, post: Post, with_image: bool = True) -> PosterInfo:
        digest = self._digest(post)
        image = wxacode.image(post.id, post.qr_version) if digest and with_image else None
        return PosterInfo(
            post_id=post.id, name=post.name, kind=post.kind, district=post.district.name,
            code=post.code or f"P{post.id:04d}", qr_version=post.qr_version,
            payload=post_service.qr_url(post), printed_on=self.printed_on, image=image)

    def infos(self) -> Iterator[PosterInfo]:
        """One at a time, so only the posters being drawn hold a code image."""
        for post in self.posts:
            yield self.info(post)

    def key(self, kind: str, font_file: str) -> str:
        """A name for the rendered file that changes with anything printed on it."""
        if len(self.digests) < len(self.posts):
            self.prepare()
        sheets = [dataclasses.asdict(self.info(p, with_image=False)) | {"code_image": self.digests[p.id]}
                  for p in self.posts]
        stat = os.stat(font_file)
        material = {"kind": kind, "paper": self.paper, "posters": sheets, "renderer": _renderer(),
                    "font": [font_file, stat.st_size, stat.st_mtime_ns]}
        return hashlib.sha256(json.dumps(material, default=str, sort_keys=True).encode()).hexdigest()

    def workers(self) -> int:
        return max(1, current_app.config["POSTER_WORKERS"]) if len(self.posts) > _POOL_THRESHOLD else 1


def export(batch: Batch, out_dir: str | os.PathLike, font_file: str,
           progress: Callable[[int], None] | None = None, workers: int | None = None) -> list[Path]:
    """``<post id>.png`` for each post and ``posters.pdf`` in ``out_dir`` (see qr.posters.export_posters)."""
    return drawing.export_posters(batch.infos(), out_dir, batch.paper, font_file, progress,
                                  workers=workers or batch.workers())


def cached_file(batch: Batch, kind: str, font_file: str) -> Path:
    """The batch's posters as one PNG (a single post) or one PDF, rendered unless kept from earlier today."""
    if kind == "png" and len(batch.posts) != 1:
        raise ValueError("a PNG holds one poster")
    root = current_app.config.get("POSTER_CACHE_DIR") or os.path.join(current_app.instance_path, CACHE_FOLDER)
    folder = Path(root) / batch.printed_on.isoformat()
    path = folder / f"{batch.key(kind, font_file)}.{kind}"
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    _forget_other_days(folder)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as out:
            if kind == "png":
                out.write(drawing.poster_png(next(batch.infos()), batch.paper, font_file))
            else:
                drawing.write_pdf(batch.infos(), out, batch.paper, font_file, workers=batch.workers())
        os.replace(tmp, path)  # readers see a whole file or none
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _forget_other_days(today: Path) -> None:
    # Only our own day folders (POSTER_CACHE_DIR may hold other things), and only
    # earlier days: a request still printing yesterday's date must not wipe today's.
    for entry in today.parent.iterdir():
        if _DAY_FOLDER.match(entry.name) and entry.name < today.name and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


@functools.lru_cache(maxsize=1)
def _renderer() -> str:
    """A fingerprint of the drawing code, so a deploy that changes the layout
    does not serve posters drawn by the old one."""
    digest = hashlib.sha256()
    for source in sorted(Path(qr.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]
