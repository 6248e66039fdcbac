"""Report rendering, HTML charts: what each chart of the HTML report shows, as Vega-Lite
specifications (plain data: the chart library draws, nothing here computes a pixel).

Each builder takes figures already reduced (a few rows per period, per bin or per group),
so a chart's data stays small whatever the number of leads; `html.py` compiles the specs
to Vega and the page draws them with the Vega runtime it inlines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Spec = dict[str, Any]

MET, MISSED, NEUTRAL, PENDING = "#2e7d32", "#c62828", "#4e79a7", "#f9a825"
STATUS_COLORS = {
    "met": MET,
    "late": MISSED,
    "missed": MISSED,
    "in_progress": PENDING,
    "partial": "#9e9e9e",
    "immature": "#bdbdbd",
    "no_data": "#eeeeee",
}
WIDTH = 400
SHARE_AXIS = {
    "field": "share",
    "type": "quantitative",
    "title": "compliance",
    "axis": {"format": "%"},
    "scale": {"domain": [0, 1]},
}
"""The y axis of a compliance chart: 0 to 100%."""
HEIGHT = 180

_DASH = "\N{EN DASH}"
RESPONSE_BINS: tuple[tuple[int, str], ...] = (
    (15 * 60, "< 15m"),
    (30 * 60, f"15{_DASH}30m"),
    (3600, f"30m{_DASH}1h"),
    (2 * 3600, f"1{_DASH}2h"),
    (4 * 3600, f"2{_DASH}4h"),
    (8 * 3600, f"4{_DASH}8h"),
    (86400, f"8h{_DASH}1d"),
    (2 * 86400, f"1{_DASH}2d"),
    (3 * 86400, f"2{_DASH}3d"),
    (5 * 86400, f"3{_DASH}5d"),
    (10 * 86400, f"5{_DASH}10d"),
)
LAST_BIN = "\N{GREATER-THAN OR EQUAL TO} 10d"
"""Response-time bins, on the goal's own clock (business time for business goals): fixed,
roughly doubling edges, so charts of different SLAs and runs compare at a glance."""


def _base(title: str, values: Sequence[Mapping[str, Any]]) -> Spec:
    return {
        "title": {"text": title, "anchor": "start", "fontSize": 13},
        "data": {"values": list(values)},
        "width": WIDTH,
        "height": HEIGHT,
        "config": {"view": {"stroke": None}, "axis": {"labelFontSize": 11}},
    }


def _status_scale(statuses: Sequence[str]) -> dict[str, Any]:
    domain = [s for s in STATUS_COLORS if s in statuses]
    return {"domain": domain, "range": [STATUS_COLORS[s] for s in domain]}


def compliance(sla: str, rows: Sequence[Mapping[str, Any]], goal: tuple[str, float] | None) -> Spec:
    """Compliance per period as bars, the compliance target's goal as a dashed rule.

    `rows`: period, share (0 to 1), met, decided, label (the share as text)."""
    bars: Spec = {
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {
                "field": "period",
                "type": "ordinal",
                "sort": None,
                "title": None,
                "axis": {"labelAngle": 0},
            },
            "y": SHARE_AXIS,
            "color": {
                "field": "status",
                "type": "nominal",
                "legend": None,
                "scale": {"domain": ["met", "missed", "no_goal"], "range": [MET, MISSED, NEUTRAL]},
            },
            "tooltip": [
                {"field": "period", "title": "period"},
                {"field": "label", "title": "compliance"},
                {"field": "met", "title": "met", "format": ","},
                {"field": "decided", "title": "decided", "format": ","},
            ],
        },
    }
    labels: Spec = {
        "mark": {"type": "text", "dy": -6, "fontSize": 10},
        "encoding": {
            "x": {"field": "period", "type": "ordinal", "sort": None},
            "y": {"field": "share", "type": "quantitative"},
            "text": {"field": "label"},
        },
    }
    layers = [bars, labels]
    title = f"{sla}: compliance per month"
    if goal is not None:
        op, value = goal
        title += f" (goal {op} {value:.0%})"
        layers.append(
            {
                "data": {"values": [{"goal": value}]},
                "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#333"},
                "encoding": {"y": {"field": "goal", "type": "quantitative"}},
            }
        )
    statuses = [
        "no_goal" if goal is None else ("met" if _meets(row["share"], goal) else "missed")
        for row in rows
    ]
    values = [dict(row) | {"status": status} for row, status in zip(rows, statuses, strict=True)]
    return _base(title, values) | {"layer": layers}


def _meets(value: float, goal: tuple[str, float]) -> bool:
    op, target = goal
    return {
        ">=": value >= target,
        ">": value > target,
        "<=": value <= target,
        "<": value < target,
        "=": value == target,
    }.get(op, value >= target)


def response_times(sla: str, rows: Sequence[Mapping[str, Any]]) -> Spec:
    """How long responses took, as a histogram of fixed bins, met and late stacked.

    `rows`: bin (label), order, status (met | late), count."""
    spec = _base(f"{sla}: response time (on the goal's clock)", rows)
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "x": {
            "field": "bin",
            "type": "ordinal",
            "sort": {"field": "order", "op": "min"},
            "title": None,
            "axis": {"labelAngle": 0},
        },
        "y": {"field": "count", "type": "quantitative", "title": "clocks stopped", "stack": True},
        "color": {
            "field": "status",
            "type": "nominal",
            "scale": _status_scale(["met", "late"]),
            "legend": {"orient": "top", "title": None},
        },
        "tooltip": [
            {"field": "bin", "title": "response time"},
            {"field": "status"},
            {"field": "count", "format": ","},
        ],
    }
    return spec


def target(name: str, rows: Sequence[Mapping[str, Any]], share: bool) -> Spec:
    """One ungrouped target: value per period as bars coloured by status, the goal as a
    line of ticks (a goal may change between periods).

    `rows`: period, value, goal, status, value_text, goal_text."""
    axis = {"format": "%"} if share else {"format": "~s"}
    x = {
        "field": "period",
        "type": "ordinal",
        "sort": None,
        "title": None,
        "axis": {"labelAngle": 0},
    }
    tooltip = [
        {"field": "period"},
        {"field": "value_text", "title": "value"},
        {"field": "goal_text", "title": "goal"},
        {"field": "status"},
    ]
    spec = _base(f"{name}: value per period against the goal", rows)
    spec["height"] = HEIGHT - 40
    goals = [
        {
            "mark": {"type": "tick", "color": "#333", "thickness": 2},
            "encoding": {"x": x, "y": {"field": "goal", "type": "quantitative"}},
        }
    ]
    spec["layer"] = [
        {
            "mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "x": x,
                "y": {"field": "value", "type": "quantitative", "title": None, "axis": axis},
                "color": {
                    "field": "status",
                    "type": "nominal",
                    "scale": _status_scale([str(r["status"]) for r in rows]),
                    "legend": {"orient": "right", "title": None},
                },
                "tooltip": tooltip,
            },
        },
        *(goals if any(r["goal"] is not None for r in rows) else []),
    ]
    return spec


def funnel(rows: Sequence[Mapping[str, Any]]) -> Spec:
    """The stage-count targets read as a funnel: per period, one bar per stage in funnel
    order (widest first), the goal as a tick. The scale is logarithmic near zero (symlog)
    so that 5 SQLs stay visible beside 375 leads.

    `rows`: period, stage, order, value, goal, status, value_text, goal_text."""
    stage: Spec = {"field": "stage", "type": "ordinal", "sort": {"field": "order", "op": "min"}}
    layer: Spec = {
        "layer": [
            {
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "y": stage | {"title": None},
                    "x": {
                        "field": "value",
                        "type": "quantitative",
                        "title": None,
                        "scale": {"type": "symlog"},
                    },
                    "color": {
                        "field": "status",
                        "type": "nominal",
                        "scale": _status_scale([str(r["status"]) for r in rows]),
                        "legend": {"orient": "top", "title": None},
                    },
                    "tooltip": [
                        {"field": "period"},
                        {"field": "stage"},
                        {"field": "value_text", "title": "entered"},
                        {"field": "goal_text", "title": "goal"},
                        {"field": "status"},
                    ],
                },
            },
            {
                "mark": {"type": "tick", "color": "#333", "thickness": 2},
                "encoding": {
                    "y": stage,
                    "x": {"field": "goal", "type": "quantitative"},
                },
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 10},
                "encoding": {
                    "y": stage,
                    "x": {"field": "value", "type": "quantitative"},
                    "text": {"field": "value_text"},
                },
            },
        ],
        "width": 220,
        "height": {"step": 18},
    }
    return {
        "title": {
            "text": "Funnel: stage entries per period against their targets",
            "anchor": "start",
        },
        "data": {"values": list(rows)},
        "facet": {"field": "period", "type": "ordinal", "title": None, "sort": None},
        "columns": 3,
        "spec": layer,
        "config": {"view": {"stroke": None}},
    }


def _grid(
    title: str,
    rows: Sequence[Mapping[str, Any]],
    row_title: str,
    color: Mapping[str, Any],
    text: Mapping[str, Any],
    tooltip: Sequence[Mapping[str, Any]],
) -> Spec:
    """Cells per (row, period), coloured by `color`, with `text` written in: rows sorted
    by name, periods in the data's order along the top."""
    names = sorted({str(r["row"]) for r in rows})
    spec = _base(title, rows)
    spec["height"] = {"step": 20}
    spec["width"] = {"step": 64}
    x: Spec = {"field": "period", "type": "ordinal", "sort": None, "title": None}
    x["axis"] = {"orient": "top"}
    y = {"field": "row", "type": "nominal", "sort": names, "title": row_title}
    spec["layer"] = [
        {
            "mark": {"type": "rect", "tooltip": True},
            "encoding": {"x": x, "y": y, "color": dict(color), "tooltip": list(tooltip)},
        },
        {"mark": {"type": "text", "fontSize": 10}, "encoding": {"x": x, "y": y, "text": text}},
    ]
    return spec


def heatmap(title: str, rows: Sequence[Mapping[str, Any]], row_title: str) -> Spec:
    """Counts per (row, period) as coloured cells with the count written in.

    `rows`: row, period, count."""
    count = {"field": "count", "format": ","}
    color = {
        "field": "count",
        "type": "quantitative",
        "scale": {"scheme": "orangered"},
        "legend": None,
    }
    tooltip = [{"field": "row", "title": row_title}, {"field": "period"}, count]
    return _grid(title, rows, row_title, color, count, tooltip)


def target_groups(name: str, rows: Sequence[Mapping[str, Any]], by: str) -> Spec:
    """A grouped target (`monthly by rep`) as a heatmap: one row per group, one column per
    period, the cell coloured by status with the value written in.

    `rows`: row (the group), period, status, value_text, goal_text."""
    color = {
        "field": "status",
        "type": "nominal",
        "scale": _status_scale([str(r["status"]) for r in rows]),
        "legend": {"orient": "right", "title": None},
    }
    tooltip = [
        {"field": "row", "title": by},
        {"field": "period"},
        {"field": "value_text", "title": "value"},
        {"field": "goal_text", "title": "goal"},
        {"field": "status"},
    ]
    title = f"{name}: per {by} and period"
    return _grid(title, rows, by, color, {"field": "value_text"}, tooltip)


def compliance_change(rows: Sequence[Mapping[str, Any]]) -> Spec:
    """Each SLA's compliance before and after a policy change, side by side.

    `rows`: sla, side (before | after), share, label."""
    spec = _base("Compliance before and after", rows)
    spec["height"] = HEIGHT - 40
    x: Spec = {"field": "sla", "type": "nominal", "title": None, "axis": {"labelAngle": 0}}
    side: Spec = {"field": "side", "type": "nominal", "sort": ["before", "after"]}
    spec["encoding"] = {"x": x, "xOffset": side}
    spec["layer"] = [
        {
            "mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "y": SHARE_AXIS,
                "color": side
                | {
                    "scale": {"domain": ["before", "after"], "range": ["#9e9e9e", NEUTRAL]},
                    "legend": {"orient": "top", "title": None},
                },
                "tooltip": [
                    {"field": "sla"},
                    {"field": "side"},
                    {"field": "label", "title": "compliance"},
                ],
            },
        },
        {
            "mark": {"type": "text", "dy": -6, "fontSize": 10},
            "encoding": {
                "y": {"field": "share", "type": "quantitative"},
                "text": {"field": "label"},
            },
        },
    ]
    return spec


def violation_changes(rows: Sequence[Mapping[str, Any]]) -> Spec:
    """Violations a policy change adds and removes, per rule.

    `rows`: rule, change (added | removed), count."""
    spec = _base("Violations added and removed, per rule", rows)
    spec["height"] = HEIGHT - 40
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "x": {"field": "rule", "type": "nominal", "title": None, "axis": {"labelAngle": 0}},
        "xOffset": {"field": "change", "type": "nominal", "sort": ["added", "removed"]},
        "y": {"field": "count", "type": "quantitative", "title": "violations"},
        "color": {
            "field": "change",
            "type": "nominal",
            "scale": {"domain": ["added", "removed"], "range": [MISSED, MET]},
            "legend": {"orient": "top", "title": None},
        },
        "tooltip": [{"field": "rule"}, {"field": "change"}, {"field": "count", "format": ","}],
    }
    return spec
