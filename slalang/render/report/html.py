"""Report rendering: `html`, one self-contained page for the monthly SLA review.

Everything the page needs is inside it — the Vega charting runtime (from the
`vl-convert-python` wheel), the chart specifications, the styles, the script that sorts
and filters the violations table — so it opens offline, from a CI artifact or a mail
attachment, and no request leaves it. Layout is a Jinja2 template with autoescaping, so no
text from the data can open a tag; charts are Vega-Lite specifications (`charts.py`)
drawn by Vega-Embed in the page. Figures are reduced before they reach the page (per period, per
bin, per owner), and only the worst `TABLE_ROWS` violations and `TIMELINES` lead stories
are embedded, each with a note of what was left out: 200,000 leads make a page of a few
megabytes, not a copy of the data.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from multiprocessing.connection import Connection
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

import slalang.render.report.charts as charts
import slalang.render.report.summary as s
from slalang import numbers as n
from slalang.caches import cache_root, keep
from slalang.diagnostics import SlalangError
from slalang.evaluate.periods import Periods
from slalang.evaluate.report import SEVERITY_RANK
from slalang.memory import FORK
from slalang.render.report.options import Options

TABLE_ROWS = 2000
"""Violations listed in the page's table, the worst first; the rest are counted."""
TIMELINES = 200
"""Leads whose timeline (as `slalang explain` tells it) is embedded, worst first."""
INPUT_WORDS = {
    "rows": "rows read",
    "events": "events used",
    "leads": "leads",
    "rejected": "rows rejected",
    "bad_values": "bad values",
    "duplicates": "duplicates dropped",
    "unknown_events": "events of undeclared types",
    "after_as_of": "events after as-of ignored",
    "expanded": "rows expanded",
    "timezone_assumed": "time zone assumed for times without one",
}


def _vega() -> Any:
    try:
        import vl_convert
    except ImportError:
        raise SlalangError(
            "--format html needs the charting library: pip install 'slalang[html]'"
        ) from None
    return vl_convert


@functools.cache
def vega_runtime() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script (`window.vegaEmbed`), bundled by
    vl-convert from the versions its wheel ships: the same bytes for the same install.

    Bundling takes about half a second (1.6 s on a busy machine), which every page paid,
    a small report's most of all; the bundle is kept in slalang's cache, named by the
    vl-convert version that made it, and read from there afterwards."""
    vl = _vega()
    path = cache_root() / "vega" / f"vl-convert-{version('vl-convert-python')}.js"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return path.read_text(encoding="utf-8")
    bundle = str(vl.javascript_bundle())
    keep(path, bundle)
    return bundle


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("slalang.render.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_page(template: str, context: Mapping[str, Any]) -> str:
    """A page from a template, with the runtime and the chart specs filled in."""
    return _environment().get_template(template).render(**context, vega_runtime=vega_runtime())


def render(report: s.Report, options: Options) -> str:
    return render_page("report.html.j2", page(report, options))


def timeline_leads(report: s.Report, limit: int = TIMELINES) -> list[str]:
    """The leads whose timelines the page embeds: those of the worst violations, in the
    table's order, each once."""
    leads: dict[str, None] = {}
    for violation in s.worst(report["violations"], TABLE_ROWS):
        lead = violation["lead_id"]
        if lead is not None and lead not in leads:
            leads[lead] = None
            if len(leads) == limit:
                break
    return list(leads)


class _Charts:
    """The page's charts: Vega specs by element id, in page order."""

    def __init__(self) -> None:
        self.specs: dict[str, dict[str, Any]] = {}

    def add(self, spec: Mapping[str, Any]) -> str:
        key = f"chart-{len(self.specs) + 1}"
        self.specs[key] = dict(spec)
        return key


def page(report: s.Report, options: Options) -> dict[str, Any]:
    """Everything the template shows, as text already written the way people read it."""
    zone = report["policy"]["timezone"]
    figures = _Charts()
    # in the page's order: the charts are numbered as they are added
    slas = _slas(report, options, figures)
    targets = _targets(report, options, figures)
    owners, totals = _owners(report, figures)
    present = [severity for t in totals for severity, count in t.severities.items() if count]
    tone = (
        "ok" if not present else ("error" if s.highest_severity(present) == "error" else "warning")
    )
    return {
        "title": s.policy_title(report),
        "policy": report["policy"],
        "digest": report["policy"]["digest"],
        "as_of": report["as_of"],
        "as_of_local": n.local_time(report["as_of"], zone),
        "zone": zone,
        "verdict": s.verdict(report),
        "tone": tone,
        "input": _input(report["input"]),
        "slas": slas,
        "targets": targets,
        "owners": owners,
        "violations": _violations(report, options),
        "charts_json": figures.specs,
    }


def _input(inp: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The input accounting as lines: each counter, with its breakdown when it has one
    (nested ones too: bad values per field and reason), and the example rows a reader
    kept. Counters this version does not know are shown too, under their own names."""
    lines = []
    for key, value in inp.items():
        label = INPUT_WORDS.get(key, key.replace("_", " "))
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            lines.append({"label": label, "count": n.count(value), "parts": []})
        elif isinstance(value, str):
            lines.append({"label": label, "count": "", "parts": [s.printable(value)]})
        elif isinstance(value, Mapping):
            parts = _breakdown(value)
            lines.append({"label": label, "count": n.count(_total(value)), "parts": parts})
        elif isinstance(value, list) and value:
            parts = [_example(e) for e in value if isinstance(e, Mapping)]
            lines.append(
                {"label": label.replace("examples", "examples:"), "count": "", "parts": parts}
            )
    return lines


def _total(counts: Mapping[str, Any] | int) -> int:
    if isinstance(counts, int):
        return counts
    return sum(_total(v) for v in counts.values())


def _breakdown(counts: Mapping[str, Any], prefix: str = "") -> list[str]:
    """`bad_timestamp 2`, or `company_size: not a number 2` one level down; largest first."""
    ranked = sorted(counts.items(), key=lambda item: (-_total(item[1]), str(item[0])))
    parts = []
    for key, value in ranked:
        name = f"{prefix}{s.printable(str(key))}"
        if isinstance(value, Mapping):
            parts += _breakdown(value, f"{name}: ")
        else:
            parts.append(f"{name} {n.count(value)}")
    return parts


def _example(example: Mapping[str, Any]) -> str:
    """`events.csv:14: bad_timestamp: 'yesterday'`: where, then what."""
    where = f"{example.get('file', '')}:{example.get('line', '')}"
    rest = [str(v) for k, v in example.items() if k not in ("file", "line") and v not in (None, "")]
    return s.printable(": ".join([where, *rest]))


def _response_bins(clocks: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per SLA, its met and late clocks counted by response time bin, in one pass over the
    clocks (half a million on 10M events, parsed anew on each pass of a streamed report)."""
    counts: dict[str, Counter[tuple[int, str]]] = {}
    for clock in clocks:
        if clock["status"] not in ("met", "late"):
            continue
        elapsed = clock["elapsed_seconds"]
        order = next(
            (i for i, (edge, _) in enumerate(charts.RESPONSE_BINS) if elapsed < edge),
            len(charts.RESPONSE_BINS),
        )
        counts.setdefault(clock["sla"], Counter())[order, clock["status"]] += 1
    labels = [label for _, label in charts.RESPONSE_BINS] + [charts.LAST_BIN]
    return {
        sla: [
            {"bin": labels[order], "order": order, "status": status, "count": count}
            for (order, status), count in sorted(by.items())
        ]
        for sla, by in counts.items()
    }


def _slas(report: s.Report, options: Options, figures: _Charts) -> list[dict[str, Any]]:
    by_period = s.compliance_by_period(report)
    goals = s.compliance_goals(options.plan)
    bins_by_sla = _response_bins(report["clocks"])
    out = []
    for row in report["slas"]:
        name = row["sla"]
        if options.hide_empty and not row["cycles"]:
            continue
        periods = [
            {
                "period": p.period,
                "share": p.share,
                "met": p.met,
                "decided": p.decided,
                "label": n.percent(p.share),
            }
            for p in by_period.get(name, [])
        ]
        bins = bins_by_sla.get(name, [])
        out.append(
            {
                "name": name,
                "cycles": n.count(row["cycles"]),
                "counts": [(s.SLA_HEADINGS[c], n.count(row[c])) for c in s.SLA_COUNTS],
                "compliance": n.percent(row["compliance"]),
                "p50": n.short_duration(row["elapsed_p50_seconds"]),
                "p90": n.short_duration(row["elapsed_p90_seconds"]),
                "compliance_chart": figures.add(charts.compliance(name, periods, goals.get(name)))
                if periods
                else None,
                "response_chart": figures.add(charts.response_times(name, bins)) if bins else None,
            }
        )
    return out


def _funnel_stages(plan: Mapping[str, Any] | None) -> dict[str, tuple[int, str]]:
    """Targets that count entries into one stage (`count(entering mql) >= …`), ungrouped:
    target name → (the stage's place in the lifecycle, the stage)."""
    if plan is None:
        return {}
    order = {stage["name"]: index for index, stage in enumerate(plan["stages"])}
    found = {}
    for target in plan["targets"]:
        left = target["goal"].get("left") or {}
        if (
            left.get("agg") == "count_entering"
            and left.get("where") is None
            and target["by"] is None
        ):
            stage = left["stage"]
            found[target["name"]] = (order.get(stage, len(order)), stage)
    return found


def _targets(report: s.Report, options: Options, figures: _Charts) -> dict[str, Any]:
    rows = s.shown_targets(report, options.hide_empty)
    hidden = len(report["targets"]) - len(rows)
    by_target: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_target.setdefault(row["target"], []).append(row)
    funnel_of = _funnel_stages(options.plan)
    by_of = {t["name"]: t["by"] for t in (options.plan or {}).get("targets", ())}
    sections = []
    funnel_rows = []
    for name, target_rows in by_target.items():
        cells = [s.target_cells(r) for r in target_rows]
        table = [
            {
                "period": r["period"],
                "group": s.printable(r["group"]) if r["group"] is not None else "",
                "value": c.value,
                "goal": c.goal,
                "status": s.status_word(r["status"]),
                "status_key": r["status"],
                "pace": c.pace,
            }
            for r, c in zip(target_rows, cells, strict=True)
        ]
        points = [
            {
                "period": r["period"],
                "row": s.printable(r["group"]) if r["group"] is not None else "",
                "value": r["value"],
                "goal": r["goal"],
                "status": r["status"],
                "value_text": c.value,
                "goal_text": c.goal,
            }
            for r, c in zip(target_rows, cells, strict=True)
        ]
        grouped = any(r["group"] is not None for r in target_rows)
        chart: str | None = None
        if all(r["value"] is None for r in target_rows):
            pass  # nothing measured yet: the figures say so, a chart would be empty
        elif grouped:
            chart = figures.add(charts.target_groups(name, points, by_of.get(name) or "group"))
        else:
            share = any(s.is_share(r) for r in target_rows)
            chart = figures.add(charts.target(name, points, share))
        if name in funnel_of:
            order, stage = funnel_of[name]
            funnel_rows += [p | {"stage": stage, "order": order} for p in points]
        sections.append(
            {
                "name": name,
                "owner": target_rows[0]["owner"] or n.ABSENT,
                "chart": chart,
                "rows": table,
                "grouped": grouped,
            }
        )
    funnel = (
        figures.add(charts.funnel(funnel_rows))
        if len({r["stage"] for r in funnel_rows}) > 1
        else None
    )
    return {
        "sections": sections,
        "funnel": funnel,
        "hidden": n.plural(hidden, "target period") if hidden else "",
    }


def _month(violation: Mapping[str, Any], periods: Periods) -> str:
    """The month a violation fell due in the agreement's zone (a target's last instant,
    so a missed February is February)."""
    at = datetime.fromisoformat(violation["at"]).astimezone(UTC)
    if violation["kind"] == "target_missed":
        at -= timedelta(seconds=1)
    return periods.of(int(at.timestamp())).key


def _owners(report: s.Report, figures: _Charts) -> tuple[dict[str, Any], list[s.OwnerTotals]]:
    """The owners' section, and their totals (which the page's tone is taken from): one
    pass over the violations, which a streamed report parses anew on each."""
    periods = Periods("monthly", ZoneInfo(report["policy"]["timezone"]))
    per_owner: Counter[tuple[str, str]] = Counter()
    per_group: Counter[tuple[str, str]] = Counter()
    months: dict[str, None] = {}

    def counted() -> Iterator[Mapping[str, Any]]:
        for violation in report["violations"]:
            month = _month(violation, periods)
            months[month] = None
            per_owner[violation["owner"] or s.NO_OWNER, month] += 1
            if violation["group"] is not None:
                per_group[s.printable(violation["group"]), month] += 1
            yield violation

    totals = s.owner_totals(counted())
    order = sorted(months)

    def cells(counts: Counter[tuple[str, str]]) -> list[dict[str, Any]]:
        return [
            {"row": row, "period": month, "count": count}
            for (row, month), count in sorted(
                counts.items(), key=lambda item: (order.index(item[0][1]), item[0][0])
            )
        ]

    section = {
        "table": [
            {
                "owner": t.owner,
                "total": n.count(t.total),
                "kinds": [n.count(t.kinds[k]) for k in s.KINDS],
                "severities": [n.count(t.severities[v]) for v in s.SEVERITIES],
            }
            for t in totals
        ],
        "owner_chart": figures.add(
            charts.heatmap("Violations per owner and month", cells(per_owner), "owner")
        )
        if per_owner
        else None,
        "group_chart": figures.add(
            charts.heatmap("Missed targets per group and month", cells(per_group), "group")
        )
        if per_group
        else None,
    }
    return section, totals


def _row(
    violation: Mapping[str, Any], zone: str, timelines: Mapping[str, int], change: str = ""
) -> dict[str, Any]:
    """One violation as the table shows it; `change` is `added`/`removed` in a diff."""
    kind, lead = violation["kind"], violation["lead_id"]
    late = violation["details"].get("late_by_seconds") if kind == "sla_breach" else None
    severity = violation["severity"]
    return {
        "change": change,
        "kind": s.KIND_WORDS[kind][0] if kind in s.KIND_WORDS else kind,
        "rule": violation["rule"],
        "owner": violation["owner"] or n.ABSENT,
        "severity": severity,
        "severity_rank": SEVERITY_RANK.get(severity, -1),
        "where": s.where(violation),
        "deadline": s.deadline(violation)
        if kind == "target_missed"
        else n.local_time(violation["at"], zone),
        "deadline_sort": violation["at"],
        "late": n.short_duration(late) if late is not None else "",
        "late_sort": late if late is not None else -1,
        "message": s.printable(violation["message"]),
        "timeline": timelines.get(lead) if lead is not None else None,
    }


def _violations(report: s.Report, options: Options) -> dict[str, Any]:
    violations = report["violations"]
    zone = report["policy"]["timezone"]
    with_lead: set[str] = set()

    def noted() -> Iterator[Mapping[str, Any]]:  # the leads, in the pass `worst` makes
        for violation in violations:
            if violation["lead_id"] is not None:
                with_lead.add(violation["lead_id"])
            yield violation

    shown = s.worst(noted(), TABLE_ROWS)
    timeline_ids = {lead: index for index, lead in enumerate(options.timelines)}
    rows = [_row(violation, zone, timeline_ids) for violation in shown]
    left_out = len(violations) - len(shown)
    return {
        "rows": rows,
        "total": n.count(len(violations)),
        "left_out": n.plural(left_out, "violation") if left_out else "",
        "timelines": [
            (index, s.printable(lead), text)
            for lead, index in timeline_ids.items()
            for text in [options.timelines[lead]]
        ],
        "timelines_left_out": n.plural(len(with_lead) - len(timeline_ids), "lead")
        if len(with_lead) > len(timeline_ids)
        else "",
        **_filters(rows),
    }


def _filters(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The choices of the table's selectors: (dataset key, label, values) each."""
    keys = [("change", "every change"), ("kind", "every kind"), ("rule", "every rule")]
    keys.append(("owner", "every owner"))
    return {
        "filters": [
            (key, label, sorted({str(r[key]) for r in rows}))
            for key, label in keys
            if any(r[key] for r in rows)
        ]
    }


def explain_leads(
    plan: Mapping[str, Any],
    events_of: Callable[[Collection[str]], Mapping[str, Sequence[Any]]],
    report: s.Report,
    sources: Mapping[str, str],
    limit: int = TIMELINES,
) -> Mapping[str, str]:
    """The timelines the page embeds: for the leads of the worst violations, each lead's
    story exactly as `slalang explain` prints it, judged at the report's as-of instant.
    `events_of` gives the events of the leads asked for, by lead id (an `EventLog.leads`
    holds them all; an engine that keeps none reads them again from its input). They are
    told while the page's other sections are built (`Told`)."""

    def told() -> dict[str, str]:
        from slalang.evaluate.explain import explain, render_explanation
        from slalang.evaluate.runtime import build_runtime

        wanted = timeline_leads(report, limit)
        if not wanted:
            return {}
        leads = events_of(wanted)
        runtime = build_runtime(plan)
        as_of = int(datetime.fromisoformat(report["as_of"]).timestamp())
        return {
            lead: render_explanation(
                explain(plan, lead, leads[lead], as_of, runtime), "text", sources
            )
            for lead in wanted
            if lead in leads
        }

    return Told(told)


class Told(Mapping[str, str]):
    """Timelines told in a process of their own, waited for when first read. The local
    engine keeps no events, so it reads the worst leads' events again from its input
    (about 3 s on 10M events): a forked process finds the worst leads, reads them and
    tells their stories while this one builds the page's charts and tables from the
    run's long lists (a thread gained little: both hold the interpreter much of the
    time). Where nothing may be forked (`memory.FORK`), they are told here when first
    read. An error in the child is raised where the timelines are read."""

    def __init__(self, tell: Callable[[], dict[str, str]]) -> None:
        self._tell = tell
        self._told: dict[str, str] | None = None
        self._answer: Connection | None = None
        if FORK:
            context = multiprocessing.get_context("fork")
            self._answer, send = context.Pipe(duplex=False)
            self._child = context.Process(target=_tell_into, args=(tell, send), daemon=True)
            self._child.start()
            send.close()

    def _result(self) -> dict[str, str]:
        if self._told is None:
            if self._answer is None:
                self._told = self._tell()
            else:
                try:
                    told, error = self._answer.recv()
                except EOFError:
                    raise SlalangError(
                        "the process reading the worst leads' timelines died"
                    ) from None
                finally:
                    self._answer.close()
                    self._child.join()
                if error is not None:
                    raise error
                self._told = told
        return self._told

    def __getitem__(self, lead: str) -> str:
        return self._result()[lead]

    def __iter__(self) -> Iterator[str]:
        return iter(self._result())

    def __len__(self) -> int:
        return len(self._result())


def _tell_into(tell: Callable[[], dict[str, str]], send: Connection) -> None:
    """In the forked child: the timelines, or the error telling them met, sent back."""
    try:
        send.send((tell(), None))
    except Exception as exc:  # the parent raises it where the timelines are read
        send.send(({}, exc))
    finally:
        send.close()


def render_diff(diff: Mapping[str, Any], note: str, limit: int = TABLE_ROWS) -> str:
    """`slalang diff --format html`: the change a policy edit makes, before → after, on
    one page: the summary, compliance per SLA before and after, violations added and
    removed per rule, the target rows that change, and the added and removed violations in
    the same sortable, filterable table as the report's. `note` says how the two policies
    differ (`slalang.diff.policy_note`)."""
    new, old = diff["policy"]["new"], diff["policy"]["old"]
    zone = new.get("timezone") or "UTC"
    figures = _Charts()
    compliance = [
        {
            "sla": row["sla"],
            "side": side,
            "share": values["compliance"],
            "label": n.percent(values["compliance"]),
        }
        for row in diff["slas"]
        for side, values in (("before", row["before"]), ("after", row["after"]))
        if values is not None and values["compliance"] is not None
    ]
    changes: Counter[tuple[str, str]] = Counter()
    rows = []
    for side in ("added", "removed"):
        for violation in diff["violations"][side][:limit]:
            rows.append(_row(violation, zone, {}, side))
        for violation in diff["violations"][side]:
            changes[violation["rule"], side] += 1
    per_rule = [{"rule": r, "change": c, "count": k} for (r, c), k in sorted(changes.items())]
    targets = []
    for row in diff["targets"]:
        before, after = row["before"] or {}, row["after"] or {}
        targets.append(
            {
                "target": row["target"],
                "period": row["period"],
                "group": s.printable(row["group"]) if row["group"] is not None else "",
                "before": _target_side(before),
                "after": _target_side(after),
                "status_changed": row["status_changed"],
            }
        )
    shown = len(rows)
    total = len(diff["violations"]["added"]) + len(diff["violations"]["removed"])
    context = {
        "title": str(new["name"]) + (f" {new['version']}" if new["version"] else ""),
        "summary": diff["summary"],
        "note": note,
        "old": old,
        "new": new,
        "as_of": diff["as_of"],
        "as_of_local": n.local_time(diff["as_of"], zone),
        "zone": zone,
        "tone": "warning" if diff["changed"] else "ok",
        "slas": diff["slas"],
        "sla_rows": [
            {
                "sla": row["sla"],
                "before": n.percent((row["before"] or {}).get("compliance")),
                "after": n.percent((row["after"] or {}).get("compliance")),
                "changed": row["changed"],
            }
            for row in diff["slas"]
        ],
        "compliance_chart": figures.add(charts.compliance_change(compliance))
        if compliance
        else None,
        "changes_chart": figures.add(charts.violation_changes(per_rule)) if per_rule else None,
        "targets": targets,
        "violations": {
            "rows": rows,
            "total": n.count(total),
            "left_out": n.plural(total - shown, "violation") if total > shown else "",
            "timelines": [],
            "timelines_left_out": "",
            **_filters(rows),
        },
        "charts_json": figures.specs,
    }
    return render_page("diff.html.j2", context)


def _target_side(values: Mapping[str, Any]) -> str:
    if not values:
        return n.ABSENT
    cells = s.target_cells({**values, "op": "", "pace": None})
    return f"{cells.value} ({s.status_word(values['status'])})"
