"""``flask --app server posters export``: a district's posters, ready for the print shop.

Loaded only when a ``posters`` command runs (server/cli/commands.py, LazyGroup): it brings Pillow.
"""
from __future__ import annotations

import contextlib
import sys

import click

from server.checkin import posters
from server.checkin.posters import FontMissing
from server.cli.commands import emit, json_option, output_file
from server.cli.failures import Command
from server.clock import utcnow
from server.errors import ApiError


@click.command("export", cls=Command)
@click.option("--district", "district_id", type=int, default=None, help="Only this district's active posts.")
@click.option("--post", "post_ids", type=int, multiple=True, help="Only this post (repeatable; inactive too).")
@click.option("--paper", type=click.Choice(posters.PAPERS, case_sensitive=False), default="A5", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for <post id>.png and posters.pdf; created if missing "
                   "(default: <instance>/posters/<district, posts or all>-<paper>).")
@click.option("--workers", type=click.IntRange(1, 32), default=None,
              help="Processes drawing posters (default POSTER_WORKERS).")
@json_option
def export_command(district_id, post_ids, paper, out_dir: str | None, workers, as_json: bool):
    """Posters for every active post, or for a district or some posts.

    Leaves exactly one <post id>.png per post and posters.pdf (one poster a
    page) in --out. Nothing is written if the font is missing, no post
    matches, or any poster fails.
    """
    try:
        font_file = posters.font()
    except FontMissing as exc:
        raise ApiError(f"缺少海报字体：{exc}", code="FONT_MISSING") from None
    batch = posters.Batch.of(posters.select(district_id=district_id, post_ids=post_ids), paper, utcnow())
    label = f"district-{district_id}" if district_id else "posts" if post_ids else "all"
    out = output_file(out_dir, "posters", f"{label}-{batch.paper}")
    out.mkdir(exist_ok=True)

    if batch.codes.enabled:
        with _progress_bar(len(batch.posts), "mini-program codes") as bar:
            batch.prepare(progress=(lambda done: bar.update(done - bar.pos)) if bar else None)
    with _progress_bar(len(batch.posts), f"{batch.paper} posters") as bar:
        try:
            files = posters.export(batch, out, font_file, workers=workers,
                                   progress=(lambda done: bar.update(done - bar.pos)) if bar else None)
        except (FontMissing, ValueError) as exc:
            raise ApiError(f"海报未生成：{exc}", code="POSTERS_FAILED") from None

    plain = len(batch.posts) - batch.official_codes
    summary = {"out": str(out), "paper": batch.paper, "posts": len(batch.posts),
               "files": [f.name for f in files], "official_codes": batch.official_codes, "plain_codes": plain}
    text = [f"{len(batch.posts)} {batch.paper} poster(s) in {out}: {len(batch.posts)} PNG file(s) and posters.pdf"]
    if batch.codes.enabled:
        text.append(f"{batch.official_codes} with the official mini-program code, {plain} with the plain QR code"
                    + (f" (WeChat: {batch.codes.failure})" if batch.codes.failure else ""))
    text += [str(out / f.name) for f in files]
    emit(as_json, summary, "\n".join(text))


def _progress_bar(total: int, label: str):
    """A progress bar on a terminal's stderr (stdout stays clean for --json); nothing otherwise."""
    stream = sys.stderr
    if not stream.isatty():
        return contextlib.nullcontext(None)
    return click.progressbar(length=total, label=label, file=stream)
