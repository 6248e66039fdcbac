"""The `markdown` format: a pull-request or chat comment that GitHub renders as intended,
whatever the policy or the data contain."""

from __future__ import annotations

import re
from typing import Any

from slalang.numbers import ABSENT
from slalang.render.report import render_report
from slalang.render.report.markdown import FOLD_ROWS, escape

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
        # SLAs, compliance per month, targets, owners, violations
        assert len(found) == 5
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


def test_compliance_per_month_as_a_mermaid_chart_with_its_figures_beside(acme: Report) -> None:
    from slalang.load import load
    from slalang.plan import compile_program
    from tests.render.conftest import REPO

    plan = compile_program(load(REPO / "policies" / "acme.sla", root=REPO))
    text = render_report(acme, "markdown", plan=plan)
    section = text.split("### Compliance per month\n\n", 1)[1].split("\n### ", 1)[0]
    # February: L1 late, L2 met, L3 missed; March: the rejected lead, met. The monthly
    # target asks for 95%
    assert section.startswith(
        "```mermaid\n"
        "xychart-beta\n"
        '    title "first_touch: compliance per month (goal >= 95%)"\n'
        '    x-axis ["2026-02", "2026-03"]\n'
        '    y-axis "compliance (%)" 0 --> 100\n'
        "    bar [33.3, 100]\n"
        "    line [95, 95]\n"
        "```\n"
    )
    # where Mermaid is not drawn, the same figures as a table
    assert "| 2026-02 | 33.3% (1 of 3) |\n| 2026-03 | 100% (1 of 1) |" in section
    # without the plan there is no goal to draw
    assert "line [" not in render_report(acme, "markdown")
