"""The metrics file: `metric,period,value` with checked periods and numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from slalang.data import read_metrics
from slalang.data.metrics import check_period
from slalang.diagnostics import SlalangError


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "metrics.csv"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def test_every_period_kind_and_all_metrics_are_returned(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\ufeffmetric,period,value\n"
        "website_visitors,2026-03,48000\n"
        "website_visitors,2026-Q1,150000.5\n"
        " website_visitors , 2026-W10 , 9000 \n"
        "\n"
        "undeclared_metric,2026,1e6\n",
    )
    assert read_metrics(path) == {
        ("website_visitors", "2026-03"): 48000.0,
        ("website_visitors", "2026-Q1"): 150000.5,
        ("website_visitors", "2026-W10"): 9000.0,
        ("undeclared_metric", "2026"): 1e6,
    }


def test_columns_may_come_in_any_order(tmp_path: Path) -> None:
    path = write(tmp_path, "value,metric,period\n3,visitors,2026-01\n")
    assert read_metrics(path) == {("visitors", "2026-01"): 3.0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metric,period\n", "metrics.csv:1: missing column `value`"),
        ("", "metrics.csv: empty metrics file"),
        (
            "metric,period,value\nv,2026-13,1\n",
            "metrics.csv:2: period `2026-13`: there is no month 13",
        ),
        (
            "metric,period,value\nv,2026-Q5,1\n",
            "metrics.csv:2: period `2026-Q5`: there is no quarter 5",
        ),
        (
            "metric,period,value\nv,2027-W53,1\n",
            "metrics.csv:2: period `2027-W53`: 2027 has no ISO week 53",
        ),
        (
            "metric,period,value\nv,March 2026,1\n",
            "metrics.csv:2: period `March 2026` is not a month",
        ),
        ("metric,period,value\nv,2026-03,many\n", "metrics.csv:2: value `many` is not a number"),
        ("metric,period,value\nv,2026-03,inf\n", "metrics.csv:2: value `inf` is not a number"),
        ("metric,period,value\nv,2026-03,\n", "metrics.csv:2: the value is empty"),
        ("metric,period,value\n,2026-03,1\n", "metrics.csv:2: the metric name is empty"),
        ("metric,period,value\nv,2026-03\n", "metrics.csv:2: 2 cells, the header has 3"),
        (
            "metric,period,value\nv,2026-03,1\n\nv,2026-03,2\n",
            "metrics.csv:4: `v` for 2026-03 is already given on line 2",
        ),
        (b"metric,period,value\nv\xff,2026-03,1\n", "metrics.csv:2: the metrics file is not UTF-8"),
    ],
)
def test_errors_name_the_file_and_line(tmp_path: Path, text: str | bytes, message: str) -> None:
    with pytest.raises(SlalangError) as caught:
        read_metrics(write(tmp_path, text))
    assert str(caught.value).removeprefix(f"{tmp_path}/").startswith(message)


def test_a_missing_file_is_an_error() -> None:
    with pytest.raises(SlalangError, match="cannot read the metrics file: no such file"):
        read_metrics("/nonexistent/metrics.csv")


def test_iso_week_53_exists_only_in_long_years() -> None:
    assert check_period("2027-W53") is not None
    assert check_period("2026-W53") is None
    assert check_period("2026-W00") is not None
