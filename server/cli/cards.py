"""Post leaders, volunteers added by hand and their printed cards, from the command line:

- ``flask --app server posts leaders add|remove|list POST_ID [VOLUNTEER_ID]``
- ``flask --app server volunteers add --name --phone --unit``
- ``flask --app server cards export --unit ID --out DIR`` (A4 sheets of 8 as ``cards.pdf``)
  ``cards revoke VOLUNTEER_ID`` (a lost card stops working) and ``cards code VOLUNTEER_ID``
  (what the card's QR code holds).

The command line acts as nobody in particular (audit entries without an actor), like ``posts rotate-qr``.
"""
from __future__ import annotations

import click

from server.cli.commands import emit, json_option, output_file, posts_cli
from server.cli.failures import Group
from server.clock import county_zone, utcnow
from server.errors import ApiError

leaders_cli = Group("leaders", help="A post's leaders (岗长), who check members in with their cards.")
volunteers_cli = Group("volunteers", help="Volunteers added by hand, without WeChat.")
cards_cli = Group("cards", help="Volunteers' printed cards.")
posts_cli.add_command(leaders_cli)


@leaders_cli.command("add")
@click.argument("post_id", type=int)
@click.argument("volunteer_id", type=int)
@json_option
def leaders_add(post_id: int, volunteer_id: int, as_json: bool):
    """Make a volunteer a leader of a post."""
    from server.checkin import post_leaders

    added = post_leaders.add(None, post_id, volunteer_id, utcnow())
    emit(as_json, {"post_id": post_id, "volunteer_id": volunteer_id, "added": added},
         f"volunteer {volunteer_id} {'now leads' if added else 'already led'} post {post_id}")


@leaders_cli.command("remove")
@click.argument("post_id", type=int)
@click.argument("volunteer_id", type=int)
@json_option
def leaders_remove(post_id: int, volunteer_id: int, as_json: bool):
    """A volunteer no longer leads a post."""
    from server.checkin import post_leaders

    post_leaders.remove(None, post_id, volunteer_id, utcnow())
    emit(as_json, {"post_id": post_id, "volunteer_id": volunteer_id, "removed": True},
         f"volunteer {volunteer_id} no longer leads post {post_id}")


@leaders_cli.command("list")
@click.argument("post_id", type=int)
@json_option
def leaders_list(post_id: int, as_json: bool):
    """The leaders of a post."""
    from server.checkin import post_leaders

    items = post_leaders.list_for(None, post_id, county_zone())
    emit(as_json, {"items": items},
         "\n".join(f"{i['id']:>4}  {i['name']}  {(i['unit'] or {}).get('name', '')}" for i in items)
         or f"post {post_id} has no leaders")


@volunteers_cli.command("add")
@click.option("--name", required=True)
@click.option("--phone", required=True, help="11-digit mobile")
@click.option("--unit", "unit_id", type=int, required=True, help="See `units list`.")
@json_option
def volunteers_add(name: str, phone: str, unit_id: int, as_json: bool):
    """Add a volunteer without WeChat; they serve with a printed card."""
    from server.records import hand_added

    volunteer_id = hand_added.add(None, name=name, phone=phone, unit_id=unit_id, now=utcnow())
    emit(as_json, {"id": volunteer_id, "name": name.strip(), "unit_id": unit_id}, f"volunteer {volunteer_id}: {name}")


@cards_cli.command("export")
@click.option("--unit", "unit_id", type=int, default=None, help="A unit's active volunteers.")
@click.option("--volunteer", "volunteer_ids", type=int, multiple=True, help="A volunteer (repeatable).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for cards.pdf; created if missing (default: <instance>/cards/<unit or chosen>).")
@json_option
def cards_export(unit_id, volunteer_ids, out_dir, as_json: bool):
    """Cards as A4 sheets of 8 (cards.pdf): a unit's, or chosen volunteers'."""
    from qr.fonts import FontMissing
    from server.checkin import cards

    if unit_id is None and not volunteer_ids:
        raise click.UsageError("请给出 --unit 或 --volunteer")
    rows = cards.select(None, unit_id=unit_id, volunteer_ids=volunteer_ids)
    label = f"unit-{unit_id}" if unit_id else "chosen"
    path = output_file(f"{out_dir}/cards.pdf" if out_dir else None, "cards", f"{label}/cards.pdf")
    try:
        pages = cards.pdf(rows, path)
    except FontMissing as exc:
        raise ApiError(f"志愿者卡未生成：{exc}", code="FONT_MISSING") from None
    emit(as_json, {"out": str(path.parent), "file": str(path), "cards": len(rows), "pages": pages},
         f"{len(rows)} card(s) on {pages} A4 page(s): {path}")


@cards_cli.command("revoke")
@click.argument("volunteer_id", type=int)
@click.option("--reason", default=None)
@json_option
def cards_revoke(volunteer_id: int, reason, as_json: bool):
    """Revoke a volunteer's card (lost): the printed card stops working; print a new one."""
    from server.checkin import cards

    result = cards.revoke(None, volunteer_id, utcnow(), reason or "command line")
    emit(as_json, result, f"volunteer {volunteer_id} now at card version {result['card_version']}")




@cards_cli.command("code")
@click.argument("volunteer_id", type=int)
@json_option
def cards_code(volunteer_id: int, as_json: bool):
    """Print what the volunteer's current card's QR code holds (as `posts qr` does for a post)."""
    from server.checkin import cards

    (row,) = cards.select(None, volunteer_ids=[volunteer_id])
    code = cards.token(row["id"], row["card_version"])
    emit(as_json, {"volunteer_id": row["id"], "card_version": row["card_version"], "code": code}, code)


COMMANDS = (volunteers_cli, cards_cli)
