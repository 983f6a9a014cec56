"""Commands that write files put them where --out says or in the instance folder, say where,
and speak --json like every other command."""
import json
from datetime import datetime
from pathlib import Path

from tests import factories
from tests.report_data import add_shift


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def test_an_hours_report_without_format_or_out_lands_in_the_instance_folder(app, county, tmp_path,
                                                                              monkeypatch):
    here = tmp_path / "where-the-command-runs"
    here.mkdir()
    monkeypatch.chdir(here)
    result = cli(app, "reports", "hours", "--from", "2026-11-01", "--to", "2026-11-30")
    path = Path(result.stdout.strip())
    assert path.parent == Path(app.instance_path) / "reports" and path.suffix == ".xlsx"
    assert path.read_bytes()[:2] == b"PK" and list(here.iterdir()) == []


def test_hours_json_is_the_json_report(app, county):
    volunteer = factories.volunteer(county.unit_a)
    add_shift(volunteer, county.post_east, datetime(2026, 11, 9, 7, 30), 45)
    by_flag = json.loads(cli(app, "reports", "hours", "--from", "2026-11-01", "--to", "2026-11-30",
                             "--json").stdout)
    by_format = json.loads(cli(app, "reports", "hours", "--from", "2026-11-01", "--to", "2026-11-30",
                               "--format", "json").stdout)
    assert by_flag == by_format and by_flag["totals"]["credited_minutes"] == 45


def test_the_format_follows_the_out_files_extension(app, county, tmp_path):
    out = tmp_path / "records.csv"
    summary = json.loads(cli(app, "reports", "shifts", "--from", "2026-11-01", "--to", "2026-11-30",
                             "--out", str(out), "--json").stdout)
    assert summary["out"] == str(out) and out.read_text(encoding="utf-8-sig").startswith("序号") is not None
    assert out.read_bytes()[:2] != b"PK"


def test_a_bulletin_of_a_week_without_a_roster_says_so_instead_of_none(app, county, tmp_path):
    out = tmp_path / "bulletin.pdf"
    result = cli(app, "bulletin", "--week", "2026-W48", "--out", str(out))
    assert "None" not in result.stdout and "本周无排班" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == str(out) and out.read_bytes()[:4] == b"%PDF"


def test_a_bulletin_without_out_goes_to_the_instance_folder(app, county):
    printed = json.loads(cli(app, "bulletin", "--week", "2026-W48", "--json").stdout)
    assert printed["pdf"] == str(Path(app.instance_path) / "bulletins" / "督查通报-2026-W48.pdf")
    assert Path(printed["pdf"]).read_bytes()[:4] == b"%PDF"


def test_posters_without_out_go_to_the_instance_folder_and_every_file_is_named(app, county):
    result = cli(app, "posters", "export", "--district", str(county.west.id))
    folder = Path(app.instance_path) / "posters" / f"district-{county.west.id}-A5"
    printed = result.stdout.strip().splitlines()
    assert str(folder) in printed[0]
    assert printed[1:] == [str(folder / f"{county.post_west.id}.png"), str(folder / "posters.pdf")]
    assert all(Path(p).is_file() for p in printed[1:])


def test_reports_can_be_narrowed_to_how_the_shifts_came_to_be(app, county, tmp_path):
    """As in the console: --source scan, manual or leader; anything else is refused by name."""
    volunteer = factories.volunteer(county.unit_a)
    add_shift(volunteer, county.post_east, datetime(2026, 11, 9, 7, 30), 45)
    add_shift(volunteer, county.post_east, datetime(2026, 11, 10, 7, 30), 30, source="manual", review_state="approved")
    period = ("--from", "2026-11-01", "--to", "2026-11-30")
    manual = json.loads(cli(app, "reports", "hours", *period, "--source", "manual", "--json").stdout)
    scanned = json.loads(cli(app, "reports", "hours", *period, "--source", "scan", "--json").stdout)
    assert (manual["totals"]["credited_minutes"], scanned["totals"]["credited_minutes"]) == (30, 45)
    out = tmp_path / "manual.csv"
    cli(app, "reports", "shifts", *period, "--source", "manual", "--out", str(out))
    assert len(out.read_text(encoding="utf-8-sig").strip().splitlines()) == 2  # the header and the one shift
    refused = app.test_cli_runner().invoke(args=["reports", "hours", *period, "--source", "phone"])
    assert refused.exit_code == 2 and "--source" in refused.output
