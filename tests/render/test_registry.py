"""The format registry: what `slalang evaluate --format` offers is what can be rendered."""

from __future__ import annotations

from typing import Any

import pytest

from slalang.commands.evaluate import REPORT_FORMATS
from slalang.render.report import FORMATS, junit, render_pieces, render_report
from slalang.render.report.json_text import BATCH

STREAMED = ("json", "jsonl", "csv", "junit", "leads")
"""The formats whose text grows with the violations (or the leads): written as they are
rendered."""


def test_every_cli_format_has_a_renderer() -> None:
    assert set(REPORT_FORMATS) <= set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_text_ending_with_a_newline(hand: dict[str, Any], fmt: str) -> None:
    text = render_report(hand, fmt)
    assert text.endswith("\n")
    assert text == render_report(hand, fmt)


def test_an_unknown_format_is_refused_by_name(hand: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="unknown report format `xml`"):
        render_report(hand, "xml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_format_whose_text_grows_with_the_violations_comes_in_pieces(
    acme: dict[str, Any], fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many violations (or leads) come in many pieces, none near the whole, so that a
    command writes the text as it is rendered (whole, 100M events' violations took 1.2-1.8
    GB at the peak, 10M events' leads 1.8 GB); joined, they are the text. Formats that list
    a few violations come whole."""
    monkeypatch.setattr(junit, "HELD", 1 << 16)
    leads = {entry["lead_id"] for entry in acme["stages"]}
    copies = 4 * BATCH // min(len(acme["violations"]), len(leads)) + 1

    def suffixed(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:  # a lead k times
        return [
            entry | {"lead_id": f"{entry['lead_id']}~{k}"}
            for entry in entries
            for k in range(copies)
        ]

    many = dict(acme) | {
        "violations": acme["violations"] * copies,
        "stages": suffixed(acme["stages"]),
        "clocks": suffixed(acme["clocks"]),
    }
    text = render_pieces(many, fmt)
    if fmt not in STREAMED:
        assert isinstance(text, str)
        return
    assert not isinstance(text, str)
    pieces = list(text)
    whole = "".join(pieces)
    assert len(pieces) > 2 and max(map(len, pieces)) < len(whole) / 2
    assert whole == render_report(many, fmt)
