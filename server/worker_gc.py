"""Garbage collection in a long-lived worker process.

Loading the app leaves a few hundred thousand objects (routes, templates, SQLAlchemy's
tables and compiled statements) that live as long as the worker. Python's full
collections walk every one of them again and again, and a request that builds a few
thousand objects (the duty board: 300 people on duty) sets them off: measured on the
board, full collections were a quarter of its time (0.5 of 2.1 ms on SQLite). Freezing
what the app loaded moves it out of the collector's sight; garbage made afterwards is
collected as before, and frozen objects are still freed when nothing refers to them.

gunicorn calls this in each worker once the app is loaded (deploy/gunicorn.conf.py);
the benchmarks that run the app in-process call it the same way, so they measure the
app as a worker runs it. Not called by create_app: tests build hundreds of apps in one
process, and a frozen app of an earlier test would never be collected.
"""
from __future__ import annotations

import gc


def freeze_loaded_app() -> None:
    gc.collect()  # what loading left behind goes first, rather than be frozen with the rest
    gc.freeze()
