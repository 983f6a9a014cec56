"""Benchmark: hour reports on a county-sized year (1,000,000 shifts, 20,000 volunteers).

    .venv/bin/python bench/reports.py [--database sqlite|postgresql] [--url URL] [--shifts 1000000] [--reuse]

Prints the month's totals by unit, the year's totals by volunteer (every row
read, star levels included), and a 100,000-row XLSX export of shift records,
timed and with the peak memory of a fresh process doing only the export.
Each timing is the median of a few runs after one warm-up. The last line is
one JSON object:
{"database", "shifts", "month_by_unit_ms", "year_by_volunteer_ms", "xlsx_100k_ms", "xlsx_100k_peak_mb", ...}.

Timing sections are plain functions of a Context listed in SECTIONS, each
returning the figures it adds to that JSON object; other benchmarks on the
same data (duty, coverage) add theirs to the list. Data comes from
bench/dataset.py; --shifts 50000 gives a quick run.
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


def median_ms(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall-clock and process CPU milliseconds after one warm-up run.

    The CPU figure is this process's own time: with SQLite, which runs in-process,
    it is the cost of the query undisturbed by whatever else the machine is doing;
    with PostgreSQL the server's work is not in it."""
    run()  # warm-up: caches, the statement cache, the database's pages
    wall, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return round(statistics.median(wall), 1), round(statistics.median(cpu), 1)


def month_by_unit(ctx: Context) -> dict:
    from server.records import reports

    first, last = date(ctx.dataset.year, 6, 1), date(ctx.dataset.year, 6, 30)

    def run():
        report = reports.hours(ctx.leader, "unit", first, last, reports.Filters())
        return list(report.rows)

    rows = run()
    wall, cpu = median_ms(run, 7)
    return {"month_by_unit_ms": wall, "month_by_unit_cpu_ms": cpu, "month_units": len(rows)}


def year_by_volunteer(ctx: Context) -> dict:
    from server.records import reports

    def run():
        report = reports.hours(ctx.leader, "volunteer", ctx.dataset.first, ctx.dataset.last, reports.Filters())
        return sum(1 for _ in report.rows)

    count = run()
    wall, cpu = median_ms(run, 3)
    return {"year_by_volunteer_ms": wall, "year_by_volunteer_cpu_ms": cpu, "year_volunteer_rows": count}


def _export_in_child(url: str, first: str, last: str, rows: int, queue) -> None:
    """Runs in a fresh interpreter so its peak RSS is the export's, not the data generator's."""
    from server import create_app
    from server.records import exports
    from server.records import reports
    from server.records import shift_records
    from server.callers import Caller
    from server.clock import county_zone

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-long-enough"})
    with app.app_context():
        caller = Caller(0, "leader", "active", False, None, None, None, "bench")
        tz = county_zone()
        baseline_kb = _peak_rss_kb()  # the app, loaded and idle
        began = time.perf_counter()
        records = shift_records.records(caller, date.fromisoformat(first), date.fromisoformat(last),
                                        reports.Filters(), limit=rows)
        written = 0

        def counted():
            nonlocal written
            for record in records:
                written += 1
                yield shift_records.as_export_row(record, tz)

        with tempfile.TemporaryFile() as fp:
            exports.write_xlsx(exports.records_table(counted(), date.fromisoformat(first),
                                                      date.fromisoformat(last)), fp)
            size = fp.tell()
        elapsed = (time.perf_counter() - began) * 1000
    queue.put({"ms": round(elapsed, 1), "peak_mb": round(_peak_rss_kb() / 1024, 1), "rows": written,
               "bytes": size, "baseline_mb": round(baseline_kb / 1024, 1)})


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


def _export(ctx: Context, rows: int) -> dict:
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    child = spawn.Process(target=_export_in_child, args=(
        ctx.dataset.url, ctx.dataset.first.isoformat(), ctx.dataset.last.isoformat(), rows, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def xlsx_100k(ctx: Context) -> dict:
    small, large = _export(ctx, EXPORT_ROWS // 10), _export(ctx, EXPORT_ROWS)
    return {"xlsx_100k_ms": large["ms"], "xlsx_100k_peak_mb": large["peak_mb"], "xlsx_100k_rows": large["rows"],
            "xlsx_100k_bytes": large["bytes"], "xlsx_10k_peak_mb": small["peak_mb"],
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
    args = parser.parse_args(argv)
    url = args.url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URLS[args.database]

    dataset = generate(url, shifts=args.shifts, volunteers=args.volunteers, reuse=args.reuse,
                       log=lambda line: print(line, flush=True))
    from server import create_app
    from server.callers import Caller

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-long-enough"})
    result = {"database": args.database, "shifts": dataset.shifts, "volunteers": dataset.volunteers,
              "units": dataset.units, "posts": dataset.posts}
    with app.app_context():
        ctx = Context(dataset, app, Caller(0, "leader", "active", False, None, None, None, "bench"))
        for section in SECTIONS:
            figures = section(ctx)
            for name, value in figures.items():
                print(f"{name}: {value}", flush=True)
            result.update(figures)
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
