"""The HTML report in a real browser: Debian's chromium, headless, driven by Playwright
(which is told where the browser is and never downloads one). The page must load with no
network request at all, draw its charts, sort and filter the violations table, open a row
to the lead's timeline, and log no error. A screenshot is kept in the test's directory."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from slalang.data import read_events
from slalang.evaluate.run import evaluate, field_specs
from slalang.load import load
from slalang.plan import compile_program
from slalang.render.report import render_report
from slalang.render.report.html import explain_leads
from tests.render.conftest import ACME_AS_OF, ACME_EVENTS, REPO, _mql

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# A lead id that would fetch `x` and run script if the page ever wrote data as markup.
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("html")
    plan = compile_program(load(REPO / "policies" / "acme.sla", root=REPO))
    rows = [*ACME_EVENTS, *_mql(HOSTILE, "2026-02-16T14:00:00Z", segment="mid")]
    events = directory / "events.jsonl"
    events.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    log = read_events([str(events)], field_specs(plan), plan["events"], as_of=ACME_AS_OF)
    report = evaluate(plan, log, as_of=int(ACME_AS_OF.timestamp()))
    sources = {"policies/acme.sla": (REPO / "policies" / "acme.sla").read_text(encoding="utf-8")}
    timelines = explain_leads(plan, lambda _: log.leads, report, sources)
    page = render_report(report, "html", plan=plan, timelines=timelines, hide_empty=True)
    path = directory / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class Opened:
    """A loaded page and what happened while it loaded."""

    def __init__(self, page: Page, requests: list[str], problems: list[str]) -> None:
        self.page = page
        self.requests = requests
        self.problems = problems


@pytest.fixture
def opened(browser: Browser, report_file: Path) -> Iterator[Opened]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    url = report_file.as_uri()
    requests: list[str] = []
    problems: list[str] = []

    def route(route: Any) -> None:
        # the document itself is the one thing the page may load; anything else is
        # recorded and refused
        if route.request.url == url:
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("request", lambda r: r.url != url and requests.append(r.url))
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append("dialog: " + d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_function(
        "document.querySelectorAll('.chart').length > 0 && "
        "[...document.querySelectorAll('.chart')].every(c => c.querySelector('svg'))"
    )
    yield Opened(page, requests, problems)
    page.close()


def test_loads_with_no_network_request_and_no_error(opened: Opened, report_file: Path) -> None:
    opened.page.screenshot(path=str(report_file.with_suffix(".png")), full_page=True)
    assert report_file.with_suffix(".png").stat().st_size > 0
    assert opened.requests == []
    assert opened.problems == []


def test_charts_render_with_marks(opened: Opened) -> None:
    page = opened.page
    charts = page.locator(".chart")
    assert charts.count() >= 8  # compliance + response per SLA, each target, owners
    for index in range(charts.count()):
        chart = charts.nth(index)
        marks = chart.locator("svg g.role-mark path, svg g.role-mark line, svg g.role-mark text")
        assert marks.count() > 0, chart.get_attribute("id")
    # the compliance chart draws the 95% goal as a rule
    compliance = page.locator(".chart", has_text="first_touch: compliance per month")
    assert compliance.locator("svg g.mark-rule.role-mark line").count() == 1


def _column(page: Page, index: int) -> list[str]:
    cells = page.locator(
        f"#violations tbody:not([hidden]) > tr:first-child > td:nth-child({index})"
    )
    return [text.strip() for text in cells.all_inner_texts()]


def test_violations_table_sorts_and_filters(opened: Opened) -> None:
    page = opened.page
    rules = _column(page, 3)
    assert len(rules) == 10  # acme's 8, and the hostile lead's breach and handoff
    page.click("#violations th:has-text('Rule')")
    assert _column(page, 3) == sorted(rules)
    page.click("#violations th:has-text('Rule')")
    assert _column(page, 3) == sorted(rules, reverse=True)
    # lateness sorts as a number, not as text
    page.click("#violations th:has-text('Late')")
    late = [
        int(v)
        for v in page.locator("#violations tbody > tr:first-child > td:nth-child(8)").evaluate_all(
            "cells => cells.map(c => c.dataset.value)"
        )
    ]
    assert late == sorted(late)
    page.select_option("#filter-kind", "SLA breach")
    assert set(_column(page, 2)) == {"SLA breach"}
    assert page.locator("#filter-count").inner_text() == f"{len(_column(page, 2))} of 10 shown"
    page.select_option("#filter-kind", "")
    page.fill("#filter-text", "onerror")
    assert _column(page, 6) == [HOSTILE, HOSTILE]  # its breach and its handoff


def test_a_row_expands_to_the_leads_timeline(opened: Opened) -> None:
    page = opened.page
    page.fill("#filter-text", "L3")
    page.select_option("#filter-kind", "SLA breach")
    button = page.locator("#violations tbody:not([hidden]) button.expand")
    assert button.count() == 1
    button.click()
    timeline = page.locator("#violations tr.timeline pre")
    assert timeline.count() == 1
    text = timeline.inner_text()
    assert text.startswith("lead L3: ")
    assert "first_touch #1: missed" in text
    button.click()
    assert page.locator("#violations tr.timeline").count() == 0


def test_data_is_text_never_markup(opened: Opened) -> None:
    # the hostile lead id is shown as written, and no <img> was created from it
    assert opened.page.locator("img").count() == 0
    assert opened.page.locator("#violations", has_text=HOSTILE).count() == 1


def test_the_diff_page_loads_alone_and_filters_by_change(browser: Browser, tmp_path: Path) -> None:
    from tests.conftest import invoke

    policy = REPO / "policies" / "acme.sla"
    tighter = tmp_path / "acme.sla"
    text = policy.read_text(encoding="utf-8")
    # L2, accepted an hour after it became an MQL, is now late
    tight = text.replace(
        "within 1 business day using office otherwise", "within 30 minutes otherwise"
    )
    tighter.write_text(tight, encoding="utf-8")
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(row) + "\n" for row in ACME_EVENTS), encoding="utf-8")
    out = tmp_path / "diff.html"
    as_of = ["--as-of", "2026-03-05T12:00:00Z", "--root", str(REPO)]
    invoke(
        [
            "diff",
            str(policy),
            str(tighter),
            str(events),
            *as_of,
            "--format",
            "html",
            "-o",
            str(out),
        ],
        1,
    )
    page = browser.new_page()
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: r.url != out.as_uri() and requests.append(r.url))
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(out.as_uri())
    page.wait_for_function("document.querySelectorAll('.chart svg').length === 2")
    page.screenshot(path=str(tmp_path / "diff.png"), full_page=True)
    assert requests == [] and problems == []
    changes = _column(page, 2)
    assert changes and set(changes) <= {"added", "removed"}
    page.select_option("#filter-change", "added")
    assert set(_column(page, 2)) == {"added"}
    page.close()
