"""The `table` format: what a sales or marketing leader reads at a terminal."""

from __future__ import annotations

import re
from typing import Any

from slalang.numbers import ABSENT
from slalang.render.report import render_report

Report = dict[str, Any]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def section(text: str, title: str) -> str:
    """The lines of one section: from its title to the next blank line."""
    start = text.rfind("\n", 0, text.index(title)) + 1
    end = text.find("\n\n", start)
    return text[start : end if end >= 0 else None]


def test_plain_text_has_no_escape_codes_and_fits_100_columns(acme: Report) -> None:
    text = render_report(acme, "table")
    assert "\x1b" not in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text == render_report(acme, "table")


def test_colour_marks_status_words(hand: Report) -> None:
    text = render_report(hand, "table", color=True, width=120)
    assert ANSI.search(text)
    targets = section(text, "Targets")
    assert re.search(r"\x1b\[[0-9;]*32m\s*met", targets)  # green
    assert re.search(r"\x1b\[[0-9;]*31m\s*missed", targets)  # red
    assert re.search(r"\x1b\[[0-9;]*33m\s*in progress", targets)  # yellow
    assert ANSI.sub("", text).splitlines()[0] == render_report(hand, "table").splitlines()[0]


def test_header_names_policy_as_of_and_what_was_not_used(hand: Report) -> None:
    head = render_report(hand, "table").split("\n\n")[0]
    assert "Demo | `ops` agreement 2026.1" in head
    assert "as of 2026-03-31T22:00:00Z" in head
    flat = " ".join(head.split())
    assert "14 rows read, 10 events for 3 leads" in flat
    assert "2 rows rejected (bad_timestamp 2)" in flat
    assert "1 duplicate" in flat
    assert "1 unknown event (webinar 1)" in flat


def test_sla_rows_show_counts_compliance_and_human_durations(acme: Report) -> None:
    slas = section(render_report(acme, "table"), "SLAs").splitlines()
    first_touch = next(line.split() for line in slas if line.startswith("first_touch"))
    row = next(r for r in acme["slas"] if r["sla"] == "first_touch")
    assert row["compliance"] == 0.5
    # SLA, cycles, met, late, missed, pending, at risk, compliance, p50, p90
    assert first_touch[:8] == ["first_touch", "4", "2", "1", "1", "0", "0", "50%"]
    assert first_touch[8:] == ["59m", "9h"]
    feedback = next(line.split() for line in slas if line.startswith("rejection_feedback"))
    assert feedback[-3:] == [ABSENT] * 3  # no decided cycle: no compliance, no times


def test_cancelled_and_exempt_columns_appear_only_when_used(hand: Report) -> None:
    assert "Exempt" not in section(render_report(hand, "table"), "SLAs")
    hand["slas"][1]["exempt"] = 2
    assert "Exempt" in section(render_report(hand, "table"), "SLAs")


def test_targets_read_as_written_shares_as_percentages(hand: Report) -> None:
    rows = {
        line.split()[0]: " ".join(line.split())
        for line in section(render_report(hand, "table"), "Targets").splitlines()[3:]
    }
    assert rows["mql_volume"] == "mql_volume marketing 2026-03 48 >= 56.25 missed"
    assert rows["lead_to_mql"] == "lead_to_mql marketing 2026-03 15.3% >= 15% met"
    assert rows["net_growth"] == f"net_growth {ABSENT} 2026-03 a|b -3 >= 0 missed"
    assert rows["rep_pipeline"] == "rep_pipeline sales 2026-W14 ann 1 >= 2 in progress 3.5"


def test_owners_total_their_violations_by_kind_and_severity(hand: Report) -> None:
    lines = section(render_report(hand, "table"), "Owners").splitlines()[3:]
    # owner, violations, SLA breaches, handoffs, targets, errors, warnings, info
    assert [line.rsplit(maxsplit=7) for line in lines] == [
        ["marketing", "2", "0", "1", "1", "1", "1", "0"],
        ["sales", "2", "2", "0", "0", "2", "0", "0"],
        ["(no owner)", "1", "0", "0", "1", "1", "0", "0"],
    ]


def test_worst_violations_latest_breach_first_then_handoffs_then_targets(
    hand: Report,
) -> None:
    worst = section(render_report(hand, "table"), "Worst violations (5 of 5)")
    firsts = [line.split()[0] for line in worst.splitlines()[3:] if not line.startswith(" ")]
    assert firsts == ["L2", "L1", "L3", "2026-03", "2026-03"]  # 2d late before 3h late


def test_limit_caps_the_list_and_says_how_many_more(acme: Report) -> None:
    text = render_report(acme, "table", limit=2)
    worst = section(text, "Worst violations (2 of 8)")
    assert (
        "not stopped by the deadline: 12 business days late, 19 days 14 hours on the wall clock"
        in " ".join(worst.split())
    )
    assert "… and 6 more violations" in text
    assert "Worst violations (0 of 8)" in render_report(acme, "table", limit=0)


def test_verdict_is_the_last_line(hand: Report, acme: Report) -> None:
    assert render_report(acme, "table").splitlines()[-1] == (
        "Verdict: 8 violations (8 errors): 2 SLA breaches, 2 incomplete handoffs, 4 missed targets"
    )
    wide = render_report(hand, "table", width=200).splitlines()[-1]
    assert wide == (
        "Verdict: 5 violations (4 errors, 1 warning): 2 SLA breaches, 1 incomplete handoff, "
        "2 missed targets; 1 clock at risk"
    )
    hand["violations"] = []
    assert render_report(hand, "table").splitlines()[-1] == (
        "Verdict: no violations; 1 clock at risk"
    )


def test_data_cannot_inject_markup_or_terminal_codes(hand: Report) -> None:
    hand["violations"][0]["lead_id"] = "[bold red]L1[/]\x1b[2J"
    hand["violations"][0]["message"] = "late \x1b]0;pwned\x07 by 3h"
    for color in (False, True):
        text = render_report(hand, "table", color=color, width=160)
        assert "[bold red]L1[/]\\x1b[2J" in text
        assert "late \\x1b]0;pwned\\x07 by 3h" in text
        assert "\x1b[2J" not in text and "\x07" not in text
