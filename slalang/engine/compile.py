"""Plan → kernel source: one policy's whole replay (LANGUAGE §11) as a flat Python function
over the batch's arrays, written so numba can compile it to machine code.

Why generate source rather than interpret the plan in a compiled loop: every rule, event
type and stage becomes a constant branch, every field and score a local variable, so the
compiled loop does only the work this policy needs (≈ 15 ns an event on the seed policy,
against ≈ 6 µs in the reference replay).

The generated function mirrors `slalang.evaluate.replay.LeadReplay` step by step; read the
two side by side. What it cannot express is refused up front (`Unsupported`), and the
caller falls back to the reference replay: a plan is never half-supported.

Values in the kernel:
- a number field is a float64 local, NaN while the lead has no value for it;
- a text, `one of`, bool or date field is an int32 dictionary code, -1 while unset;
- a predicate that reads one such field and nothing else (a comparison, `in`, `matches`,
  `is present`…) is a lookup table from code to truth, filled per batch by running the
  reference predicate once per distinct value (`Tables`), so its semantics are the
  reference's by construction;
- number expressions carry a validity flag beside the value: a missing field or a
  division by zero is the reference's None, which makes every comparison false.

The kernel's signature and its output arrays are described in `slalang.engine.kernel`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from slalang.evaluate.runtime import compile_expr, day_start, walk_aggregates

NONE = -(1 << 62)
"""An instant that is not there (a clock not stopped, a stage not reached)."""

_EXACT = 2**53
"""Integers up to this are exact in float64: larger constants would compare differently
than Python's exact int/float comparison, so such plans fall back."""

_MAX_LINES = 2_000
"""Longest kernel compiled: numba takes about 3 s per 100 lines, and the example policies
need 70 to 590. A longer one (a condition of thousands of `and`s) would take minutes to
compile, so such a plan runs on the reference replay instead."""

_T = TypeVar("_T")
_FUNCTIONS = ("ceil", "floor", "abs", "min", "max")
_COMPARE = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_ARITH = ("+", "-", "*", "/")
_MASK_BITS = 62
"""Handoff requirements are reported as bit masks in an int64."""


class Unsupported(Exception):
    """The plan uses something the kernel does not implement; the message says what."""


@dataclass(frozen=True, slots=True)
class Table:
    """A predicate on one dictionary-encoded field, evaluated per distinct value."""

    field: str
    node: Mapping[str, Any]


@dataclass(slots=True)
class Layout:
    """What the generated kernel reads and writes, besides its fixed arguments."""

    numbers: list[str] = field(default_factory=list)  # number fields, one float64 column each
    codes: list[str] = field(default_factory=list)  # encoded fields, one int32 column each
    tables: list[Table] = field(default_factory=list)
    group_width: int = 1  # columns of the clock group outputs
    handoff_required: list[tuple[str, ...]] = field(default_factory=list)  # per stage
    handoff_checks: list[tuple[str, ...]] = field(default_factory=list)  # per stage (texts)
    sla_groups: list[tuple[str, ...]] = field(default_factory=list)  # per SLA: group fields
    probe_by: dict[int, str | None] = field(default_factory=dict)  # fact/rate probe → field
    hit_rules: int = 0  # windowed `per` rules (each needs a hit buffer)
    stages_per_event: int = 1
    facts_per_event: int = 1
    clocks_per_event: int = 1
    handoffs_per_event: int = 1
    pauses_per_event: int = 1
    rates_per_lead: int = 1


@dataclass(frozen=True, slots=True)
class Source:
    text: str
    layout: Layout


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0
        self.count = 0

    def __call__(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def fresh(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count}"

    def block(self, header: str) -> _Block:
        return _Block(self, header)


class _Block:
    def __init__(self, writer: _Writer, header: str) -> None:
        self.writer = writer
        self.header = header
        self.start = 0

    def __enter__(self) -> None:
        self.writer(self.header)
        self.writer.depth += 1
        self.start = len(self.writer.lines)

    def __exit__(self, *exc: object) -> None:
        if len(self.writer.lines) == self.start:
            self.writer("pass")
        self.writer.depth -= 1


def _free(node: Mapping[str, Any]) -> tuple[set[str], bool]:
    """The fields an expression reads, and whether it reads a score."""
    fields: set[str] = set()
    scores = False
    pending = [node]
    while pending:
        current = pending.pop()
        if "score" in current:
            scores = True
        if "field" in current:
            fields.add(current["field"])
        pending.extend(current.get("args", ()))
        if "arg" in current:
            pending.append(current["arg"])
    return fields, scores


def _literal(value: float) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unsupported(f"number {value!r}")
    if isinstance(value, int) and abs(value) > _EXACT:
        raise Unsupported(f"integer {value} beyond float precision")
    number = float(value)
    if not math.isfinite(number):
        raise Unsupported(f"number {value!r}")
    return repr(number)


_CHAIN = 64
"""Most operands joined in one generated `a & b & …`: Python's compiler recurses once per
operator, so a policy's chain of 3,000 `and`s is written as a tree of such groups."""


def _join(operator: str, kept: list[str]) -> str:
    while len(kept) > _CHAIN:
        kept = [_join(operator, kept[i : i + _CHAIN]) for i in range(0, len(kept), _CHAIN)]
    return kept[0] if len(kept) == 1 else "(" + f" {operator} ".join(kept) + ")"


def _all(parts: list[str]) -> str:
    """The conjunction of bool expressions, constants folded. `&` rather than `and`: the
    parts are pure, and branch-free code compiles several times faster."""
    if "False" in parts:
        return "False"
    kept = [p for p in parts if p != "True"]
    if not kept:
        return "True"
    return _join("&", kept)


def _any(parts: list[str]) -> str:
    if "True" in parts:
        return "True"
    kept = [p for p in parts if p != "False"]
    if not kept:
        return "False"
    return _join("|", kept)


class Generator:
    """Writes the kernel source of one plan (see the module doc).

    Lead state lives in small arrays allocated once per call (`fv`, `fc`, `sc`…), not in
    locals: numba's front end tracks every assignment to a local through every branch, and
    with a few hundred branches that tracking, not the machine code, is the compile time.
    """

    def __init__(self, plan: Mapping[str, Any]) -> None:
        self.plan = plan
        self.types = {name: entry["type"] for name, entry in plan["fields"].items()}
        self.events = list(plan["events"])
        self.event_code = {name: code for code, name in enumerate(self.events)}
        self.stage_index = {s["name"]: s["index"] for s in plan["stages"]}
        self.score_index = {name: i for i, name in enumerate(plan["scores"])}
        self.scores = list(plan["scores"].values())
        self.aggregates = walk_aggregates(plan)
        self.layout = Layout()
        self.w = _Writer()
        self.table_index: dict[str, int] = {}
        self.rule_slot: dict[tuple[int, int], int] = {}
        for s, score in enumerate(self.scores):
            for r, _ in enumerate(score["per_rules"]):
                self.rule_slot[s, r] = len(self.rule_slot)
        self.rates = [
            (probe, node)
            for probe, (_, node) in enumerate(self.aggregates)
            if node["agg"] == "rate"
        ]
        self.rate_slot = {probe: q for q, (probe, _) in enumerate(self.rates)}
        self.roundings: set[int] = set()  # `round`'s digits the rules use

    # ---- fields --------------------------------------------------------------------------

    def number(self, name: str) -> str:
        if self.types.get(name) != "number":
            raise Unsupported(f"`{name}` read as a number")
        if name not in self.layout.numbers:
            self.layout.numbers.append(name)
        return f"fv[{self.layout.numbers.index(name)}]"

    def code(self, name: str) -> str:
        if name not in self.types or self.types[name] == "number":
            raise Unsupported(f"`{name}` read as a code")
        if name not in self.layout.codes:
            self.layout.codes.append(name)
        return f"fc[{self.layout.codes.index(name)}]"

    def value(self, name: str) -> tuple[str, str]:
        """(code expression, number expression) of a field read as a group value."""
        if self.types[name] == "number":
            return "-1", self.number(name)
        return self.code(name), "np.nan"

    def absent(self, name: str) -> str:
        if self.types[name] == "number":
            return f"np.isnan({self.number(name)})"
        return f"({self.code(name)} < 0)"

    # ---- expressions ---------------------------------------------------------------------

    def predicate(self, node: Mapping[str, Any] | None) -> str:
        """Emit the statements computing a predicate; return a bool expression."""
        if node is None:
            return "True"
        fields, scores = _free(node)
        if not fields and not scores:
            return "True" if compile_expr(dict(node))({}, {}) else "False"
        op = node.get("op")
        if op in ("and", "or"):
            parts = [self.predicate(arg) for arg in node["args"]]
            return self.bind(_all(parts) if op == "and" else _any(parts))
        if op == "not":
            return self.bind(f"not {self.predicate(node['args'][0])}")
        if len(fields) == 1 and not scores:
            (name,) = fields
            if self.types.get(name) not in (None, "number"):
                return self.table(name, node)
        if op in _COMPARE:
            left, right = node["args"]
            lv, lk = self.numeric(left)
            rv, rk = self.numeric(right)
            return self.bind(_all([lk, rk, f"({lv} {_COMPARE[op]} {rv})"]))
        if op in ("present", "missing"):
            absent = self.absent(node["field"])
            return self.bind(f"not {absent}" if op == "present" else absent)
        if op in ("in", "not_in"):
            return self.membership(node)
        raise Unsupported(f"predicate {op or sorted(node)}")

    def bind(self, expression: str) -> str:
        """A bool expression held in a fresh local (constants are returned as they are)."""
        if expression in ("True", "False"):
            return expression
        out = self.w.fresh("b")
        self.w(f"{out} = {expression}")
        return out

    def membership(self, node: Mapping[str, Any]) -> str:
        """`x in (…)` on a number expression: equality with each number listed."""
        value, ok = self.numeric(node["arg"])
        tests = []
        for item in node["values"]:
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise Unsupported("`in` mixing numbers and other values")
            tests.append(f"({value} == {_literal(item)})")
        found = _any(tests)
        if node["op"] == "not_in":
            found = f"(not {found})"
        return self.bind(_all([ok, found]))

    def table(self, name: str, node: Mapping[str, Any]) -> str:
        key = repr((name, node))
        if key not in self.table_index:
            self.table_index[key] = len(self.layout.tables)
            self.layout.tables.append(Table(name, node))
        return f"(t{self.table_index[key]}[{self.code(name)} + 1] != 0)"

    def numeric(self, node: Mapping[str, Any]) -> tuple[str, str]:
        """Emit a number expression; return (value expression, validity expression)."""
        if "num" in node:
            return _literal(node["num"]), "True"
        if "score" in node:
            return f"sc[{self.score_index[node['score']]}]", "True"
        if "field" in node and "op" not in node:
            name = self.number(node["field"])
            return name, f"(not np.isnan({name}))"
        op = node.get("op")
        if op == "neg":
            value, ok = self.numeric(node["args"][0])
            return f"(-{value})", ok
        if op in _ARITH:
            a, ak = self.numeric(node["args"][0])
            b, bk = self.numeric(node["args"][1])
            out = self.w.fresh("v")
            if op == "/":
                # the reference's ZeroDivisionError is None; dividing by 1 instead keeps
                # the plain-Python run of this source from raising
                valid = self.bind(_all([ak, bk, f"({b} != 0.0)"]))
                self.w(f"{out} = {a} / ({b} + ({b} == 0.0))")
                return out, valid
            self.w(f"{out} = {a} {op} {b}")
            return out, self.bind(_all([ak, bk]))
        if op == "round":
            value, ok = self.numeric(node["args"][0])
            digits = int(node.get("digits", 0))
            self.roundings.add(digits)
            out = self.w.fresh("v")
            self.w(f"{out} = round_{digits}({value})")
            return out, ok
        if op in _FUNCTIONS:
            return self.function(op, [self.numeric(arg) for arg in node["args"]])
        raise Unsupported(f"number expression {op or sorted(node)}")

    def function(self, name: str, args: list[tuple[str, str]]) -> tuple[str, str]:
        """A number function (LANGUAGE §14.2) as `slalang.functions.evaluator` computes it:
        `min`/`max` keep the first of equal values, as Python's do. `round` is a module
        function of the kernel (`rounding_source`)."""
        valid = self.bind(_all([ok for _, ok in args]))
        out = self.w.fresh("v")
        first = args[0][0]
        if name in ("ceil", "floor"):
            self.w(f"{out} = np.{name}({first})")
        elif name == "abs":
            self.w(f"{out} = abs({first})")
        else:
            better = "<" if name == "min" else ">"
            self.w(f"{out} = {first}")
            for value, _ in args[1:]:
                self.w(f"{out} = {value} if {value} {better} {out} else {out}")
        return out, valid

    # ---- the kernel ----------------------------------------------------------------------

    def generate(self) -> Source:
        self.check_shape()
        body = _Writer()
        self.w = body
        body.depth = 2
        self.lead_body()
        head = _Writer()
        self.w = head
        self.header()
        lines = [*head.lines, *body.lines, "        lead += 1"]
        lines.append("    return lead, n_st, n_fa, n_ra, n_ck, n_ho, n_pa")
        if len(lines) > _MAX_LINES:
            raise Unsupported(f"a kernel of {len(lines):,} lines, too long to compile quickly")
        return Source("\n".join(lines) + "\n", self.layout)

    def check_shape(self) -> None:
        plan, layout = self.plan, self.layout
        for stage in plan["stages"]:
            handoff = stage["handoff"]
            required = tuple(handoff["require_fields"]) if handoff else ()
            checks = tuple(p["text"] for p in handoff["require_predicates"]) if handoff else ()
            if len(required) > _MASK_BITS or len(checks) > _MASK_BITS:
                raise Unsupported("a handoff with more than 62 requirements")
            layout.handoff_required.append(required)
            layout.handoff_checks.append(checks)
        for score in self.scores:
            for rule in (*score["when_rules"], *score["per_rules"]):
                _literal(rule["points"])
            for rule in score["per_rules"]:
                if rule["at_most"] is not None:
                    _literal(rule["at_most"])
            if score["limit"] is not None:
                _literal(score["limit"])
        layout.hit_rules = len(self.rule_slot)
        stage_probes = 0
        event_probes: dict[str, int] = {}
        for probe, (index, node) in enumerate(self.aggregates):
            agg = node["agg"]
            if agg == "sum" and self.types.get(node["field"]) != "number":
                raise Unsupported("`sum` of a field that is not a number")
            if agg in ("count_entering", "count_reaching", "sum", "count_event", "rate"):
                layout.probe_by[probe] = plan["targets"][index]["by"]
            if agg in ("count_entering", "count_reaching", "sum"):
                stage_probes += 1
            elif agg == "count_event":
                event_probes[node["event"]] = event_probes.get(node["event"], 0) + 1
        layout.facts_per_event = max(1, stage_probes + max(event_probes.values(), default=0))
        layout.stages_per_event = max(1, len(plan["stages"]))
        layout.handoffs_per_event = max(1, sum(1 for s in plan["stages"] if s["handoff"]))
        layout.clocks_per_event = max(1, len(plan["slas"]))
        layout.pauses_per_event = max(1, sum(1 for s in plan["slas"] if s.get("pause")))
        layout.rates_per_lead = max(1, len(self.rates))
        groups: dict[str, set[str]] = {}
        for index, node in self.aggregates:
            by = plan["targets"][index]["by"]
            if node["agg"] == "compliance" and by is not None:
                groups.setdefault(node["sla"], set()).add(by)
        layout.sla_groups = [tuple(sorted(groups.get(s["name"], ()))) for s in plan["slas"]]
        layout.group_width = max([1, *map(len, layout.sla_groups)])

    def header(self) -> None:
        w, layout, plan = self.w, self.layout, self.plan
        columns = [f"col{i}" for i in range(len(layout.numbers))]
        columns += [f"cod{i}" for i in range(len(layout.codes))]
        tables = [f"t{i}" for i in range(len(layout.tables))]
        args = ", ".join(
            [
                "start",
                "offsets",
                "ts",
                "ev",
                *columns,
                *tables,
                "as_of",
                "hits",
                "st_out",
                "fa_i",
                "fa_f",
                "ra_i",
                "ra_f",
                "ck_i",
                "ck_gi",
                "ck_gf",
                "ho_out",
                "pa_out",
            ]
        )
        w("import math")
        w("")
        w("import numpy as np")
        if self.roundings:
            w("import numba")
            w("")
            w("from slalang.functions import round_text")
        w("")
        w(f"NONE = {NONE}")
        w("")
        w("")
        for digits in sorted(self.roundings):
            for line in rounding_source(digits).splitlines():
                w(line)
            w("")
            w("")
        w(f"def kernel({args}):")
        w.depth = 1
        arrays = {
            "fv": (len(layout.numbers), "np.float64"),
            "fc": (len(layout.codes), "np.int64"),
            "sc": (len(self.scores), "np.float64"),
            "ns": (len(self.scores), "np.float64"),
            "wp": (len(self.scores), "np.float64"),
            "pp": (len(self.scores), "np.float64"),
            "hn": (len(self.rule_slot), "np.int64"),  # hits so far, per `per` rule
            "hh": (len(self.rule_slot), "np.int64"),  # first live hit (windowed rules)
            "hc": (len(self.rule_slot), "np.float64"),  # the rule's current points
            "run": (len(plan["slas"]), "np.int64"),  # row of the running clock, -1: none
            "cyc": (len(plan["slas"]), "np.int64"),
            "hold": (len(plan["stages"]), "np.bool_"),
            "rs": (len(self.rates), "np.int64"),
            "rd": (len(self.rates), "np.int64"),
            "rgc": (len(self.rates), "np.int64"),
            "rgf": (len(self.rates), "np.float64"),
        }
        for name, (size, dtype) in arrays.items():
            w(f"{name} = np.zeros({max(1, size)}, {dtype})")
        for line in (
            "n_leads = len(offsets) - 1",
            "n_st = 0",
            "n_fa = 0",
            "n_ra = 0",
            "n_ck = 0",
            "n_ho = 0",
            "n_pa = 0",
            "lead = start",
            "while lead < n_leads:",
        ):
            w(line)
        w.depth = 2
        w("lo = offsets[lead]")
        w("hi = offsets[lead + 1]")
        w("size = hi - lo")
        checks = [
            f"n_st + size * {layout.stages_per_event} > st_out.shape[0]",
            f"n_fa + size * {layout.facts_per_event} > fa_i.shape[0]",
            f"n_ra + {layout.rates_per_lead} > ra_i.shape[0]",
            f"n_ck + size * {layout.clocks_per_event} > ck_i.shape[0]",
            f"n_ho + size * {layout.handoffs_per_event} > ho_out.shape[0]",
            f"n_pa + size * {layout.pauses_per_event} > pa_out.shape[0]",
            "size > hits.shape[1]",
        ]
        w(f"if {' or '.join(checks)}:")
        w("    break")
        for line in (
            "fv[:] = np.nan",
            "fc[:] = -1",
            "sc[:] = 0.0",
            "wp[:] = 0.0",
            "pp[:] = 0.0",
            "hn[:] = 0",
            "hh[:] = 0",
            "hc[:] = 0.0",
            "run[:] = -1",
            "cyc[:] = 0",
            "rs[:] = NONE",
            "rd[:] = NONE",
            "rgc[:] = -1",
            "rgf[:] = np.nan",
            "stage = -1",
            "exited = False",
            "fresh = True",
        ):
            w(line)

    def lead_body(self) -> None:
        """The event loop of one lead, then its closing records."""
        w = self.w
        with w.block("for i in range(lo, hi):"):
            w("t = ts[i]")
            w("e = ev[i]")
            w("#FIELDS#")  # step 1: filled in once every field read is known
            self.update_scores()
            self.count_events()
            self.stop_clocks()
            with w.block("if not exited:"):
                self.exit_or_recycle()
                with w.block("if not exited:"):
                    self.advance()
                    self.start_clocks()
        self.finish_rates()

    def switch(self, cases: Mapping[str, _T], emit: Callable[[_T], None]) -> None:
        """`if e == code: …` per event type that has work, as one if/elif chain; `emit`
        writes the work of one case."""
        keyword = "if"
        for event in self.events:
            if event in cases:
                with self.w.block(f"{keyword} e == {self.event_code[event]}:"):
                    emit(cases[event])
                keyword = "elif"

    def update_scores(self) -> None:
        """Step 2: `per` hits of this event, window expiry, then every score recomputed
        from its `when` part (reading the scores from before this event) and `per` part."""
        w = self.w
        if not self.scores:
            return
        w("dirty = fresh")
        by_event: dict[str, list[tuple[int, int, Mapping[str, Any]]]] = {}
        for s, score in enumerate(self.scores):
            for r, rule in enumerate(score["per_rules"]):
                by_event.setdefault(rule["event"], []).append((s, r, rule))

        def hits(rules: list[tuple[int, int, Mapping[str, Any]]]) -> None:
            for s, r, rule in rules:
                k = self.rule_slot[s, r]
                with w.block(f"if {self.predicate(rule['where'])}:"):
                    if self.scores[s]["window"] is not None:
                        w(f"hits[{k}, hn[{k}]] = t")
                    w(f"hn[{k}] += 1")
                    self.points(k, rule)
                    w("dirty = True")

        self.switch(by_event, hits)
        for s, score in enumerate(self.scores):
            if score["window"] is None:
                continue
            w(f"horizon = t - {int(score['window']['seconds'])}")
            for r, rule in enumerate(score["per_rules"]):
                k = self.rule_slot[s, r]
                live = f"hh[{k}] < hn[{k}] and hits[{k}, hh[{k}]] <= horizon"
                with w.block(f"if {live}:"):
                    with w.block(f"while {live}:"):
                        w(f"hh[{k}] += 1")
                    self.points(k, rule)
                    w("dirty = True")
        reads = any(_free(r["when"])[1] for score in self.scores for r in score["when_rules"])
        with w.block(f"if {'True' if reads else 'changed or dirty'}:"):
            self.compute_scores(recycled=False)

    def points(self, k: int, rule: Mapping[str, Any]) -> None:
        """A `per` rule's points for its live hits, `at most` capping their size."""
        w = self.w
        w(f"hc[{k}] = {_literal(rule['points'])} * (hn[{k}] - hh[{k}])")
        if rule["at_most"] is not None:
            cap = _literal(rule["at_most"])
            w(f"m = abs(hc[{k}])")
            w(f"hc[{k}] = math.copysign({cap} if {cap} < m else m, hc[{k}])")

    def compute_scores(self, *, recycled: bool) -> None:
        """Each score's `when` part is re-read when a field changed (always, for a score
        whose rules read scores: they read the values from before this event), and after
        a recycle only for those; its `per` part is the sum of its rules' points."""
        w = self.w
        for s, score in enumerate(self.scores):
            reads = any(_free(rule["when"])[1] for rule in score["when_rules"])
            if score["when_rules"] and (reads or not recycled):
                with w.block("if True:" if reads else "if changed or fresh:"):
                    holds = [self.predicate(rule["when"]) for rule in score["when_rules"]]
                    w(f"wp[{s}] = 0.0")
                    for hold, rule in zip(holds, score["when_rules"], strict=True):
                        with w.block(f"if {hold}:"):
                            w(f"wp[{s}] += {_literal(rule['points'])}")
            slots = [self.rule_slot[s, r] for r in range(len(score["per_rules"]))]
            if slots:
                w(f"pp[{s}] = 0.0 + {' + '.join(f'hc[{k}]' for k in slots)}")
            w(f"ns[{s}] = wp[{s}] + pp[{s}]")
            if score["limit"] is not None:
                limit = _literal(score["limit"])
                w(f"if {limit} < ns[{s}]:")
                w(f"    ns[{s}] = {limit}")
        w("sc[:] = ns")
        w("fresh = False")

    def count_events(self) -> None:
        w = self.w
        by_event: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
        for probe, (_, node) in enumerate(self.aggregates):
            if node["agg"] == "count_event":
                by_event.setdefault(node["event"], []).append((probe, node))

        def count(probes: list[tuple[int, Mapping[str, Any]]]) -> None:
            for probe, node in probes:
                with w.block(f"if {self.predicate(node.get('where'))}:"):
                    self.fact(probe, "1.0")

        self.switch(by_event, count)

    def fact(self, probe: int, amount: str) -> None:
        w = self.w
        by = self.layout.probe_by[probe]
        code, number = self.value(by) if by else ("-1", "np.nan")
        w("fa_i[n_fa, 0] = lead")
        w(f"fa_i[n_fa, 1] = {probe}")
        w("fa_i[n_fa, 2] = t")
        w(f"fa_i[n_fa, 3] = {code}")
        w(f"fa_f[n_fa, 0] = {amount}")
        w(f"fa_f[n_fa, 1] = {number}")
        w("n_fa += 1")

    def stop_clocks(self) -> None:
        """Step 3: a running clock whose stop trigger fires is stopped; then, for a clock
        still running, an event matching its `resume` or `pause` line is recorded
        (`pa_out`: clock row, instant, 1 resume | 2 pause). Whether it pauses depends on
        the deadline in force, which pauses move: the decoder applies them in order with
        the reference's own `pause` / `end_pause`, as they affect nothing else."""
        w = self.w
        Stops = list[tuple[int, Mapping[str, Any]]]
        Marks = list[tuple[int, str, Mapping[str, Any]]]
        by_event: dict[str, tuple[Stops, Marks]] = {}
        for i, sla in enumerate(self.plan["slas"]):
            for trigger in sla["stop"]:
                for event in trigger["on"]:
                    by_event.setdefault(event, ([], []))[0].append((i, trigger))
            for kind in ("resume", "pause"):
                trigger = sla.get(kind)
                for event in trigger["on"] if trigger else ():
                    by_event.setdefault(event, ([], []))[1].append((i, kind, trigger))

        def stop(rules: tuple[Stops, Marks]) -> None:
            stops, marks = rules
            for i, trigger in stops:
                # the predicate's statements land inside the first block: `with` enters
                # its contexts in order
                with (
                    w.block(f"if run[{i}] >= 0:"),
                    w.block(f"if {self.predicate(trigger.get('where'))}:"),
                ):
                    w(f"ck_i[run[{i}], 5] = t")
                    w(f"run[{i}] = -1")
            for i in sorted({i for i, _, _ in marks}):
                with w.block(f"if run[{i}] >= 0:"):
                    w("mark = 0")
                    for _, kind, trigger in (m for m in marks if m[0] == i):
                        bit = 1 if kind == "resume" else 2
                        with w.block(f"if {self.predicate(trigger.get('where'))}:"):
                            w(f"mark |= {bit}")
                    with w.block("if mark:"):
                        w(f"pa_out[n_pa, 0] = run[{i}]")
                        w("pa_out[n_pa, 1] = t")
                        w("pa_out[n_pa, 2] = mark")
                        w("n_pa += 1")

        self.switch(by_event, stop)

    def exit_or_recycle(self) -> None:
        """Step 4: exit (every running clock cancelled), else the first recycle that
        applies (the lead goes back, `per` hits are forgotten, clocks started by entering
        a later stage are cancelled)."""
        w, plan = self.w, self.plan
        w("left = False")
        Rules = list[Mapping[str, Any]]
        by_event: dict[str, tuple[Rules, Rules]] = {}
        for event in self.events:
            exits = [t for t in plan["exits"] if event in t["on"]]
            recycles = [r for r in plan["recycles"] if event in r["on"]]
            if exits or recycles:
                by_event[event] = (exits, recycles)

        def leave(rules: tuple[Rules, Rules]) -> None:
            exits, recycles = rules
            if exits:
                holds = [self.predicate(t.get("where")) for t in exits]
                with w.block(f"if {_any(holds)}:"):
                    w("exited = True")
                    w("left = True")
                    self.cancel(range(len(plan["slas"])))
            for recycle in recycles:
                to = self.stage_index[recycle["to"]]
                with (
                    w.block(f"if not left and stage > {to}:"),
                    w.block(f"if {self.predicate(recycle.get('where'))}:"),
                ):
                    self.recycle(to)

        self.switch(by_event, leave)

    def cancel(self, slas: Iterable[int]) -> None:
        for i in slas:
            with self.w.block(f"if run[{i}] >= 0:"):
                self.w(f"ck_i[run[{i}], 6] = t")
                self.w(f"run[{i}] = -1")

    def recycle(self, to: int) -> None:
        w, plan = self.w, self.plan
        w("left = True")
        w(f"stage = {to}")
        if self.rule_slot:
            w("hc[:] = 0.0")
            w("hh[:] = hn")  # every hit so far is forgotten
        if self.scores:
            self.compute_scores(recycled=True)
        self.cancel(
            i
            for i, sla in enumerate(plan["slas"])
            if any("entering" in s and self.stage_index[s["entering"]] > to for s in sla["start"])
        )

    def advance(self) -> None:
        """Step 5: the furthest stage whose condition holds; those between are entered
        when their own condition holds, else skipped."""
        w, plan = self.w, self.plan
        stages = plan["stages"]
        w("hold[:] = False")
        with w.block("if not left:"):
            for stage in stages:
                when = (stage["trigger"] or {}).get("when")
                if when is not None:
                    with w.block(f"if stage < {stage['index']}:"):
                        w(f"hold[{stage['index']}] = {self.predicate(when)}")
            by_event: dict[str, list[Mapping[str, Any]]] = {}
            for stage in stages:
                for event in (stage["trigger"] or {}).get("on", ()):
                    by_event.setdefault(event, []).append(stage)

            def enter(entered_on: list[Mapping[str, Any]]) -> None:
                for stage in entered_on:
                    index = stage["index"]
                    with w.block(f"if stage < {index}:"):
                        hold = self.predicate(stage["trigger"].get("where"))
                        w(f"hold[{index}] = hold[{index}] or {hold}")

            self.switch(by_event, enter)
        w("furthest = -1")
        keyword = "if"
        for stage in reversed(stages):
            with w.block(f"{keyword} hold[{stage['index']}]:"):
                w(f"furthest = {stage['index']}")
            keyword = "elif"
        probes_at: dict[int, list[tuple[int, Mapping[str, Any]]]] = {}
        rates_at: dict[int, list[tuple[int, Mapping[str, Any]]]] = {}
        for probe, (_, node) in enumerate(self.aggregates):
            if node["agg"] in ("count_entering", "count_reaching", "sum"):
                probes_at.setdefault(self.stage_index[node["stage"]], []).append((probe, node))
            elif node["agg"] == "rate":
                ends = {self.stage_index[node["from"]], self.stage_index[node["to"]]}
                for at in sorted(ends):
                    rates_at.setdefault(at, []).append((probe, node))
        if not stages:
            return
        with w.block("if furthest >= 0:"):
            for stage in stages:
                index = stage["index"]
                with w.block(f"if stage < {index} and {index} <= furthest:"):
                    self.reach(stage, probes_at.get(index, []), rates_at.get(index, []))
            w("stage = furthest")

    def reach(
        self,
        stage: Mapping[str, Any],
        probes: list[tuple[int, Mapping[str, Any]]],
        rates: list[tuple[int, Mapping[str, Any]]],
    ) -> None:
        w = self.w
        index = stage["index"]
        w("st_out[n_st, 0] = lead")
        w(f"st_out[n_st, 1] = {index}")
        w(f"st_out[n_st, 2] = 1 if hold[{index}] else 0")
        w("st_out[n_st, 3] = t")
        w("n_st += 1")
        for probe, node in probes:
            gate = "True" if node["agg"] == "count_reaching" else f"hold[{index}]"
            with w.block(f"if {gate}:"), w.block(f"if {self.predicate(node.get('where'))}:"):
                if node["agg"] == "sum":
                    amount = self.number(node["field"])
                    with w.block(f"if not np.isnan({amount}):"):
                        self.fact(probe, amount)
                else:
                    self.fact(probe, "1.0")
        for probe, node in rates:
            q = self.rate_slot[probe]
            by = self.layout.probe_by[probe]
            if self.stage_index[node["from"]] == index:
                with w.block(f"if rs[{q}] == NONE:"):
                    w(f"rs[{q}] = t")
                    if by:
                        code, number = self.value(by)
                        w(f"rgc[{q}] = {code}")
                        w(f"rgf[{q}] = {number}")
            if self.stage_index[node["to"]] == index:
                with w.block(f"if rs[{q}] != NONE and rd[{q}] == NONE:"):
                    w(f"rd[{q}] = t")
        if stage["handoff"]:
            with w.block(f"if hold[{index}]:"):
                self.handoff(stage)

    def handoff(self, stage: Mapping[str, Any]) -> None:
        w = self.w
        handoff = stage["handoff"]
        w("missing = 0")
        for bit, name in enumerate(handoff["require_fields"]):
            with w.block(f"if {self.absent(name)}:"):
                w(f"missing |= {1 << bit}")
        w("failed = 0")
        for bit, check in enumerate(handoff["require_predicates"]):
            with w.block(f"if not {self.predicate(check['expr'])}:"):
                w(f"failed |= {1 << bit}")
        with w.block("if missing or failed:"):
            w("ho_out[n_ho, 0] = lead")
            w(f"ho_out[n_ho, 1] = {stage['index']}")
            w("ho_out[n_ho, 2] = t")
            w("ho_out[n_ho, 3] = missing")
            w("ho_out[n_ho, 4] = failed")
            w("n_ho += 1")

    def start_clocks(self) -> None:
        """Step 6: clocks open for this event's start triggers and the stages entered in
        step 5, inside `effective`, unless one is already running for the SLA."""
        w, plan = self.w, self.plan
        if not plan["slas"]:
            return
        zone = ZoneInfo(plan["policy"]["timezone"])
        effective = plan["policy"].get("effective")
        since = day_start(effective and effective["from"], zone, 0)
        until = day_start(effective and effective["until"], zone, 1)
        gates = [] if since is None else [f"(t >= {since})"]
        gates += [] if until is None else [f"(t < {until})"]
        with w.block(f"if {_all(gates)}:"):
            for i, sla in enumerate(plan["slas"]):
                opens = self.opens(sla)
                if opens == "False":
                    continue
                with w.block(f"if run[{i}] < 0 and {opens}:"):
                    self.open_clock(i, sla)

    def opens(self, sla: Mapping[str, Any]) -> str:
        entering = [self.stage_index[s["entering"]] for s in sla["start"] if "entering" in s]
        parts = [f"hold[{s}]" for s in entering]
        by_event: dict[str, list[Mapping[str, Any]]] = {}
        for start in sla["start"]:
            for event in start.get("on", ()):
                by_event.setdefault(event, []).append(start)
        if by_event:
            out = self.w.fresh("o")
            self.w(f"{out} = False")

            def starts(triggers: list[Mapping[str, Any]]) -> None:
                self.w(f"{out} = {_any([self.predicate(s.get('where')) for s in triggers])}")

            self.switch(by_event, starts)
            parts.append(out)
        return _any(parts)

    def open_clock(self, i: int, sla: Mapping[str, Any]) -> None:
        w = self.w
        w(f"cyc[{i}] += 1")
        w("goal = -1")
        for g, goal in reversed(list(enumerate(sla["goals"]))):
            with w.block(f"if {self.predicate(goal['when'])}:"):
                w(f"goal = {g}")
        w(f"run[{i}] = n_ck")
        w("ck_i[n_ck, 0] = lead")
        w(f"ck_i[n_ck, 1] = {i}")
        w(f"ck_i[n_ck, 2] = cyc[{i}]")
        w("ck_i[n_ck, 3] = goal")
        w("ck_i[n_ck, 4] = t")
        w("ck_i[n_ck, 5] = NONE")
        w("ck_i[n_ck, 6] = NONE")
        for j, name in enumerate(self.layout.sla_groups[i]):
            code, number = self.value(name)
            w(f"ck_gi[n_ck, {j}] = {code}")
            w(f"ck_gf[n_ck, {j}] = {number}")
        w("n_ck += 1")

    def finish_rates(self) -> None:
        w = self.w
        for q, (probe, _) in enumerate(self.rates):
            with w.block(f"if rs[{q}] != NONE:"):
                w("ra_i[n_ra, 0] = lead")
                w(f"ra_i[n_ra, 1] = {probe}")
                w(f"ra_i[n_ra, 2] = rs[{q}]")
                w(f"ra_i[n_ra, 3] = rd[{q}]")
                w(f"ra_i[n_ra, 4] = rgc[{q}]")
                w(f"ra_f[n_ra] = rgf[{q}]")
                w("n_ra += 1")


_WHOLE = float(2**52)
"""From here on every float is a whole number, and so is its shortest decimal text."""
_SCALED = float(2**52 // 10 - 1)
"""`|x| * 10**digits` below this (with room for that product's rounding): x's float spacing
is under a tenth of the last digit kept."""
ROUNDING = "round_"
"""The prefix of the kernel's module functions for `round(x, digits)`, one per digits."""


def rounding_source(digits: int) -> str:
    """The kernel module's function `round_<digits>(x)`: `round(x, digits)` as the
    reference computes it (`slalang.functions.round_text`: half away from zero on the
    shortest decimal text of x, `repr`), in arithmetic numba compiles.

    With s = 10**digits and a = |x|, the answer is k / s for k the number of midpoints
    (2j + 1) / 2s (j >= 0) at or below the decimal text D of a. While a * s * 10 < 2**52,
    the interval of decimals that read back as a is narrower than a tenth of 1/s, so it
    holds at most one such midpoint, and D is at or above a midpoint exactly when a is at
    or above the float nearest it (a tie reads back as a itself, and D is then that very
    midpoint: half away from zero). Each float midpoint is one correctly rounded division
    of exact integers, and k / s another, so the answer is the reference's to the bit.
    From 2**52 on, a float and its decimal text are whole: round changes nothing. In
    between (say round(x, 15) with |x| >= 0.45, a handful of digits left) the kernel asks
    the reference itself (numba's object mode)."""
    if not 0 <= digits <= 22:  # 10**digits exact in float64
        raise Unsupported(f"round to {digits} decimals")
    scale = float(10**digits)
    return f"""\
def {ROUNDING}{digits}(x):
    if not np.isfinite(x):
        return x
    a = abs(x)
    if a >= {_WHOLE!r}:
        return x
    if a * {scale!r} < {_SCALED!r}:
        k = max(math.floor(a * {scale!r}) - 1, 0)
        while a >= (2 * k + 1) / {2 * scale!r}:
            k += 1
        return math.copysign(k / {scale!r}, x)
    with numba.objmode(out="float64"):
        out = round_text(float(x), {digits})
    return out
"""


def _fields_block(layout: Layout, depth: int) -> Iterator[str]:
    """Step 1: a value the event sets overwrites; an unset cell changes nothing."""
    pad = "    " * depth
    yield f"{pad}changed = False"
    for i in range(len(layout.numbers)):
        yield f"{pad}x = col{i}[i]"
        yield f"{pad}if not np.isnan(x):"
        yield f"{pad}    fv[{i}] = x"
        yield f"{pad}    changed = True"
    for i in range(len(layout.codes)):
        yield f"{pad}y = cod{i}[i]"
        yield f"{pad}if y >= 0:"
        yield f"{pad}    fc[{i}] = y"
        yield f"{pad}    changed = True"


def generate(plan: Mapping[str, Any]) -> Source:
    """The kernel source of `plan`; raises Unsupported for what it cannot express."""
    source = Generator(plan).generate()
    lines: list[str] = []
    for line in source.text.split("\n"):
        if line.strip() == "#FIELDS#":
            depth = (len(line) - len(line.lstrip())) // 4
            lines.extend(_fields_block(source.layout, depth))
        else:
            lines.append(line)
    return Source("\n".join(lines), source.layout)
