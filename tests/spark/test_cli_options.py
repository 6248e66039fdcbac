"""Spark's command-line options refused where they cannot work, before anything starts."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from slalang.cli import cli

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "seed_funnel.sla")
EVENTS = str(ROOT / "samples" / "seed_funnel" / "events.csv")


def test_events_table_needs_spark() -> None:
    result = CliRunner().invoke(cli, ["evaluate", POLICY, "--events-table", "crm.events"])
    assert result.exit_code == 2
    assert "(--events-table) are read with the Spark engine only" in result.output


def test_spark_does_not_read_standard_input() -> None:
    result = CliRunner().invoke(cli, ["evaluate", POLICY, "-", "--engine", "spark"])
    assert result.exit_code == 2
    assert "not standard input (`-`)" in result.output


def test_events_are_required_locally() -> None:
    result = CliRunner().invoke(cli, ["evaluate", POLICY])
    assert result.exit_code == 2
    assert "no events given" in result.output


def test_diff_refuses_spark() -> None:
    result = CliRunner().invoke(cli, ["diff", POLICY, POLICY, EVENTS, "--engine", "spark"])
    assert result.exit_code == 2
    assert "only evaluate runs on Spark" in result.output
