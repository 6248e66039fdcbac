"""Data in, the stage before replay: event logs, mapping files and metrics, read and counted.

`read_events` turns CSV or JSON Lines exports into per-lead timelines (RUNNER §1, §5),
`load_mapping` reads the YAML that adapts an export's columns, and `read_metrics` the
per-period figures targets divide by. The formats, mapping keys and rejection reasons are
documented in docs/data.md.
"""

from slalang.data.events import read_events
from slalang.data.log import (
    BAD_VALUES,
    REASONS,
    BadValue,
    Event,
    EventLog,
    InputStats,
    Rejection,
    input_warnings,
    strict_problem,
)
from slalang.data.mapping import Mapping, load_mapping, parse_mapping
from slalang.data.metrics import read_metrics
from slalang.data.values import FieldSpec, FieldValue

__all__ = [
    "BAD_VALUES",
    "REASONS",
    "BadValue",
    "Event",
    "EventLog",
    "FieldSpec",
    "FieldValue",
    "InputStats",
    "Mapping",
    "Rejection",
    "input_warnings",
    "load_mapping",
    "parse_mapping",
    "read_events",
    "read_metrics",
    "strict_problem",
]
