"""The layering the README's layout section describes, checked on the real import graph.

From the top: the views (the mini-program's API, the console's pages, the console API, the
command line); the domain packages (check-in, evidence, records, problems, duty, in that order, each
importing only those before it); then WeChat's client, ``qr`` and the platform (the top-level
``server`` modules and the models). The app factory (``server/__init__.py``) wires them all and
is the one module allowed to import everything.
"""
from __future__ import annotations

import grimp
import pytest

VIEWS = ("miniprogram_api", "server.console", "server.console_api", "server.cli")
DOMAINS = ("server.checkin", "server.evidence", "server.records", "server.problems", "server.duty")
FACTORY = "server"


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("server", "miniprogram_api", "qr")


def layer_of(module: str) -> str:
    for package in VIEWS + DOMAINS + ("server.wechat", "qr"):
        if module == package or module.startswith(package + "."):
            return package
    return "platform"  # server.<module>, server.models


def imports_between(graph, allowed) -> list[str]:
    """Every direct import, outside the factory, whose layers ``allowed(importer, imported)`` refuses."""
    found = []
    for importer in sorted(graph.modules):
        if importer == FACTORY:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported == FACTORY:
                continue
            a, b = layer_of(importer), layer_of(imported)
            if a != b and not allowed(a, b):
                lines = [d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)]
                found.append(f"{importer} -> {imported} (line {', '.join(map(str, lines))})")
    return found


def may_import(importer: str, imported: str) -> bool:
    if importer in VIEWS:
        return True  # views sit on top (the console's pages reuse the console API's helpers)
    if imported in VIEWS:
        return False
    if importer in DOMAINS:
        return imported not in DOMAINS or DOMAINS.index(imported) < DOMAINS.index(importer)
    if importer == "server.wechat":
        return imported == "platform"
    if importer == "qr":
        return False  # no database, no app: a library the rest uses
    return imported == "qr"  # the platform uses qr's fonts and payloads, nothing above it


def test_nothing_below_the_views_imports_a_view(graph):
    assert imports_between(graph, lambda a, b: b not in VIEWS or a in VIEWS) == []


def test_each_layer_imports_only_what_lies_below_it(graph):
    assert imports_between(graph, may_import) == []


def test_checkin_imports_nothing_from_records_or_duty(graph):
    offending = [line for line in imports_between(graph, may_import)
                 if line.startswith("server.checkin") and (" -> server.records" in line or " -> server.duty" in line)]
    assert offending == []
    # and not by way of another package either
    for target in ("server.records", "server.duty"):
        assert not graph.chain_exists(importer="server.checkin", imported=target, as_packages=True), target


def test_no_import_cycles_between_packages(graph):
    packages = VIEWS + DOMAINS + ("server.wechat", "qr")
    cycles = [f"{a} <-> {b}" for i, a in enumerate(packages) for b in packages[i + 1:]
              if graph.chain_exists(importer=a, imported=b, as_packages=True)
              and graph.chain_exists(importer=b, imported=a, as_packages=True)]
    assert cycles == []
