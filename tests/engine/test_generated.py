"""Differential property: generated policies x generated event logs give byte-identical
reports on the kernel and the reference replay.

Policies are drawn from a grammar covering what the kernel compiles: stages entered `on`
events or `when` a predicate holds, scores with `when` and `per` rules, windows, `at most`
caps and limits, number functions, recycle and exit, handoffs, SLAs with several goals on
two calendars (one crossing midnight) and calendar goals, pause and resume, and targets of
every kind, optionally grouped.
Event logs put many events on the same instants and around the 2026 DST changes of both
calendars' zones, with fields set, unset and changed.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slalang.check import check
from slalang.data import read_events
from slalang.diagnostics import Level
from slalang.evaluate.run import Span, field_specs
from slalang.load import load_text
from slalang.plan import compile_program
from tests.engine.differential import assert_same_report

EVENTS = ["form", "view", "download", "touch", "accept", "reject", "feedback", "won", "bye"]
HEADER = """\
agreement "Generated" {
  timezone "America/New_York"
%(effective)s}
calendar office {
  timezone "America/New_York"
  open mon-fri 09:00-17:00
  closed holidays "US"
}
calendar desk {
  timezone "Europe/Berlin"
  open mon-fri 22:00-06:00
  open sat 10:00-12:00
}
events %(events)s
field size: number
field tier: one of "a", "b", "c"
field title: text
field vip: bool
field signed: date
field rep: text
"""

Draw = st.DrawFn


def _field_atom(draw: Draw) -> str:
    return draw(
        st.sampled_from(
            [
                "size >= 50",
                "size < 200",
                "size = 0",
                "size != 5",
                "size / 10 >= 2",
                "size * 2 - 10 > 90",
                "floor(size / 7) = 7",
                "min(size, 100) >= 50",
                "round(size / 8, 1) = 1.6",
                "round(size * 0.125) >= 2",
                "round(size / 3, 2) < 16.67",
                "size is present",
                "size is missing",
                'tier = "a"',
                'tier != "b"',
                'tier in ("a", "c")',
                'tier not in ("b")',
                "tier is missing",
                'title matches "(?i)\\\\bvp\\\\b"',
                'title = "CEO"',
                "title is present",
                "vip = true",
                "vip != false",
                "signed >= 2026-03-01",
                "signed < 2026-03-15",
                'rep = "ann"',
            ]
        )
    )


def _score_atom(draw: Draw, scores: list[str]) -> str:
    score = draw(st.sampled_from(scores))
    return draw(
        st.sampled_from(
            [
                f"{score} >= {draw(st.sampled_from([0, 10, 25, 40]))}",
                f"{score} + {draw(st.sampled_from(scores))} > 30",
                f"{score} * 2 >= size",
                f"{score} / 2 < 15",
                f"{score} - 5 = 5",
                f"ceil({score} / 3) >= 4",
                f"max({score}, size, 20) > 40",
                f"abs({score} - 20) < 10",
                f"round({score} / 4) = 3",
                f"round({score} * 0.15, 1) >= 2.3",
            ]
        )
    )


def _pred(draw: Draw, scores: list[str], depth: int = 0) -> str:
    choice = draw(st.integers(0, 5 if depth < 2 else 2))
    if choice <= 1 or (not scores and choice == 2):
        return _field_atom(draw)
    if choice == 2:
        return _score_atom(draw, scores)
    if choice == 3:
        return f"not ({_pred(draw, scores, depth + 1)})"
    op = "and" if choice == 4 else "or"
    return f"({_pred(draw, scores, depth + 1)} {op} {_pred(draw, scores, depth + 1)})"


def _where(draw: Draw, scores: list[str]) -> str:
    return f" where {_pred(draw, scores)}" if draw(st.booleans()) else ""


def _events(draw: Draw) -> str:
    return ", ".join(draw(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=3, unique=True)))


def _duration(draw: Draw) -> str:
    return draw(
        st.sampled_from(
            [
                "4 business hours using office",
                "1 business day using office",
                "2 business days using desk",
                "90 business minutes using desk",
                "3 hours",
                "2 days",
            ]
        )
    )


@st.composite
def policies(draw: Draw) -> str:
    effective = draw(
        st.sampled_from(
            ["", "  effective 2026-03-05\n", "  effective 2026-03-02 until 2026-03-20\n"]
        )
    )
    lines = [HEADER % {"effective": effective, "events": ", ".join(EVENTS)}]
    scores = [f"s{i}" for i in range(draw(st.integers(0, 2)))]
    for index, name in enumerate(scores):
        window = draw(st.sampled_from(["", " within 2 days", " within 36 hours"]))
        rules = []
        for _ in range(draw(st.integers(0, 2))):
            readable = scores[:index]  # a `when` rule may read the scores declared before
            points = draw(st.sampled_from(["+10", "+25", "-5", "+2.5"]))
            rules.append(f"  {points} when {_pred(draw, readable)}")
        for _ in range(draw(st.integers(0 if rules else 1, 3))):
            points = draw(st.sampled_from(["+5", "+10", "-3", "+1.5"]))
            event = draw(st.sampled_from(EVENTS))
            cap = draw(st.sampled_from(["", ", at most 20", ", at most 7"]))
            rules.append(f"  {points} per {event}{_where(draw, [])}{cap}")
        if draw(st.booleans()):
            rules.append(f"  limit {draw(st.sampled_from([30, 45]))}")
        lines.append(f"score {name}{window} {{\n" + "\n".join(rules) + "\n}")
    stages = [f"g{i}" for i in range(draw(st.integers(1, 5)))]
    entered = []  # stages with a trigger (a handoff or `entering` needs one)
    for index, stage in enumerate(stages):
        if index > 0 and draw(st.integers(0, 2)) == 0:
            lines.append(f"stage {stage} when {_pred(draw, scores)}")
        elif index > 0 and draw(st.integers(0, 5)) == 0:
            lines.append(f"stage {stage}")
            continue
        else:
            lines.append(f"stage {stage} on {_events(draw)}{_where(draw, scores)}")
        entered.append(stage)
    if len(stages) > 1 and draw(st.booleans()):
        to = draw(st.sampled_from(stages[:-1]))
        lines.append(f"recycle to {to} on {_events(draw)}{_where(draw, scores)}")
    if draw(st.booleans()):
        lines.append(f"exit on {_events(draw)}{_where(draw, scores)}")
    if draw(st.booleans()):
        stage = draw(st.sampled_from(entered))
        checks = draw(st.sampled_from(["", "  require size > 10\n"]))
        lines.append(f"handoff {stage} {{\n  require size, title, tier\n{checks}}}")
    slas = [f"c{i}" for i in range(draw(st.integers(0, 2)))]
    for sla in slas:
        if draw(st.booleans()):
            start = f"start when entering {draw(st.sampled_from(entered))}"
        else:
            start = f"start on {_events(draw)}{_where(draw, scores)}"
        goals = [
            f"  within {_duration(draw)} when {_pred(draw, scores)}"
            for _ in range(draw(st.integers(0, 2)))
        ]
        if draw(st.integers(0, 3)) > 0:
            goals.append(f"  within {_duration(draw)} otherwise")
        if not goals:
            goals.append(f"  within {_duration(draw)} when {_pred(draw, scores)}")
        warn = draw(st.sampled_from(["", "  warn at 50%\n"]))
        stops = draw(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=3, unique=True))
        body = f"  {start}\n  stop on {', '.join(stops)}{_where(draw, scores)}\n"
        if draw(st.booleans()):  # events may also stop, or both pause and resume
            pause = draw(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=3, unique=True))
            resume = draw(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=3, unique=True))
            body += f"  pause on {', '.join(pause)}{_where(draw, scores)}\n"
            body += f"  resume on {', '.join(resume)}{_where(draw, scores)}\n"
        lines.append(f"sla {sla} {{\n{body}" + "\n".join(goals) + f"\n{warn}}}")
    aggregates = [
        f"count(entering {draw(st.sampled_from(entered))})",
        f"count(reaching {draw(st.sampled_from(stages))}{_where(draw, scores)})",
        f"count({draw(st.sampled_from(EVENTS))}{_where(draw, scores)})",
        f"sum(size, entering {draw(st.sampled_from(entered))})",
        f"rate({draw(st.sampled_from(stages))} -> {draw(st.sampled_from(stages))} within 5 days)",
        *(f"compliance({sla})" for sla in slas),
    ]
    for index in range(draw(st.integers(0, 3))):
        aggregate = draw(st.sampled_from(aggregates))
        period = draw(st.sampled_from(["weekly", "monthly"]))
        by = draw(st.sampled_from(["", " by tier", " by size", " by rep"]))
        goal = "50%" if aggregate.startswith(("rate", "compliance")) else "2"
        lines.append(f"target t{index} {{ {period}{by}: {aggregate} >= {goal} }}")
    return "\n".join(lines) + "\n"


# instants near the 2026 DST changes of New York (03-08) and Berlin (03-29), few enough
# that many events share one
BASES = [datetime(2026, 3, 6, 13, tzinfo=UTC), datetime(2026, 3, 27, 13, tzinfo=UTC)]
VALUES = {
    "size": ["", "", "0", "5", "50", "200", "12.5"],
    "tier": ["", "", "a", "b", "c"],
    "title": ["", "", "VP Sales", "engineer", "CEO"],
    "vip": ["", "true", "false", "yes"],
    "signed": ["", "2026-02-01", "2026-03-10", "2026-03-20"],
    "rep": ["", "ann", "bob"],
}


@st.composite
def event_logs(draw: Draw) -> list[dict[str, str]]:
    rows = []
    for lead in range(draw(st.integers(1, 6))):
        base = draw(st.sampled_from(BASES))
        for _ in range(draw(st.integers(1, 14))):
            offset = timedelta(hours=draw(st.sampled_from([0, 1, 5, 9, 20, 30, 49, 75, 170])))
            offset += timedelta(minutes=draw(st.sampled_from([0, 0, 30])))
            row = {
                "lead_id": f"L{lead}",
                "timestamp": (base + offset).isoformat().replace("+00:00", "Z"),
                "event": draw(st.sampled_from(EVENTS)),
            }
            for name, values in VALUES.items():
                value = draw(st.sampled_from(values))
                if value:
                    row[name] = value
            rows.append(row)
    return draw(st.permutations(rows))


@settings(
    derandomize=True,
    deadline=None,
    max_examples=250,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    policies(),
    event_logs(),
    st.sampled_from([None, 0, 86400 * 3, 86400 * 30]),
    st.sampled_from([None, (0.0, 0.5), (0.3, 1.0), (0.25, 0.75)]),
)
def test_generated_policies_give_identical_reports(
    policy: str,
    rows: list[dict[str, str]],
    later: int | None,
    judged: tuple[float, float] | None,
) -> None:
    """`judged`, as shares of the log's time span, is a `--from`/`--to` window: records
    outside it are left out of every count and list."""
    program = load_text(policy, "generated.sla")
    errors = [d for d in check(program) if d.level is Level.ERROR]
    assert not errors, [f"{d.span.line}: {d.message}" for d in errors]
    plan = compile_program(program)
    data = "".join(json.dumps(row) + "\n" for row in rows).encode("utf-8")
    log = read_events(["-"], field_specs(plan), plan["events"], stdin=io.BytesIO(data))
    as_of = None
    if later is not None and log.stats.last_ts is not None:
        as_of = log.stats.last_ts + later
    span = Span()
    first, last = log.stats.first_ts, log.stats.last_ts
    if judged is not None and first is not None and last is not None:
        start, end = (first + round(share * (last - first)) for share in judged)
        span = Span(start if judged[0] else None, end)
    assert_same_report(plan, log, as_of=as_of, span=span)
