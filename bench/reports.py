"""Benchmark: hour reports on a county-sized year (1,000,000 shifts, 20,000 volunteers).

    .venv/bin/python bench/reports.py [--database sqlite|postgresql] [--url URL] [--shifts 1000000] [--reuse]

Prints the month's totals by unit, the year's totals by volunteer (every row
read, star levels included), and a 100,000-row XLSX export of shift records,
timed and with the peak memory of a fresh process doing only the export.

Each figure stands beside its floor, measured in the same run and timed in turns
with it, and the ratio of the two, which holds however busy the machine is
(bench/floors.py): for a report, one hand-written SQL statement answering the same
question through the bare driver (sqlite3 or psycopg) on the same database and
indexes, every row fetched; for the export, the same rows (taken out of the
database beforehand) written by XlsxWriter in constant_memory mode, and as CSV by
the csv module. The bench stops if a floor's answer differs from the app's.
Timings are medians of a few runs after one warm-up. The last line is one JSON
object with, for each figure, ``<figure>_ms``, ``<figure>_floor_ms`` and
``<figure>_ratio``:
{"database", "shifts", "month_by_unit_ms", "month_by_unit_floor_ms", "month_by_unit_ratio",
 "year_by_volunteer_ms", ..., "xlsx_100k_ms", "xlsx_100k_floor_ms", "xlsx_100k_ratio",
 "xlsx_100k_csv_floor_ms", "xlsx_100k_peak_mb", ..., "coverage_month_ms", ..., "duty_now_ms", ...}.

Timing sections are plain functions of a Context listed in SECTIONS, each
returning the figures it adds to that JSON object; other benchmarks on the
same data (duty, coverage) add theirs to the list. Data comes from
bench/dataset.py; --shifts 50000 gives a quick run. The default databases are
scratch ones; --url (or BENCH_DATABASE_URL) names another.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import floors  # noqa: E402
from bench.dataset import Dataset, generate  # noqa: E402

DEFAULT_URLS = {
    "sqlite": "sqlite:////tmp/redvest-bench/reports.sqlite3",
    "postgresql": "postgresql://postgres@127.0.0.1:5432/redvest_bench",
}
EXPORT_ROWS = 100_000


@dataclass
class Context:
    dataset: Dataset
    app: object  # Flask app, its app context pushed
    leader: object  # server.callers.Caller seeing everything
    raw: object  # a bare DB-API connection to the same database, for the floors


# --- the floors: each report as one hand-written statement (bench/floors.py) -------------------

# The figures of a report row, over the rows of FINISHED AND NOT_REJECTED.
METRICS_SQL = """
  sum(CASE WHEN review_state != 'pending' AND source IN ('scan', 'leader') THEN credited_minutes ELSE 0 END) AS scanned,
  sum(CASE WHEN review_state != 'pending' AND source NOT IN ('scan', 'leader') THEN credited_minutes ELSE 0 END) AS manual,
  sum(CASE WHEN review_state != 'pending' THEN 1 ELSE 0 END) AS shift_count,
  sum(CASE WHEN review_state != 'pending' THEN persuasions ELSE 0 END) AS persuasions,
  sum(CASE WHEN review_state != 'pending' THEN questionnaires ELSE 0 END) AS questionnaires,
  sum(CASE WHEN review_state = 'pending' THEN 1 ELSE 0 END) AS pending_count,
  sum(CASE WHEN review_state = 'pending' THEN credited_minutes ELSE 0 END) AS pending_minutes"""

# Every unit's row, and the total with the distinct people who served (which the rows cannot be
# summed into): the month on the date-first covering index, grouped by unit; and the month again
# for the distinct count. (Counting them inside the grouped pass, per unit and person first,
# then per unit and over all, takes longer than the second pass.)
MONTH_BY_UNIT_SQL = f"""
SELECT u.id, u.name, g.scanned, g.manual, g.shift_count, g.persuasions, g.questionnaires, g.pending_count,
       g.pending_minutes, g.volunteers
FROM units u LEFT JOIN (
  SELECT unit_id, {METRICS_SQL},
         count(DISTINCT CASE WHEN review_state != 'pending' THEN volunteer_id END) AS volunteers
  FROM shifts
  WHERE {floors.FINISHED} AND {floors.NOT_REJECTED} AND local_date >= :first AND local_date <= :last
  GROUP BY unit_id) g ON g.unit_id = u.id
UNION ALL
SELECT NULL, '合计', NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(DISTINCT volunteer_id)
FROM shifts
WHERE {floors.FINISHED} AND {floors.COUNTED} AND local_date >= :first AND local_date <= :last"""


# Every volunteer in the year with a star level from lifetime minutes: the period's figures
# grouped on the date-first covering index, the lifetime minutes on the volunteer-first one
# (in volunteer order, no sort), joined to the people in the report's order. (One pass over
# every finished shift computing both, the period's figures as CASE terms, reads fewer rows
# but takes SQLite about three times as long.)
YEAR_BY_VOLUNTEER_SQL = f"""
SELECT p.id, p.name, p.phone, un.name AS unit_name, t.scanned, t.manual, t.shift_count, t.persuasions,
       t.questionnaires, t.pending_count, t.pending_minutes, l.lifetime
FROM users p
LEFT JOIN (
  SELECT volunteer_id, {METRICS_SQL}
  FROM shifts
  WHERE {floors.FINISHED} AND {floors.NOT_REJECTED} AND local_date >= :first AND local_date <= :last
  GROUP BY volunteer_id) t ON t.volunteer_id = p.id
LEFT JOIN (
  SELECT volunteer_id, sum(credited_minutes) AS lifetime
  FROM shifts WHERE {floors.FINISHED} AND {floors.COUNTED}
  GROUP BY volunteer_id) l ON l.volunteer_id = p.id
LEFT JOIN units un ON un.id = p.unit_id
WHERE t.volunteer_id IS NOT NULL OR (p.registered_at IS NOT NULL AND p.status = 'active')
ORDER BY un.name, p.name, p.id"""


def _params(ctx: Context, first: date, last: date) -> dict:
    if floors.dialect(ctx.raw) == "sqlite":
        return {"first": first.isoformat(), "last": last.isoformat()}
    return {"first": first, "last": last}


def month_by_unit(ctx: Context) -> dict:
    from server.records import reports

    first, last = date(ctx.dataset.year, 6, 1), date(ctx.dataset.year, 6, 30)

    def run():
        report = reports.hours(ctx.leader, "unit", first, last, reports.Filters())
        return list(report.rows), report.totals

    def floor():
        return floors.fetch(ctx.raw, MONTH_BY_UNIT_SQL, _params(ctx, first, last))

    rows, totals = run()
    floor_rows = floor()
    units = [r for r in floor_rows if r[0] is not None]
    _agree("month_by_unit", (totals["credited_minutes"], totals["volunteers"], len(rows)),
           (sum(int(r[2] or 0) + int(r[3] or 0) for r in units),
            next(int(r[9]) for r in floor_rows if r[0] is None), len(units)))
    return {**floors.paired("month_by_unit", run, floor, 7), "month_units": len(rows)}


def year_by_volunteer(ctx: Context) -> dict:
    from server.records import reports

    def run():
        report = reports.hours(ctx.leader, "volunteer", ctx.dataset.first, ctx.dataset.last, reports.Filters())
        return [(row["volunteer_id"], row["credited_minutes"], row["star_level"]) for row in report.rows]

    def floor():
        return floors.fetch(ctx.raw, YEAR_BY_VOLUNTEER_SQL, _params(ctx, ctx.dataset.first, ctx.dataset.last))

    from server.checkin.hours import star_level

    got = run()
    want = [(r[0], int(r[4] or 0) + int(r[5] or 0), star_level(int(r[11] or 0))) for r in floor()]
    _agree("year_by_volunteer", got, want)
    return {**floors.paired("year_by_volunteer", run, floor, 3), "year_volunteer_rows": len(got)}


def _agree(name: str, app, floor) -> None:
    """The floor answers the same question: a bench whose floor disagrees with the app stops."""
    if app != floor:
        raise SystemExit(f"{name}: the app and its floor disagree: {str(app)[:200]} != {str(floor)[:200]}")


def _export_in_child(url: str, first: str, last: str, rows: int, repeat: int, queue) -> None:
    """Runs in a fresh interpreter so its peak RSS is the export's, not the data generator's.

    The app's export is timed first (its peak memory read right after it); with ``repeat``
    the floors follow, timed in turns with the app's export again: the same rows, taken
    out of the database beforehand, written by XlsxWriter in constant_memory mode with the
    same columns, widths and formats, and as CSV by the csv module."""
    import gc

    from server import create_app
    from server.callers import Caller
    from server.clock import county_zone
    from server.records import exports, reports, shift_records

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-long-enough"})
    period = date.fromisoformat(first), date.fromisoformat(last)
    with app.app_context():
        caller = Caller(0, "leader", "active", False, None, None, None, "bench")
        tz = county_zone()

        def export_rows():
            records = shift_records.records(caller, *period, reports.Filters(), limit=rows)
            return (shift_records.as_export_row(record, tz) for record in records)

        def app_export() -> tuple[float, int, int]:
            written = 0

            def counted():
                nonlocal written
                for row in export_rows():
                    written += 1
                    yield row

            began = time.perf_counter()
            with tempfile.TemporaryFile() as fp:
                exports.write_xlsx(exports.records_table(counted(), *period), fp)
                size = fp.tell()
            return (time.perf_counter() - began) * 1000, written, size

        baseline_kb = _peak_rss_kb()  # the app, loaded and idle
        elapsed, written, size = app_export()
        result = {"ms": round(elapsed, 1), "peak_mb": round(_peak_rss_kb() / 1024, 1), "rows": written,
                  "bytes": size, "baseline_mb": round(baseline_kb / 1024, 1)}
        if repeat:
            columns = exports.RECORD_COLUMNS
            values = [[row.get(c.field) for c in columns] for row in export_rows()]
            gc.freeze()  # the floors' rows are not garbage; collections need not walk them
            app_ms, xlsx_ms, csv_ms = [elapsed], [], []
            for turn in range(repeat):
                xlsx_ms.append(_timed(lambda: _xlsx_floor(columns, values)))
                csv_ms.append(_timed(lambda: _csv_floor(columns, values)))
                if turn + 1 < repeat:
                    app_ms.append(app_export()[0])
            result.update(floors.figures("xlsx", statistics.median(app_ms), statistics.median(xlsx_ms)))
            result["csv_floor_ms"] = round(statistics.median(csv_ms), 1)
    queue.put(result)


def _timed(run: Callable[[], object]) -> float:
    began = time.perf_counter()
    run()
    return (time.perf_counter() - began) * 1000


def _xlsx_floor(columns, values: list[list]) -> None:
    """The rows as XlsxWriter writes them fastest: constant_memory, one typed call per cell."""
    import xlsxwriter

    with tempfile.TemporaryFile() as fp:
        workbook = xlsxwriter.Workbook(fp, {"constant_memory": True})
        sheet = workbook.add_worksheet("floor")
        header = workbook.add_format({"bold": True, "bg_color": "#F2DCDB", "pattern": 1, "align": "center",
                                      "valign": "vcenter", "text_wrap": True})
        number_formats = {"hours": workbook.add_format({"num_format": "0.00"}),
                          "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
                          "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})}
        writers = {"text": sheet.write_string, "int": sheet.write_number, "hours": sheet.write_number,
                   "date": sheet.write_datetime, "datetime": sheet.write_datetime}
        cells = []
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
            sheet.write_string(0, index, column.header, header)
            cells.append((index, writers[column.kind], number_formats.get(column.kind)))
        sheet.freeze_panes(1, 0)
        for number, row in enumerate(values, start=1):
            for index, write, number_format in cells:
                value = row[index]
                if value is not None:
                    write(number, index, value, number_format)
        workbook.close()


def _csv_floor(columns, values: list[list]) -> None:
    """The rows as the csv module writes them: UTF-8 with a BOM, as the app's CSV."""
    import csv

    with tempfile.TemporaryFile("w", encoding="utf-8-sig", newline="") as fp:
        writer = csv.writer(fp)
        writer.writerow([c.header for c in columns])
        writer.writerows(values)


def _peak_rss_kb() -> int:
    """This process's peak RSS. VmHWM, not ru_maxrss: on Linux the latter carries over the
    parent's size from the fork that preceded exec, which would charge the data generator here."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _export(ctx: Context, rows: int, repeat: int = 0) -> dict:
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    child = spawn.Process(target=_export_in_child, args=(
        ctx.dataset.url, ctx.dataset.first.isoformat(), ctx.dataset.last.isoformat(), rows, repeat, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def xlsx_100k(ctx: Context) -> dict:
    small, large = _export(ctx, EXPORT_ROWS // 10), _export(ctx, EXPORT_ROWS, repeat=2)
    return {"xlsx_100k_ms": large["xlsx_ms"], "xlsx_100k_floor_ms": large["xlsx_floor_ms"],
            "xlsx_100k_ratio": large["xlsx_ratio"], "xlsx_100k_csv_floor_ms": large["csv_floor_ms"],
            "xlsx_100k_first_ms": large["ms"], "xlsx_100k_peak_mb": large["peak_mb"],
            "xlsx_100k_rows": large["rows"], "xlsx_100k_bytes": large["bytes"], "xlsx_10k_peak_mb": small["peak_mb"],
            "xlsx_app_baseline_mb": large["baseline_mb"]}


# Timing sections, in order. Each takes the Context and returns figures for the JSON line.
SECTIONS: list[Callable[[Context], dict]] = [month_by_unit, year_by_volunteer, xlsx_100k]

from bench import duty as _duty  # noqa: E402  (duty queries and coverage: duty_at_ms, duty_now_ms, coverage_month_ms)
SECTIONS += _duty.SECTIONS


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=sorted(DEFAULT_URLS), default="sqlite")
    parser.add_argument("--url", help="database URL (default: a scratch database for --database)")
    parser.add_argument("--shifts", type=int, default=1_000_000)
    parser.add_argument("--volunteers", type=int, default=20_000)
    parser.add_argument("--reuse", action="store_true", help="keep a database built with the same parameters")
    parser.add_argument("--only", help="comma-separated section names (e.g. month_by_unit,coverage_month)")
    args = parser.parse_args(argv)
    sections = [f for f in SECTIONS if not args.only or f.__name__ in args.only.split(",")]
    url = args.url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URLS[args.database]

    dataset = generate(url, shifts=args.shifts, volunteers=args.volunteers, reuse=args.reuse,
                       log=lambda line: print(line, flush=True))
    from server import create_app
    from server.callers import Caller

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-long-enough"})
    from server.worker_gc import freeze_loaded_app

    freeze_loaded_app()  # as a gunicorn worker does once the app is loaded (deploy/gunicorn.conf.py)
    result = {"database": args.database, "shifts": dataset.shifts, "volunteers": dataset.volunteers,
              "units": dataset.units, "posts": dataset.posts}
    raw = floors.connect(url)
    with app.app_context():
        ctx = Context(dataset, app, Caller(0, "leader", "active", False, None, None, None, "bench"), raw)
        for section in sections:
            figures = section(ctx)
            for name, value in figures.items():
                print(f"{name}: {value}", flush=True)
            result.update(figures)
    raw.close()
    print(floors.ratio_line(result), flush=True)
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
