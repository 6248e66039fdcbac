"""The `json` and `jsonl` formats: the report as the contract, and the violations a line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from slalang.evaluate.schema import validate_report
from slalang.render.report import FORMATS, render_report
from slalang.render.report.json_text import Entries, Prerendered, compact, pieces
from slalang.render.report.select import select

Report = dict[str, Any]


def test_json_round_trips_and_keeps_the_contract(acme: Report) -> None:
    text = render_report(acme, "json")
    assert text.endswith("}\n")
    back = json.loads(text)
    assert back == acme
    assert list(back) == list(acme)
    validate_report(back)
    assert render_report(back, "json") == text


def test_json_writes_text_as_is(hand: Report) -> None:
    hand["policy"]["name"] = "Équipe Ventes"
    assert '"name": "Équipe Ventes"' in render_report(hand, "json")


def test_json_refuses_nan(hand: Report) -> None:
    hand["targets"][0]["value"] = float("nan")
    with pytest.raises(ValueError):
        render_report(hand, "json")


def test_jsonl_is_one_violation_a_line_in_report_key_order(acme: Report) -> None:
    text = render_report(acme, "jsonl")
    lines = text.splitlines()
    assert text.endswith("\n")
    assert len(lines) == len(acme["violations"])
    for line, violation in zip(lines, acme["violations"], strict=True):
        parsed = json.loads(line)
        assert parsed == violation
        assert list(parsed) == list(violation)
        assert ": " not in line.replace(violation["message"], "")  # compact


def test_jsonl_with_no_violations_is_empty(hand: Report) -> None:
    hand["violations"] = []
    assert render_report(hand, "jsonl") == ""


def _lazy(report: Report) -> Report:
    """`report` with its long lists as `Entries` of their JSON lines, as a streamed run
    gives them; counting how often each is read."""
    lazy = dict(report)
    for name in ("stages", "clocks", "violations"):
        lines = [compact(entry) for entry in report[name]]
        lazy[name] = Entries.parsed(lambda lines=lines: Prerendered(len(lines), iter(lines)))
    return lazy


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reads_lazy_entries_as_it_reads_lists(acme: Report, fmt: str) -> None:
    """A report whose long lists are read lazily (`Entries`, parsed on each pass) renders
    byte for byte as the lists do, cut to some rules as well."""
    options = {"hide_empty": True, "limit": 3}
    assert render_report(_lazy(acme), fmt, **options) == render_report(acme, fmt, **options)
    plan = {"slas": [{"name": "first_touch", "owner": "sales"}], "targets": [], "stages": []}
    chosen = select(_lazy(acme), plan, ["first_touch"])
    assert isinstance(chosen["violations"], Entries)
    assert render_report(chosen, fmt) == render_report(select(acme, plan, ["first_touch"]), fmt)


def test_entries_are_counted_once_and_read_anew_on_each_pass() -> None:
    passes = []

    def entries() -> Iterator[dict[str, Any]]:
        passes.append(1)
        return iter([{"rule": "a"}, {"rule": "b"}, {"rule": "a"}])

    listed = Entries(3, entries)
    assert len(listed) == 3 and listed and not passes
    kept = listed.where(lambda entry: entry["rule"] == "a")
    assert len(kept) == 2 and len(kept) == 2 and len(passes) == 1
    assert list(kept) == list(kept) == [{"rule": "a"}, {"rule": "a"}]
    assert len(passes) == 3
    assert not listed.where(lambda entry: False)
    assert (
        "".join(pieces({"v": kept}))
        == '{\n  "v": [\n    {"rule": "a"},\n    {"rule": "a"}\n  ]\n}\n'
    )


def test_entries_parsed_in_batches_are_each_lines_value() -> None:
    """Entries are parsed a few thousand at a time, as one array: the same values, in
    order, whatever the batches' edges (escapes, text that is not ASCII, nesting, null)."""
    from slalang.render.report.json_text import BATCH

    entries = [
        {"lead_id": f'L{k}\u00e9"\\', "n": k, "x": None, "d": {"missing": ["a", "b"]}, "f": k / 7}
        for k in range(3 * BATCH + 5)
    ]
    lines = [compact(entry) for entry in entries]
    parsed = Entries.parsed(lambda: Prerendered(len(lines), iter(lines)))
    assert list(parsed) == entries == [json.loads(line) for line in lines]
    assert len(parsed) == len(entries)
