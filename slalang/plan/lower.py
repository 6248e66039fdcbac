"""Plan stage: a checked `Program` (every module, imports merged) → the evaluation plan dict.

The plan is the only thing the evaluator reads, so this is where every question that has
the same answer for every lead is answered once: names are resolved, lets folded, calendars
normalised, durations converted, and each event type is indexed to the rules it can touch.
The checker has already passed the program, so anything it rejects is an `AssertionError`
here, never a diagnostic. The format is described in docs/plan.md.
"""

from __future__ import annotations

import os
from pathlib import PurePath
from typing import Any, TypeVar

from slalang import ast
from slalang.load import Program
from slalang.plan.calendars import ALWAYS, always_calendar, lower_calendar
from slalang.plan.codec import FORMAT_VERSION, digest
from slalang.plan.expressions import FIELD_TYPES, ExprLowerer, json_number
from slalang.symbols import Symbols, collect

Plan = dict[str, Any]
DEFAULT_TIMEZONE = "UTC"
DEFAULT_SEVERITY = "error"
T = TypeVar("T")


def compile_program(program: Program) -> Plan:
    """The plan of a checked program; the same program gives the same plan, wherever its
    files are on disk (file names are kept as given, relative to the policy root)."""
    plan: Plan = {"format_version": FORMAT_VERSION, "digest": "", **_Compiler(program).plan()}
    plan["digest"] = digest(plan)
    return plan


class _Compiler:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.symbols: Symbols = collect(program)
        self._texts = {m.path: m.source for m in program.modules}
        self.exprs = ExprLowerer(self.symbols, self._source_text)
        agreement = self.symbols.agreement
        zone = _first(agreement.items, ast.Timezone) if agreement else None
        self.timezone = zone.value.value if zone else DEFAULT_TIMEZONE

    # -- the whole plan ---------------------------------------------------------------------

    def plan(self) -> Plan:
        scores = {name: self._score(decl) for name, decl in self.symbols.scores.items()}
        stages = [self._stage(i, decl) for i, decl in enumerate(self.symbols.stages.values())]
        recycles = [self._recycle(r) for r in self.symbols.recycles]
        exits = [
            {**self._on(e.trigger), "source": self._source(e.span)} for e in self.symbols.exits
        ]
        slas = [self._sla(decl) for decl in self.symbols.slas.values()]
        targets = [self._target(decl) for decl in self.symbols.targets.values()]
        rules = {
            "scores": scores,
            "stages": stages,
            "recycles": recycles,
            "exits": exits,
            "slas": slas,
            "targets": targets,
        }
        return {
            "policy": self._policy(),
            "events": list(self.symbols.events),
            "fields": {name: self._field(decl) for name, decl in self.symbols.fields.items()},
            "metrics": {
                name: {
                    "description": decl.description.value if decl.description else None,
                    "source": self._source(decl.span),
                }
                for name, decl in self.symbols.metrics.items()
            },
            "calendars": self._calendars(rules),
            **rules,
            "fields_read": sorted(_fields_read(rules)),
            "index": self._index(scores, stages, recycles, exits, slas),
        }

    # -- header and declarations --------------------------------------------------------------

    def _policy(self) -> dict[str, Any]:
        agreement = self.symbols.agreement
        items = agreement.items if agreement else ()
        version = _first(items, ast.Version)
        description = _first(items, ast.Description)
        files = [self._file(m.path) for m in self.program.modules]
        return {
            # A policy with no agreement block is named after its file, as people refer to it.
            "name": agreement.label.value if agreement else PurePath(files[-1]).stem,
            "version": version.value.value if version else None,
            "description": description.value.value if description else None,
            "effective": _effective(_first(items, ast.Effective)),
            "timezone": self.timezone,
            "parties": {
                pid: {
                    "label": party.label.value,
                    "contact": party.contact.value if party.contact else None,
                }
                for pid, party in self.symbols.parties.items()
            },
            "files": files,
            "entry": files[-1],
        }

    def _field(self, decl: ast.FieldDecl) -> dict[str, Any]:
        kind = FIELD_TYPES[decl.type.kind.name]
        entry: dict[str, Any] = {"type": kind}
        if kind == "one_of":
            entry["options"] = [option.value for option in decl.type.options]
        entry["source"] = self._source(decl.span)
        return entry

    def _calendars(self, rules: dict[str, Any]) -> dict[str, Any]:
        """Every declared calendar, plus the built-in `always` when a duration uses it."""
        calendars = {
            name: lower_calendar(decl, self.timezone, self._source(decl.span))
            for name, decl in self.symbols.calendars.items()
        }
        if ALWAYS not in calendars and ALWAYS in _calendars_used(rules):
            calendars[ALWAYS] = always_calendar()
        return calendars

    # -- scores and the lifecycle ---------------------------------------------------------------

    def _score(self, decl: ast.ScoreDecl) -> dict[str, Any]:
        limit = _first(decl.items, ast.Limit)
        when_rules = [
            {
                "points": self._num(rule.points),
                "when": self.exprs.expr(rule.predicate),
                "source": self._source(rule.span),
            }
            for rule in decl.items
            if isinstance(rule, ast.WhenRule)
        ]
        per_rules = [
            {
                "points": self._num(rule.points),
                "event": rule.event.name,
                "where": self.exprs.optional(rule.where),
                "at_most": None if rule.at_most is None else self._num(rule.at_most),
                "source": self._source(rule.span),
            }
            for rule in decl.items
            if isinstance(rule, ast.PerRule)
        ]
        return {
            "window": None if decl.within is None else self.exprs.duration(decl.within, None),
            "limit": None if limit is None else self._num(limit.value),
            "when_rules": when_rules,
            "per_rules": per_rules,
            "source": self._source(decl.span),
        }

    def _stage(self, index: int, decl: ast.StageDecl) -> dict[str, Any]:
        trigger: dict[str, Any] | None
        match decl.trigger:
            case ast.OnEvents():
                trigger = self._on(decl.trigger)
            case ast.WhenTrigger():
                trigger = {"when": self.exprs.expr(decl.trigger.predicate)}
            case None:
                trigger = None
        handoff = self.symbols.handoffs.get(decl.name.name)
        return {
            "name": decl.name.name,
            "index": index,
            "trigger": trigger,
            "handoff": None if handoff is None else self._handoff(handoff),
            "source": self._source(decl.span),
        }

    def _handoff(self, decl: ast.Handoff) -> dict[str, Any]:
        """A bare field name requires presence (reported by name in `missing`); anything
        else is a predicate, kept with its text so a failure can say what was required."""
        fields: list[str] = []
        predicates: list[dict[str, Any]] = []
        for require in decl.items:
            if not isinstance(require, ast.Require):
                continue
            for item in require.items:
                if isinstance(item, ast.Ref) and item.name.name in self.symbols.fields:
                    if item.name.name not in fields:
                        fields.append(item.name.name)
                else:
                    predicates.append(
                        {"expr": self.exprs.expr(item), "text": self.exprs.text(item)}
                    )
        return {
            "owner": self._owner(decl.items),
            "severity": self._severity(decl.items),
            "require_fields": fields,
            "require_predicates": predicates,
            "source": self._source(decl.span),
        }

    def _recycle(self, decl: ast.Recycle) -> dict[str, Any]:
        return {"to": decl.stage.name, **self._on(decl.trigger), "source": self._source(decl.span)}

    def _on(self, trigger: ast.OnEvents) -> dict[str, Any]:
        return {"on": [e.name for e in trigger.events], "where": self.exprs.optional(trigger.where)}

    # -- obligations --------------------------------------------------------------------------

    def _sla(self, decl: ast.Sla) -> dict[str, Any]:
        start: list[dict[str, Any]] = []
        stop: list[dict[str, Any]] = []
        goals: list[dict[str, Any]] = []
        for item in decl.items:
            match item:
                case ast.StartEntering():
                    start.append({"entering": item.stage.name, "source": self._source(item.span)})
                case ast.StartOn():
                    start.append({**self._on(item.trigger), "source": self._source(item.span)})
                case ast.Stop():
                    stop.append({**self._on(item.trigger), "source": self._source(item.span)})
                case ast.Goal():
                    goals.append(self._goal(item))
        warn = _first(decl.items, ast.Warn)
        pause = _first(decl.items, ast.Pause)
        resume = _first(decl.items, ast.Resume)
        return {
            "name": decl.name.name,
            "label": decl.label.value if decl.label else None,
            "owner": self._owner(decl.items),
            "severity": self._severity(decl.items),
            "start": start,
            "stop": stop,
            "pause": None if pause is None else self._sourced_on(pause),
            "resume": None if resume is None else self._sourced_on(resume),
            "goals": goals,
            "warn": None if warn is None else self._num(warn.share),
            "source": self._source(decl.span),
        }

    def _sourced_on(self, item: ast.Pause | ast.Resume) -> dict[str, Any]:
        return {**self._on(item.trigger), "source": self._source(item.span)}

    def _goal(self, goal: ast.Goal) -> dict[str, Any]:
        """`when` is null for `otherwise` and for a goal with no condition: both always match."""
        condition = goal.condition
        when = None if condition is None or isinstance(condition, ast.Otherwise) else condition
        return {
            "when": self.exprs.optional(when),
            "duration": self.exprs.duration(goal.duration, goal.calendar),
            "source": self._source(goal.span),
        }

    def _target(self, decl: ast.Target) -> dict[str, Any]:
        goal = _first(decl.items, ast.TargetGoal)
        if goal is None or not isinstance(goal.expr, ast.Compare):
            raise AssertionError(f"target `{decl.name.name}` has no comparison to judge")
        return {
            "name": decl.name.name,
            "label": decl.label.value if decl.label else None,
            "owner": self._owner(decl.items),
            "severity": self._severity(decl.items),
            "period": goal.period.name,
            "by": goal.by.name if goal.by else None,
            "goal": {
                "op": goal.expr.op,
                "left": self.exprs.expr(goal.expr.left),
                "right": self.exprs.expr(goal.expr.right),
            },
            "text": self.exprs.text(goal.expr),
            "source": self._source(decl.span),
        }

    # -- the per-event index ----------------------------------------------------------------------

    def _index(
        self,
        scores: dict[str, Any],
        stages: list[dict[str, Any]],
        recycles: list[dict[str, Any]],
        exits: list[dict[str, Any]],
        slas: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """For each event type, every rule it can touch; for each stage, the clocks its entry
        opens. The replay loop does one dictionary look-up per event instead of a scan."""
        events: dict[str, dict[str, list[Any]]] = {
            name: {
                "stages": [],
                "score_rules": [],
                "recycles": [],
                "exits": [],
                "sla_starts": [],
                "sla_stops": [],
                "sla_pauses": [],
                "sla_resumes": [],
            }
            for name in self.symbols.events
        }

        def add(event_names: list[str], key: str, value: Any) -> None:
            for name in event_names:
                if value not in events[name][key]:
                    events[name][key].append(value)

        for stage in stages:
            if stage["trigger"] is not None and "on" in stage["trigger"]:
                add(stage["trigger"]["on"], "stages", stage["name"])
        for score_name, score in scores.items():
            for i, rule in enumerate(score["per_rules"]):
                add([rule["event"]], "score_rules", {"score": score_name, "rule": i})
        for i, recycle in enumerate(recycles):
            add(recycle["on"], "recycles", i)
        for i, exit_rule in enumerate(exits):
            add(exit_rule["on"], "exits", i)
        entering: dict[str, dict[str, list[Any]]] = {s["name"]: {"sla_starts": []} for s in stages}
        for sla in slas:
            for i, trigger in enumerate(sla["start"]):
                ref = {"sla": sla["name"], "trigger": i}
                if "entering" in trigger:
                    entering[trigger["entering"]]["sla_starts"].append(ref)
                else:
                    add(trigger["on"], "sla_starts", ref)
            for i, trigger in enumerate(sla["stop"]):
                add(trigger["on"], "sla_stops", {"sla": sla["name"], "trigger": i})
            for key, index_key in (("pause", "sla_pauses"), ("resume", "sla_resumes")):
                if sla[key] is not None:
                    add(sla[key]["on"], index_key, sla["name"])
        return {"events": events, "entering": entering}

    # -- small helpers ------------------------------------------------------------------------

    def _num(self, node: ast.Number | ast.Percent) -> int | float:
        return json_number(self.exprs.number(node))

    def _owner(self, items: tuple[Any, ...]) -> str | None:
        owner = _first(items, ast.Owner)
        return owner.party.name if owner else None

    def _severity(self, items: tuple[Any, ...]) -> str:
        severity = _first(items, ast.Severity)
        return severity.level.name if severity else DEFAULT_SEVERITY

    def _file(self, path: str) -> str:
        """A file name as given; an absolute one is made relative to the policy root, so the
        plan (and its digest) does not depend on where the checkout lives."""
        if os.path.isabs(path):
            path = os.path.relpath(path, self.program.root)
        return PurePath(path).as_posix()

    def _source(self, span: ast.Span) -> dict[str, Any]:
        return {"file": self._file(span.file), "line": span.line}

    def _source_text(self, span: ast.Span) -> str:
        return self._texts.get(span.file, "")[span.start : span.end]


def _first(items: tuple[Any, ...], kind: type[T]) -> T | None:
    """The first item of a kind: a repeated one is the checker's to report."""
    return next((item for item in items if isinstance(item, kind)), None)


def _effective(effective: ast.Effective | None) -> dict[str, Any] | None:
    if effective is None:
        return None
    until = effective.until.value if effective.until else None
    return {"from": effective.start.value, "until": until}


def _walk(value: Any) -> list[dict[str, Any]]:
    """Every JSON object inside a plan section, iteratively (deep expressions are allowed)."""
    found: list[dict[str, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _fields_read(rules: dict[str, Any]) -> set[str]:
    """Fields any rule reads: the data reader may skip every other column."""
    names: set[str] = set()
    for node in _walk(rules):
        if isinstance(node.get("field"), str):
            names.add(node["field"])
        names.update(node.get("require_fields", ()))
    names.update(t["by"] for t in rules["targets"] if t["by"] is not None)
    return names


def _calendars_used(rules: dict[str, Any]) -> set[str]:
    return {node["calendar"] for node in _walk(rules) if isinstance(node.get("calendar"), str)}
