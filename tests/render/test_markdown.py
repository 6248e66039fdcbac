"""The `markdown` format: a pull-request or chat comment that GitHub renders as intended,
whatever the policy or the data contain."""

from __future__ import annotations

import re
from typing import Any

from slalang.render.report import render_report
from slalang.render.report.markdown import FOLD_ROWS, escape
from slalang.render.report.summary import ABSENT

Report = dict[str, Any]
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def tables(text: str) -> list[list[str]]:
    """Each GFM table in `text` as its lines."""
    found: list[list[str]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                found.append([])
            found[-1].append(line)
        previous = line
    return found


def test_summary_paragraph_comes_first(hand: Report) -> None:
    lines = render_report(hand, "markdown").splitlines()
    assert lines[0] == "## SLA report: Demo \\| \\`ops\\` agreement 2026.1"
    summary = lines[2]
    assert summary.startswith(
        "**5 violations (4 errors, 1 warning): 2 SLA breaches, 1 incomplete handoff, "
        "2 missed targets; 1 clock at risk** as of 2026-03-31T22:00:00Z."
    )
    assert f"SLA compliance: first_touch 33.3%, feedback {ABSENT}." in summary
    assert "Target periods: 1 in progress, 1 met, 2 missed." in summary
    assert "2 rows rejected (bad_timestamp 2)" in summary
    assert lines[3] == ""


def test_every_table_row_has_as_many_cells_as_its_header(acme: Report, hand: Report) -> None:
    for report in (acme, hand):
        found = tables(render_report(report, "markdown"))
        assert len(found) == 4  # SLAs, targets, owners, violations
        for table in found:
            widths = {len(UNESCAPED_PIPE.findall(line)) for line in table}
            assert len(widths) == 1, table
            assert re.fullmatch(r"\|(---:?\|)+", table[1])
            assert len(table) >= 3


def test_sla_and_target_rows(hand: Report) -> None:
    text = render_report(hand, "markdown")
    assert "| first_touch | 3 | 1 | 1 | 1 | 0 | 0 | 0 | 0 | 33.3% | 1h | 7h |" in text
    assert "| lead_to_mql | marketing | 2026-03 |  | met | 15.3% | &gt;= 15% |  |" in text
    assert f"| net_growth | {ABSENT} | 2026-03 | a\\|b | **missed** | -3 | &gt;= 0 |  |" in text


def test_violations_fold_into_details_worst_first(hand: Report) -> None:
    text = render_report(hand, "markdown", limit=2)
    block = text[text.index("<details>") :]
    assert block.startswith("<details><summary>Worst 2 of 5 violations</summary>\n\n|")
    assert block.rstrip().endswith("</details>")
    rows = tables(block)[0][2:]
    assert [row.split(" | ")[0] for row in rows] == ["| L2", "| L1"]
    assert "… and 3 more violations" in block


def test_long_target_lists_fold_short_ones_do_not(acme: Report, hand: Report) -> None:
    assert len(acme["targets"]) > FOLD_ROWS >= len(hand["targets"])
    acme_text = render_report(acme, "markdown")
    targets = acme_text[acme_text.index("### Targets") : acme_text.index("### Owners")]
    assert f"<summary>{len(acme['targets'])} target periods</summary>" in targets
    hand_text = render_report(hand, "markdown")
    targets = hand_text[hand_text.index("### Targets") : hand_text.index("### Owners")]
    assert "<details>" not in targets


def test_user_text_cannot_break_the_table_or_open_html(hand: Report) -> None:
    hand["violations"][0]["message"] = "a|b `code` <img src=x>\nsecond line \\| done"
    text = render_report(hand, "markdown")
    row = next(line for line in text.splitlines() if line.startswith("| L1 |"))
    assert row.endswith("| a\\|b \\`code\\` &lt;img src=x&gt; second line \\\\\\| done |")
    assert len(UNESCAPED_PIPE.findall(row)) == 7


def test_escape_makes_control_characters_visible() -> None:
    assert escape("x\x1b[31my") == "x\\x1b[31my"


def test_no_violations_no_violation_sections(hand: Report) -> None:
    hand["violations"] = []
    text = render_report(hand, "markdown")
    assert text.splitlines()[2].startswith("**No violations; 1 clock at risk**")
    assert "### Owners" not in text and "### Violations" not in text
