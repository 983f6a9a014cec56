"""Headless Chromium (Debian's, never a downloaded build) driven by Playwright, for console tests.

A page fails its test on any uncaught JavaScript exception, any failed
request, any HTTP error response, and any request to another origin (the
county's intranet may have no internet).
"""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    if os.environ.get("REDVEST_BROWSER_TESTS") == "0":
        # .ci/run drives the browser in its PostgreSQL half only: on this two-core machine the
        # two halves' Chromiums at once were the slowest stretch of CI.
        pytest.skip("browser tests turned off (REDVEST_BROWSER_TESTS=0)")
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (as .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class Problems(list):
    """What went wrong on a page, checked when the test ends.

    A request cancelled (net::ERR_ABORTED) is a problem only when nothing explains it: a
    download ends its navigation that way, a test that clicks on before a page's script has
    arrived cancels it by leaving the page, and closing the browser cancels what is in flight.
    """

    def __init__(self):
        super().__init__()
        self.downloads: set[str] = set()
        self.aborted: list[str] = []
        self.navigations = 0  # main-frame navigations started so far
        self.started: dict[object, int] = {}  # request -> navigations when it started
        self.closing = False

    def on_request(self, request):
        if request.is_navigation_request() and request.frame.parent_frame is None:
            self.navigations += 1
        self.started[request] = self.navigations

    def on_failed(self, request):
        if request.failure != "net::ERR_ABORTED":
            self.append(f"request failed: {request.url} ({request.failure})")
        elif not self.closing and self.started.get(request, self.navigations) == self.navigations:
            self.aborted.append(request.url)

    def check(self):
        # A download ends its navigation with ERR_ABORTED; that is the browser saving a file.
        problems = list(self) + [f"request failed: {url} (net::ERR_ABORTED)" for url in self.aborted
                                 if url not in self.downloads]
        assert not problems, "console page problems:\n" + "\n".join(problems)


@pytest.fixture
def browser_page(chromium, live_server):
    context = chromium.new_context(base_url=live_server, accept_downloads=True, locale="zh-CN",
                                   viewport={"width": 1440, "height": 900})
    page = context.new_page()
    problems = Problems()
    page.on("pageerror", lambda exc: problems.append(f"uncaught JavaScript exception: {exc}"))
    page.on("download", lambda download: problems.downloads.add(download.url))
    page.on("request", problems.on_request)
    page.on("requestfailed", problems.on_failed)
    page.on("response", lambda res: problems.append(f"HTTP {res.status}: {res.url}")
            if res.status >= 400 else None)

    def guard(route):
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            problems.append(f"request to another origin: {route.request.url}")
            route.abort()

    page.route("**/*", guard)
    page.problems = problems
    yield page
    problems.closing = True
    context.close()
    problems.check()


def follow(page, selector):
    """Click a link and wait until the page it opens has loaded (its script included)."""
    with page.expect_navigation():
        page.click(selector)
