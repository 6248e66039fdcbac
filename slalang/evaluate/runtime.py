"""Plan → runtime: the JSON plan turned, once per run, into closures and live calendars.

Expression trees become Python closures over (fields, scores); regexes are compiled with
the linear-time RE2 engine; calendars become `slalang.calendar.Calendar` engines; target
aggregates become probes the replay feeds. Nothing here reads the policy text or the AST.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import re2

from slalang.calendar import Calendar
from slalang.evaluate import model
from slalang.evaluate.model import Fields, Predicate, Scores
from slalang.evaluate.periods import local_midnight
from slalang.functions import FUNCTIONS, evaluator

Getter = Callable[[Fields, Scores], Any]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def compile_expr(node: dict[str, Any]) -> Getter:
    """A plan expression as a closure. A missing field reads as None; arithmetic with None
    is None; a comparison, `in` or `matches` with None is false (LANGUAGE §4)."""
    if "num" in node:
        return _constant(node["num"])
    if "str" in node:
        return _constant(node["str"])
    if "bool" in node:
        return _constant(node["bool"])
    if "date" in node:
        return _constant(date.fromisoformat(node["date"]))
    if "field" in node and "op" not in node:
        name = node["field"]
        return lambda fields, scores: fields.get(name)
    if "score" in node:
        score = node["score"]
        return lambda fields, scores: scores.get(score, 0.0)
    op = node.get("op")
    if op in _COMPARE:
        return _comparison(_COMPARE[op], *map(compile_expr, node["args"]))
    if op in _ARITH:
        return _arithmetic(_ARITH[op], *map(compile_expr, node["args"]))
    if op in FUNCTIONS:
        apply = evaluator(op, node.get("digits", 0))
        return _function(apply, tuple(map(compile_expr, node["args"])))
    if op == "neg":
        inner = compile_expr(node["args"][0])
        return lambda f, s: None if (v := inner(f, s)) is None else -v
    if op == "and":
        parts = tuple(map(compile_expr, node["args"]))
        return lambda f, s: all(p(f, s) for p in parts)
    if op == "or":
        parts = tuple(map(compile_expr, node["args"]))
        return lambda f, s: any(p(f, s) for p in parts)
    if op == "not":
        inner = compile_expr(node["args"][0])
        return lambda f, s: not inner(f, s)
    if op in ("in", "not_in"):
        return _membership(compile_expr(node["arg"]), node["values"], op == "in")
    if op == "matches":
        return _matches(compile_expr(node["arg"]), node["pattern"])
    if op in ("present", "missing"):
        name, present = node["field"], op == "present"
        return lambda f, s: (f.get(name) not in (None, "")) is present
    raise ValueError(f"unknown plan expression {sorted(node)}")


MATCH_CACHE = 65_536
"""Remembered `matches` results per pattern: field values repeat across leads and events,
and the RE2 binding costs microseconds a call."""


def _matches(subject: Getter, pattern: str) -> Getter:
    search = re2.compile(pattern).search
    seen: dict[str, bool] = {}

    def evaluate(fields: Fields, scores: Scores) -> bool:
        value = subject(fields, scores)
        if not isinstance(value, str):
            return False
        found = seen.get(value)
        if found is None:
            if len(seen) >= MATCH_CACHE:
                seen.clear()
            found = seen[value] = search(value) is not None
        return found

    return evaluate


def reads_scores(node: dict[str, Any] | None) -> bool:
    """Whether an expression reads a score (and so may change without a field changing)."""
    pending = [node] if node else []
    while pending:
        current = pending.pop()
        if "score" in current:
            return True
        pending.extend(current.get("args", ()))
        if "arg" in current:
            pending.append(current["arg"])
    return False


def _constant(value: Any) -> Getter:
    return lambda fields, scores: value


def _comparison(compare: Callable[[Any, Any], bool], left: Getter, right: Getter) -> Getter:
    def evaluate(fields: Fields, scores: Scores) -> bool:
        a, b = left(fields, scores), right(fields, scores)
        if a is None or b is None:
            return False
        try:
            return compare(a, b)
        except TypeError:  # a data value of another type than declared: not a match
            return False

    return evaluate


def _arithmetic(apply: Callable[[float, float], float], left: Getter, right: Getter) -> Getter:
    def evaluate(fields: Fields, scores: Scores) -> float | None:
        a, b = left(fields, scores), right(fields, scores)
        if a is None or b is None:
            return None
        try:
            return apply(a, b)
        except ZeroDivisionError:
            return None

    return evaluate


def _function(apply: Callable[[list[float]], float], args: tuple[Getter, ...]) -> Getter:
    def evaluate(fields: Fields, scores: Scores) -> float | None:
        values = [arg(fields, scores) for arg in args]
        if None in values:
            return None
        try:
            return apply(values)
        except TypeError:  # a data value of another type than declared: no number
            return None

    return evaluate


def _membership(subject: Getter, values: list[Any], positive: bool) -> Getter:
    allowed = frozenset(date.fromisoformat(v) if _is_date(v) else v for v in values)

    def evaluate(fields: Fields, scores: Scores) -> bool:
        value = subject(fields, scores)
        if value is None:
            return False
        return (value in allowed) is positive

    return evaluate


def _is_date(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 10 and value[4:5] == "-" == value[7:8]


def _predicate(node: dict[str, Any] | None) -> Predicate | None:
    return None if node is None else compile_expr(node)


def _trigger(entry: dict[str, Any]) -> model.Trigger:
    return model.Trigger(frozenset(entry["on"]), _predicate(entry.get("where")))


def _source(entry: dict[str, Any] | None) -> model.Source:
    source = entry or {"file": "", "line": 0}
    return model.Source(source["file"], source["line"])


def build_calendar(entry: dict[str, Any]) -> Calendar:
    """A calendar engine from a plan calendar (cross-midnight ends are stored past 1440)."""
    weekly = {
        DAYS.index(day): [(start, end - 1440 if end > 1440 else end) for start, end in ranges]
        for day, ranges in entry["weekly"].items()
        if ranges
    }
    return Calendar(
        timezone=entry["timezone"],
        weekly=weekly,
        closed_dates=frozenset(date.fromisoformat(d) for d in entry["closed_dates"]),
        holidays=tuple((h["country"], h["subdivision"]) for h in entry["holidays"]),
    )


def _goal(entry: dict[str, Any], calendars: dict[str, Calendar]) -> model.Goal:
    duration = entry["duration"]
    kind = duration["kind"]
    amount = duration["days"] if kind == "business_days" else duration["seconds"]
    calendar = calendars[duration["calendar"]] if kind != "calendar" else None
    return model.Goal(_predicate(entry["when"]), kind, amount, calendar, duration["text"])


class _Probes:
    """Numbers the aggregates of every target, so the replay can tag what it counts."""

    def __init__(self, stage_index: dict[str, int]) -> None:
        self.stage_index = stage_index
        self.stage: list[model.StageProbe] = []
        self.event: list[model.EventProbe] = []
        self.rate: list[model.RateProbe] = []
        self.count = 0
        self.sla_groups: dict[str, set[str]] = {}

    def add(self, node: dict[str, Any], by: str | None) -> None:
        agg = node["agg"]
        probe = self.count
        self.count += 1
        where = _predicate(node.get("where"))
        if agg in ("count_entering", "count_reaching", "sum"):
            self.stage.append(
                model.StageProbe(
                    probe,
                    self.stage_index[node["stage"]],
                    agg == "count_reaching",
                    where,
                    node.get("field"),
                    by,
                )
            )
        elif agg == "count_event":
            self.event.append(
                model.EventProbe(probe, model.Trigger(frozenset([node["event"]]), where), by)
            )
        elif agg == "rate":
            self.rate.append(
                model.RateProbe(
                    probe, self.stage_index[node["from"]], self.stage_index[node["to"]], by
                )
            )
        elif agg == "compliance" and by is not None:
            self.sla_groups.setdefault(node["sla"], set()).add(by)


def walk_aggregates(plan: Mapping[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """Every aggregate of every target goal as (target index, node), left to right. The
    position in this list is the aggregate's probe id, here and in the reduction."""
    found: list[tuple[int, dict[str, Any]]] = []
    for index, target in enumerate(plan["targets"]):
        pending = [target["goal"]["right"], target["goal"]["left"]]
        while pending:
            node = pending.pop()
            if "agg" in node:
                found.append((index, node))
            else:
                pending.extend(reversed(node.get("args", [])))
    return found


def build_runtime(plan: Mapping[str, Any]) -> model.Runtime:
    """The runtime of a plan: everything the replay of one lead reads."""
    calendars = {name: build_calendar(entry) for name, entry in plan["calendars"].items()}
    stage_index = {stage["name"]: stage["index"] for stage in plan["stages"]}
    stages = []
    for entry in plan["stages"]:
        trigger = entry["trigger"] or {}
        handoff = entry["handoff"]
        stages.append(
            model.Stage(
                name=entry["name"],
                index=entry["index"],
                on=_trigger(trigger) if "on" in trigger else None,
                when=_predicate(trigger.get("when")),
                handoff=None
                if handoff is None
                else model.Handoff(
                    owner=handoff["owner"],
                    severity=handoff["severity"],
                    required=tuple(handoff["require_fields"]),
                    checks=tuple(
                        (p["text"], compile_expr(p["expr"])) for p in handoff["require_predicates"]
                    ),
                    source=_source(handoff["source"]),
                ),
                source=_source(entry["source"]),
            )
        )
    scores = []
    for name, entry in plan["scores"].items():
        window = entry["window"]
        scores.append(
            model.Score(
                name=name,
                when_rules=tuple(
                    model.WhenRule(r["points"], compile_expr(r["when"]))
                    for r in entry["when_rules"]
                ),
                per_rules=tuple(
                    model.PerRule(
                        r["points"],
                        model.Trigger(frozenset([r["event"]]), _predicate(r["where"])),
                        r["at_most"],
                    )
                    for r in entry["per_rules"]
                ),
                window=None if window is None else window["seconds"],
                limit=entry["limit"],
                reads_scores=any(reads_scores(rule["when"]) for rule in entry["when_rules"]),
            )
        )
    probes = _Probes(stage_index)
    for index, node in walk_aggregates(plan):
        probes.add(node, plan["targets"][index]["by"])
    slas = []
    for index, entry in enumerate(plan["slas"]):
        slas.append(
            model.Sla(
                name=entry["name"],
                index=index,
                owner=entry["owner"],
                severity=entry["severity"],
                label=entry["label"],
                start_stages=frozenset(
                    stage_index[s["entering"]] for s in entry["start"] if "entering" in s
                ),
                start_on=tuple(_trigger(s) for s in entry["start"] if "on" in s),
                stops=tuple(_trigger(s) for s in entry["stop"]),
                pause=None if entry["pause"] is None else _trigger(entry["pause"]),
                resume=None if entry["resume"] is None else _trigger(entry["resume"]),
                goals=tuple(_goal(g, calendars) for g in entry["goals"]),
                warn=entry["warn"],
                group_by=tuple(sorted(probes.sla_groups.get(entry["name"], ()))),
                source=_source(entry["source"]),
                pause_source=_source(entry["pause"]["source"]) if entry["pause"] else None,
                resume_source=_source(entry["resume"]["source"]) if entry["resume"] else None,
            )
        )
    effective = plan["policy"].get("effective")
    zone = ZoneInfo(plan["policy"]["timezone"])
    recycles = tuple(model.Recycle(stage_index[r["to"]], _trigger(r)) for r in plan["recycles"])
    exits = tuple(_trigger(e) for e in plan["exits"])
    parts = (tuple(stages), tuple(scores), recycles, exits, tuple(slas), tuple(probes.event))
    return model.Runtime(
        stages=parts[0],
        scores=parts[1],
        slas=parts[4],
        effective_from=day_start(effective and effective["from"], zone, 0),
        effective_until=day_start(effective and effective["until"], zone, 1),
        dispatch={event: _dispatch(event, *parts) for event in plan["events"]},
        idle=_dispatch("", *parts),
        probes_at=tuple(
            tuple(p for p in probes.stage if p.stage == stage.index) for stage in stages
        ),
        rates_at=tuple(
            tuple(r for r in probes.rate if stage.index in (r.source, r.dest)) for stage in stages
        ),
        score_names=tuple(score.name for score in scores),
        windowed=tuple(
            (index, score.window) for index, score in enumerate(scores) if score.window is not None
        ),
        reads_scores=any(score.reads_scores for score in scores),
    )


def _dispatch(
    event: str,
    stages: tuple[model.Stage, ...],
    scores: tuple[model.Score, ...],
    recycles: tuple[model.Recycle, ...],
    exits: tuple[model.Trigger, ...],
    slas: tuple[model.Sla, ...],
    event_probes: tuple[model.EventProbe, ...],
) -> model.Dispatch:
    """The rules one event type can touch (see `model.Dispatch`)."""
    movable = tuple(
        stage
        for stage in stages
        if stage.when is not None or (stage.on is not None and event in stage.on.events)
    )
    return model.Dispatch(
        per_rules=tuple(
            (s, r, rule)
            for s, score in enumerate(scores)
            for r, rule in enumerate(score.per_rules)
            if event in rule.trigger.events
        ),
        stops=tuple((sla.index, t) for sla in slas for t in sla.stops if event in t.events),
        pauses=tuple(
            (sla.index, sla.pause)
            for sla in slas
            if sla.pause is not None and event in sla.pause.events
        ),
        resumes=tuple(
            (sla.index, sla.resume)
            for sla in slas
            if sla.resume is not None and event in sla.resume.events
        ),
        exits=tuple(t for t in exits if event in t.events),
        recycles=tuple(r for r in recycles if event in r.trigger.events),
        starts=tuple((sla.index, t) for sla in slas for t in sla.start_on if event in t.events),
        stages=movable,
        event_probes=tuple(p for p in event_probes if event in p.trigger.events),
        last_stage=movable[-1].index if movable else -1,
    )


def day_start(day: str | None, zone: ZoneInfo, offset_days: int) -> int | None:
    """The instant a local date starts (`offset_days=1`: the day after, for `until`)."""
    if not day:
        return None
    return local_midnight(date.fromordinal(date.fromisoformat(day).toordinal() + offset_days), zone)


def parse_instant(text: str) -> int:
    """An ISO-8601 instant with a zone (`--as-of`, `--from`, `--to`) as Unix seconds."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"`{text}` has no time zone; add `Z` or an offset")
    return int(moment.timestamp())
