"""Data in, for targets: the metrics file of external per-period figures (RUNNER §1).

A CSV with the columns `metric,period,value`; a period is a month `2026-03`, a quarter
`2026-Q1`, an ISO week `2026-W10` or a year `2026`. The file is small and written by hand,
so any bad row stops the run with a one-line error naming the file and line; whether each
metric is declared is the caller's check.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from slalang.data.values import quote
from slalang.diagnostics import SlalangError
from slalang.fileio import read_bytes

_COLUMNS = ("metric", "period", "value")
_PERIOD = re.compile(r"(\d{4})(?:-(?:(\d{2})|Q(\d)|W(\d{2})))?\Z")


def check_period(text: str) -> str | None:
    """Why `text` is not a period, or None when it is one."""
    match = _PERIOD.match(text)
    if match is None:
        return (
            f"period {quote(text)} is not a month (`2026-03`), quarter (`2026-Q1`), "
            "ISO week (`2026-W10`) or year (`2026`)"
        )
    year, month, quarter, week = match.groups()
    if month is not None and not 1 <= int(month) <= 12:
        return f"period {quote(text)}: there is no month {month}"
    if quarter is not None and not 1 <= int(quarter) <= 4:
        return f"period {quote(text)}: there is no quarter {quarter}"
    if week is not None:
        try:
            date.fromisocalendar(int(year), int(week), 1)
        except ValueError:
            return f"period {quote(text)}: {year} has no ISO week {week}"
    return None


def read_metrics(path: str | Path) -> dict[tuple[str, str], float]:
    """Every (metric, period) → value in the file; a metric given twice for a period is an
    error naming both lines."""
    name = str(path)
    try:
        data = read_bytes(path)
    except FileNotFoundError:
        raise SlalangError(f"{name}: cannot read the metrics file: no such file") from None
    except OSError as exc:
        raise SlalangError(f"{name}: cannot read the metrics file: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SlalangError(f"{name}:{line}: the metrics file is not UTF-8 text") from None

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next((row for row in reader if row), None)
        if header is None:
            raise SlalangError(
                f"{name}: empty metrics file; expected the header `metric,period,value`"
            )
        header = [cell.strip().lower() for cell in header]
        missing = [column for column in _COLUMNS if column not in header]
        if missing:
            raise SlalangError(
                f"{name}:{reader.line_num}: missing column "
                f"{', '.join(f'`{m}`' for m in missing)}; expected the header `metric,period,value`"
            )
        at = [header.index(column) for column in _COLUMNS]
        metrics: dict[tuple[str, str], float] = {}
        lines: dict[tuple[str, str], int] = {}
        last = reader.line_num
        for row in reader:
            line, last = last + 1, reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise SlalangError(f"{name}:{line}: {len(row)} cells, the header has {len(header)}")
            metric, period, value = (row[i].strip() for i in at)
            if not metric:
                raise SlalangError(f"{name}:{line}: the metric name is empty")
            problem = check_period(period)
            if problem:
                raise SlalangError(f"{name}:{line}: {problem}")
            metrics[metric, period] = _number(value, name, line)
            if (metric, period) in lines:
                raise SlalangError(
                    f"{name}:{line}: `{metric}` for {period} is already given on line "
                    f"{lines[metric, period]}"
                )
            lines[metric, period] = line
    except csv.Error as exc:
        raise SlalangError(f"{name}:{reader.line_num}: not valid CSV: {exc}") from None
    return metrics


def _number(text: str, name: str, line: int) -> float:
    if not text:
        raise SlalangError(f"{name}:{line}: the value is empty")
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value - value != 0.0:
        raise SlalangError(f"{name}:{line}: value {quote(text)} is not a number")
    return value
