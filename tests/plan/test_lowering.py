"""Lowering rules on small policies: folding, expressions, durations and calendars."""

from __future__ import annotations

from typing import Any

import pytest

from tests.plan.conftest import Compile

SLA = """\
sla respond {{
  owner sales
  start when entering lead
  stop on touched
  {goals}
}}
"""


def goals(compile_text: Compile, lines: str, extra: str = "") -> list[dict[str, Any]]:
    plan = compile_text(extra + SLA.format(goals=lines))
    return [goal for goal in plan["slas"][0]["goals"]]


def target_right(compile_text: Compile, lets: str, goal: str) -> Any:
    plan = compile_text(
        f"{lets}\ntarget t {{ owner sales  monthly: count(entering lead) >= {goal} }}\n"
    )
    return plan["targets"][0]["goal"]["right"]


# ---- constant folding --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lets", "goal", "expected"),
    [
        ("let a = 10%\nlet b = 20%", "a + b", 0.3),  # exact, not 0.30000000000000004
        ("let base = 1_000", "base * 2 - 1", 1999),
        ("let share = 12.5%", "share", 0.125),
        ("let x = 7", "-x + 10", 3),
        ("let x = 1\nlet y = x * 3\nlet z = y / 4", "z", 0.75),
        ("", "(2 + 3) * 4", 20),
    ],
)
def test_constant_arithmetic_is_folded(
    compile_text: Compile, lets: str, goal: str, expected: float
) -> None:
    assert target_right(compile_text, lets, goal) == {"num": expected}


def test_integral_results_are_json_integers(compile_text: Compile) -> None:
    right = target_right(compile_text, "let a = 150000 * 60%", "a / 1000")
    assert right == {"num": 90} and isinstance(right["num"], int)


def test_arithmetic_over_aggregates_stays_a_tree(compile_text: Compile) -> None:
    plan = compile_text(
        "let share = 50%\n"
        "target t { owner sales  monthly: count(touched where size > 10) >= "
        "count(reaching lead) * share }\n"
    )
    goal = plan["targets"][0]["goal"]
    assert goal["left"] == {
        "agg": "count_event",
        "event": "touched",
        "where": {"op": ">", "args": [{"field": "size", "type": "number"}, {"num": 10}]},
    }
    assert goal["right"] == {
        "op": "*",
        "args": [{"agg": "count_reaching", "stage": "lead", "where": None}, {"num": 0.5}],
    }


def test_sum_aggregate(compile_text: Compile) -> None:
    plan = compile_text(
        "target t { owner sales\n"
        '  quarterly by title: sum(size, entering lead where segment = "smb") >= 5\n'
        "}\n"
    )
    target = plan["targets"][0]
    assert (target["period"], target["by"]) == ("quarterly", "title")
    assert target["goal"]["left"]["agg"] == "sum"
    assert target["goal"]["left"]["field"] == "size"
    assert target["goal"]["left"]["stage"] == "lead"
    assert "title" in plan["fields_read"] and "size" in plan["fields_read"]


# ---- predicates ---------------------------------------------------------------------------


def test_predicates(compile_text: Compile) -> None:
    plan = compile_text(
        'let big = 500\nlet top = "enterprise"\n'
        'stage sql on touched where segment in (top, "smb") and size >= big and '
        'not title matches "(?i)intern" and title is present and segment not in ("smb")\n'
    )
    where = plan["stages"][1]["trigger"]["where"]
    assert where["op"] == "and"
    assert where["args"] == [  # `a and b and c …` is one node, not a right-leaning chain
        {
            "op": "in",
            "arg": {"field": "segment", "type": "one_of"},
            "values": ["enterprise", "smb"],
        },
        {"op": ">=", "args": [{"field": "size", "type": "number"}, {"num": 500}]},
        {
            "op": "not",
            "args": [
                {
                    "op": "matches",
                    "arg": {"field": "title", "type": "text"},
                    "pattern": "(?i)intern",
                }
            ],
        },
        {"op": "present", "field": "title"},
        {"op": "not_in", "arg": {"field": "segment", "type": "one_of"}, "values": ["smb"]},
    ]


def test_or_and_missing(compile_text: Compile) -> None:
    plan = compile_text("exit on rejected where title is missing or size < 0 or size = 1\n")
    assert plan["exits"][0]["where"] == {
        "op": "or",
        "args": [
            {"op": "missing", "field": "title"},
            {"op": "<", "args": [{"field": "size", "type": "number"}, {"num": 0}]},
            {"op": "=", "args": [{"field": "size", "type": "number"}, {"num": 1}]},
        ],
    }


def test_handoff_separates_fields_from_predicates(compile_text: Compile) -> None:
    plan = compile_text(
        "handoff lead {\n  owner sales\n  severity warning\n"
        "  require title, size\n  require size > 0, title\n}\n"
    )
    handoff = plan["stages"][0]["handoff"]
    assert handoff["severity"] == "warning"
    assert handoff["require_fields"] == ["title", "size"]
    assert handoff["require_predicates"] == [
        {
            "expr": {"op": ">", "args": [{"field": "size", "type": "number"}, {"num": 0}]},
            "text": "size > 0",
        }
    ]


def test_per_rule_where_and_score_window_in_business_time(compile_text: Compile) -> None:
    plan = compile_text(
        "calendar office { open mon-fri 09:00-17:00 }\n"
        "score heat within 2 business days {\n"
        '  +5 per touched where segment = "smb", at most 15\n'
        "  -2.5 when size < 10\n"
        "  limit 20\n"
        "}\n"
    )
    score = plan["scores"]["heat"]
    assert score["window"] == {
        "kind": "business_days",
        "days": 2,
        "calendar": "office",
        "text": "2 business days",
    }
    assert score["per_rules"][0]["where"] == {
        "op": "=",
        "args": [{"field": "segment", "type": "one_of"}, {"str": "smb"}],
    }
    assert score["per_rules"][0]["at_most"] == 15
    assert score["when_rules"][0]["points"] == -2.5
    assert plan["index"]["events"]["touched"]["score_rules"] == [{"score": "heat", "rule": 0}]


# ---- durations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("45 minutes", {"kind": "calendar", "seconds": 2700, "text": "45 minutes"}),
        ("1 hour", {"kind": "calendar", "seconds": 3600, "text": "1 hour"}),
        ("1.5 days", {"kind": "calendar", "seconds": 129600, "text": "1.5 days"}),
        ("2 weeks", {"kind": "calendar", "seconds": 1209600, "text": "2 weeks"}),
        (
            "30 business minutes",
            {
                "kind": "business_seconds",
                "seconds": 1800,
                "calendar": "office",
                "text": "30 business minutes",
            },
        ),
        (
            "1 business hour",
            {
                "kind": "business_seconds",
                "seconds": 3600,
                "calendar": "office",
                "text": "1 business hour",
            },
        ),
        (
            "3 business days",
            {"kind": "business_days", "days": 3, "calendar": "office", "text": "3 business days"},
        ),
    ],
)
def test_durations(compile_text: Compile, written: str, expected: dict[str, Any]) -> None:
    # `using` left out: the policy's only calendar is meant (LANGUAGE §5).
    found = goals(
        compile_text, f"within {written}", "calendar office { open mon-fri 09:00-17:00 }\n"
    )
    assert found[0]["duration"] == expected


def test_always_calendar_is_included_only_when_used(compile_text: Compile) -> None:
    plan = compile_text(SLA.format(goals="within 2 business hours using always"))
    assert plan["slas"][0]["goals"][0]["duration"]["calendar"] == "always"
    always = plan["calendars"]["always"]
    assert always["timezone"] == "UTC"
    assert all(ranges == [[0, 1440]] for ranges in always["weekly"].values())
    assert always["source"] is None
    assert "always" not in compile_text(SLA.format(goals="within 2 hours"))["calendars"]


def test_goal_conditions_in_order(compile_text: Compile) -> None:
    found = goals(
        compile_text,
        'within 1 hour when segment = "enterprise"\n  within 2 hours when size > 100\n'
        "  within 1 day otherwise",
    )
    assert [g["duration"]["seconds"] for g in found] == [3600, 7200, 86400]
    assert found[1]["when"] == {
        "op": ">",
        "args": [{"field": "size", "type": "number"}, {"num": 100}],
    }
    assert found[2]["when"] is None


# ---- calendars -----------------------------------------------------------------------------


def test_calendar_normalisation(compile_text: Compile) -> None:
    plan = compile_text(
        "calendar night {\n"
        "  open mon-thu 13:00-17:00, 09:00-12:00\n"
        "  open fri 22:00-06:00\n"
        "  open sat-sun 18:00-24:00\n"
        '  closed holidays "DE" "BY"\n'
        '  closed holidays "AT"\n'
        "  closed 2026-12-31, 2026-12-24\n"
        "}\n"
    )
    night = plan["calendars"]["night"]
    assert night["timezone"] == "Europe/Berlin"  # the agreement's zone when none is given
    assert night["weekly"] == {
        "mon": [[540, 720], [780, 1020]],  # sorted by start
        "tue": [[540, 720], [780, 1020]],
        "wed": [[540, 720], [780, 1020]],
        "thu": [[540, 720], [780, 1020]],
        "fri": [[1320, 1800]],  # crosses midnight: kept on Friday, ends at 06:00 Saturday
        "sat": [[1080, 1440]],  # 24:00 is 1440
        "sun": [[1080, 1440]],
    }
    assert night["closed_dates"] == ["2026-12-24", "2026-12-31"]
    assert night["holidays"] == [
        {"country": "AT", "subdivision": None},
        {"country": "DE", "subdivision": "BY"},
    ]


def test_calendar_zone_defaults(compile_text: Compile) -> None:
    with_zone = compile_text('calendar c {\n  timezone "Asia/Tokyo"\n  open mon 09:00-10:00\n}\n')
    assert with_zone["calendars"]["c"]["timezone"] == "Asia/Tokyo"
    header = "events created\nstage lead on created\n"
    bare = compile_text("calendar c { open fri-mon 09:00-10:00 }\n", header=header)
    assert bare["policy"]["timezone"] == "UTC"
    assert bare["calendars"]["c"]["timezone"] == "UTC"
    weekly = bare["calendars"]["c"]["weekly"]
    assert [day for day, ranges in weekly.items() if ranges] == ["mon", "fri", "sat", "sun"]


def test_policy_without_agreement_is_named_after_its_file(compile_text: Compile) -> None:
    plan = compile_text("", header="events created\nstage lead on created\n")
    assert plan["policy"]["name"] == "policy"
    assert plan["policy"]["version"] is None
    assert plan["policy"]["effective"] is None
    assert plan["policy"]["parties"] == {}


# ---- functions (LANGUAGE §14.2) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("lets", "goal", "expected"),
    [
        ("let revenue = 150_000 * 60%\nlet value = 1_600", "ceil(revenue / value)", 57),
        ("let revenue = 150_000 * 60%\nlet value = 1_600", "floor(revenue / value)", 56),
        ("", "round(2.5) + round(-2.5)", 0),  # half away from zero: 3 + -3
        ("", "round(2.675, 2)", 2.68),  # exact decimal, not the float below 2.675
        ("", "round(1 / 3, 4)", 0.3333),
        ("let a = 10%\nlet b = 20%", "max(a + b, 0.3, 25%)", 0.3),
        ("", "min(4, -2, 3) + abs(-7)", 5),
    ],
)
def test_calls_on_constants_fold_exactly(
    compile_text: Compile, lets: str, goal: str, expected: float
) -> None:
    assert target_right(compile_text, lets, goal) == {"num": expected}


def test_calls_on_aggregates_stay_nodes(compile_text: Compile) -> None:
    plan = compile_text(
        "target t { owner sales  monthly: round(count(touched) / 3, 1) >= "
        "max(count(reaching lead), 2) }\n"
    )
    goal = plan["targets"][0]["goal"]
    count = {"agg": "count_event", "event": "touched", "where": None}
    assert goal["left"] == {
        "op": "round",
        "args": [{"op": "/", "args": [count, {"num": 3}]}],
        "digits": 1,
    }
    assert goal["right"] == {
        "op": "max",
        "args": [{"agg": "count_reaching", "stage": "lead", "where": None}, {"num": 2}],
    }


def test_calls_on_fields_in_conditions(compile_text: Compile) -> None:
    plan = compile_text("stage big when ceil(size / 10) >= abs(-5)\n")
    assert plan["stages"][1]["trigger"]["when"] == {
        "op": ">=",
        "args": [
            {
                "op": "ceil",
                "args": [{"op": "/", "args": [{"field": "size", "type": "number"}, {"num": 10}]}],
            },
            {"num": 5},
        ],
    }


# ---- pause and resume (LANGUAGE §14.1) -------------------------------------------------------


def test_pause_and_resume_lines_and_their_index(compile_text: Compile) -> None:
    plan = compile_text(
        "sla respond {\n"
        "  start when entering lead\n"
        "  stop on touched\n"
        '  pause on rejected where segment = "smb"\n'
        "  resume on created, touched\n"
        "  within 4 hours\n"
        "}\n"
    )
    sla = plan["slas"][0]
    assert sla["pause"] == {
        "on": ["rejected"],
        "where": {
            "op": "=",
            "args": [{"field": "segment", "type": "one_of"}, {"str": "smb"}],
        },
        "source": {"file": "policy.sla", "line": 13},
    }
    assert sla["resume"] == {
        "on": ["created", "touched"],
        "where": None,
        "source": {"file": "policy.sla", "line": 14},
    }
    events = plan["index"]["events"]
    assert events["rejected"]["sla_pauses"] == ["respond"]
    assert events["created"]["sla_resumes"] == events["touched"]["sla_resumes"] == ["respond"]
    assert events["touched"]["sla_pauses"] == []


def test_an_sla_without_pause_has_nulls(compile_text: Compile) -> None:
    sla = compile_text(SLA.format(goals="within 4 hours"))["slas"][0]
    assert sla["pause"] is None and sla["resume"] is None
