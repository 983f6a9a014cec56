"""Garbage collection in a long-lived worker process.

Loading the app leaves a few hundred thousand objects (routes, templates, SQLAlchemy's
tables and compiled statements) that live as long as the worker. Python's full
collections walk every one of them again and again, and a request that builds a few
thousand objects (the duty board: 300 people on duty) sets them off: measured on the
board, full collections were a quarter of its time (0.5 of 2.1 ms on SQLite). Freezing
what the app loaded moves it out of the collector's sight; garbage made afterwards is
collected as before, and frozen objects are still freed when nothing refers to them.

Then the youngest generation is collected after 5,000 new containers rather than 700: a
request keeps what it builds alive until it answers (the board holds 2,400 rows, dicts
and lists at its end), so at 700 the collector walked them twice a request and found
nothing to free (0.2-0.3 of 3.3 ms on the board, SQLite; the bench's ratio to its floor
1.42 -> about 1.3). Cyclic garbage waits a little longer; everything else is
freed by reference counting as before.

gunicorn calls this in each worker once the app is loaded (deploy/gunicorn.conf.py);
the benchmarks that run the app in-process call it the same way, so they measure the
app as a worker runs it. Not called by create_app: tests build hundreds of apps in one
process, and a frozen app of an earlier test would never be collected.
"""
from __future__ import annotations

import gc


YOUNG_THRESHOLD = 5_000


def freeze_loaded_app() -> None:
    gc.collect()  # what loading left behind goes first, rather than be frozen with the rest
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
