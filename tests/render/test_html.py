"""The `html` format as text: one self-contained page (no address it could load), what it
shows, what it leaves out and says so. tests/render/test_html_browser.py opens it in a
real browser."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Collection, Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from slalang.diagnostics import SlalangError
from slalang.render.report import html, render_report

Report = dict[str, Any]


class Loads(HTMLParser):
    """Every attribute through which a page could load something."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "poster", "data"):
                self.found.append((tag, name, value))
        if tag == "link":
            self.found.append((tag, "link", str(attrs)))


@pytest.fixture(scope="module")
def page(acme_built: Report) -> str:
    timelines = {"L3": "lead L3: 2 events <b>\nclocks:\n  first_touch #1: missed"}
    return render_report(acme_built, "html", timelines=timelines, hide_empty=True)


def test_nothing_on_the_page_can_load_anything(page: str) -> None:
    parser = Loads()
    parser.feed(page)
    assert parser.found == []
    # no address anywhere but in the charting runtime (which names a few it never loads
    # with no data URLs and no action links: the browser test proves it)
    ours = page.replace(html.vega_runtime(), "")
    assert len(ours) < len(page) - 500_000
    assert re.findall(r"https?://[^\s\"'<>)]+", ours) == []
    assert "@import" not in page and "url(" not in page.split("<script>")[0]
    assert "Content-Security-Policy" in page


def test_the_page_names_the_policy_and_the_instant_in_the_agreements_zone(
    page: str, acme_built: Report
) -> None:
    assert acme_built["policy"]["digest"] in page
    assert "Acme Marketing &amp; Sales SLA" in page
    # 2026-03-05T12:00Z in New York
    assert "2026-03-05 07:00 EST" in page
    assert "Verdict: 8 violations" in page


def test_data_is_escaped_and_timelines_embedded_as_text(page: str) -> None:
    assert "lead L3: 2 events &lt;b&gt;" in page
    assert "=cmd|&#39; /C calc&#39;!A0" in page
    assert page.count('<template id="timeline-') == 1


def test_violations_beyond_the_table_are_counted_not_listed(
    acme_built: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(html, "TABLE_ROWS", 3)
    page = render_report(acme_built, "html")
    assert page.count('<tbody class="violation"') == 3
    assert "The worst 3 are listed; 5 violations more are left out of this page" in page


def test_input_accounting_shows_every_counter_even_new_ones(acme_built: Report) -> None:
    report = copy.deepcopy(acme_built)
    report["input"]["bad_values"] = {"company_size": {"not_a_number": 2}, "amount": {"x": 1}}
    report["input"]["bad_value_examples"] = [
        {"file": "events.csv", "line": 7, "field": "company_size", "value": "lots", "reason": "x"}
    ]
    report["input"]["new_counter"] = 4
    page = render_report(report, "html")
    assert re.search(r"<th>bad values</th><td class=\"num\">3</td>", page)
    assert "<li>company_size: not_a_number 2</li><li>amount: x 1</li>" in page
    assert "<li>events.csv:7: company_size: lots: x</li>" in page
    assert re.search(r"<th>new counter</th><td class=\"num\">4</td>", page)


def test_timeline_leads_are_those_of_the_worst_violations_each_once(acme_built: Report) -> None:
    leads = html.timeline_leads(acme_built)
    breaches = [v["lead_id"] for v in acme_built["violations"] if v["kind"] == "sla_breach"]
    # the latest breach first, then the rest in the table's order, without repeats
    assert leads[: len(breaches)] == sorted(
        breaches,
        key=lambda lead: (
            -max(
                v["details"]["late_by_seconds"]
                for v in acme_built["violations"]
                if v["lead_id"] == lead and v["kind"] == "sla_breach"
            )
        ),
    )
    assert len(leads) == len(set(leads))
    assert html.timeline_leads(acme_built, limit=1) == leads[:1]


@pytest.mark.parametrize("fork", [True, False])
def test_timelines_are_told_aside_and_their_errors_raised_where_read(
    acme_built: Report, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    """The timelines are told in a forked process (where forking is allowed) while the
    page is built; what went wrong there is raised where the page reads them."""
    monkeypatch.setattr(html, "FORK", fork)
    asked: list[list[str]] = []

    def refused(leads: Collection[str]) -> Mapping[str, Any]:
        asked.append(list(leads))
        raise SlalangError("events.csv: cannot read events: gone")

    told = html.explain_leads({}, refused, acme_built, {})
    with pytest.raises(SlalangError, match=r"events\.csv: cannot read events: gone"):
        len(told)
    assert asked == ([] if fork else [html.timeline_leads(acme_built)])  # the child asked

    if fork:

        def died(leads: Collection[str]) -> Mapping[str, Any]:
            os._exit(3)

        with pytest.raises(SlalangError, match="reading the worst leads' timelines died"):
            dict(html.explain_leads({}, died, acme_built, {}))


def test_the_same_report_gives_the_same_page(acme_built: Report) -> None:
    assert render_report(acme_built, "html") == render_report(acme_built, "html")


def test_charts_are_numbered_in_the_pages_order(page: str) -> None:
    """The charts' ids follow the page from top to bottom (SLAs, targets, owners), whatever
    order the page's parts are worked out in."""
    ids = [int(found) for found in re.findall(r'class="chart" id="chart-(\d+)"', page)]
    assert len(ids) > 2
    assert ids == sorted(ids) == list(range(1, len(ids) + 1))


def test_the_charting_runtime_is_bundled_once_per_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bundling the charting runtime is most of a small page's time: it is kept in
    slalang's cache and read from there afterwards, the same bytes; a cache that cannot be
    written only means bundling on every run."""
    import vl_convert

    bundle = vl_convert.javascript_bundle
    calls: list[int] = []

    def counted() -> str:
        calls.append(1)
        return str(bundle())

    monkeypatch.setattr(vl_convert, "javascript_bundle", counted)
    try:
        monkeypatch.setenv("SLALANG_CACHE_DIR", str(tmp_path / "cache"))
        html.vega_runtime.cache_clear()
        fresh = html.vega_runtime()
        [kept] = (tmp_path / "cache" / "vega").iterdir()
        assert kept.read_text(encoding="utf-8") == fresh and len(calls) == 1
        html.vega_runtime.cache_clear()  # a new run: read from the cache, not bundled
        assert html.vega_runtime() == fresh and len(calls) == 1
        (tmp_path / "file").write_text("")
        monkeypatch.setenv("SLALANG_CACHE_DIR", str(tmp_path / "file" / "cache"))
        html.vega_runtime.cache_clear()
        assert html.vega_runtime() == fresh and len(calls) == 2
    finally:
        html.vega_runtime.cache_clear()
