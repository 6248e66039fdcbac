"""`slalang data check` on the local engine's columnar path (a file of some size, Parquet)
gives the profile the reference reader gives, to the byte: in memory, partitioned on a
tiny memory budget, on one core or two."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from slalang.engine import choose, local
from slalang.load import load
from slalang.plan import compile_program
from slalang.sample import write_sample
from tests.conftest import Writer, invoke
from tests.data.test_datacheck import files

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The seed policy and its sample of a few hundred leads, with repeated event ids, an
    undeclared event type and rows the reader rejects or whose values are bad."""
    policy = ROOT / "policies" / "seed_funnel.sla"
    plan = compile_program(load(policy))
    folder = tmp_path_factory.mktemp("sample")
    events, metrics = folder / "events.csv", folder / "metrics.csv"
    write_sample(plan, events, metrics, leads=300, seed=7, start=date(2026, 1, 5), months=3)
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    odd = [",".join(["L-odd", "not a time", *header[2:]]) + "\n"]
    odd.append(",".join(["L-odd", "2026-02-01T10:00:00Z", "webinar", *header[3:]]) + "\n")
    odd.append(",".join(["", "2026-02-01T10:00:00Z", *header[2:]]) + "\n")
    events.write_text("".join(lines + lines[1:60:4] + odd), encoding="utf-8")
    return policy, events


def _check(args: list[str], engine: str, code: int) -> str:
    return invoke(["data", "check", *args, "--engine", engine], code).stdout


@pytest.fixture
def columnar(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Files of any size read by the local engine; the files `summarize` was given."""
    monkeypatch.setattr(choose, "SMALL", 0)
    read: list[str] = []
    summarize = local.summarize

    def spy(plan: Any, paths: list[str], **options: Any) -> local.Summary:
        read.extend(paths)
        return summarize(plan, paths, **options)

    monkeypatch.setattr(local, "summarize", spy)
    return read


@pytest.mark.parametrize(
    ("budget", "jobs"), [(None, 1), (1, 1), (1, 2)], ids=["in-memory", "partitioned", "two-jobs"]
)
def test_a_log_with_duplicates_and_rejections_profiles_alike(
    sample: tuple[Path, Path],
    budget: int | None,
    jobs: int,
    columnar: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy, events = sample
    expected = _check([str(policy), str(events)], "reference", 1)
    assert not columnar
    assert "rejected rows:\n" in expected and "`webinar`" in expected
    if budget is not None:
        monkeypatch.setattr(local, "BUDGET", budget)
    actual = _check([str(policy), str(events), "--jobs", str(jobs)], "local", 1)
    assert columnar == [str(events)]
    assert actual == expected


def test_a_multi_source_wide_export_profiles_alike(write: Writer, columnar: list[str]) -> None:
    """The data check tests' export: two sources, date columns, a bad value, a rejected
    row."""
    args = files(write)
    expected = _check(args, "reference", 1)
    assert _check(args, "local", 1) == expected
    assert len(columnar) == 2


def test_parquet_profiles_as_the_same_rows_in_csv(
    sample: tuple[Path, Path],
    tmp_path: Path,
    columnar: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Parquet, which only the local engine reads, against the CSV it was written from
    (the clean rows: a rejected row's line is its position in a Parquet file)."""
    policy, events = sample
    clean = tmp_path / "events.csv"
    kept = events.read_text(encoding="utf-8").splitlines(keepends=True)
    clean.write_text("".join(line for line in kept if "L-odd" not in line and line[0] != ","))
    parquet = tmp_path / "events.parquet"
    pq.write_table(pacsv.read_csv(clean), parquet)
    expected = _check([str(policy), str(clean)], "reference", 0)
    monkeypatch.setattr(local, "BUDGET", 1)
    actual = _check([str(policy), str(parquet)], "local", 0)
    assert columnar == [str(parquet)]
    assert actual == expected.replace(str(clean), str(parquet))


@pytest.mark.parametrize("engine", ["local", "reference"])
@pytest.mark.parametrize("given", ["pipe", "stdin"])
def test_a_named_pipe_or_standard_input_profiles_as_the_file(
    sample: tuple[Path, Path],
    tmp_path: Path,
    columnar: list[str],
    monkeypatch: pytest.MonkeyPatch,
    engine: str,
    given: str,
) -> None:
    """A data check reads each input twice (its header, then its rows): standard input and
    a named pipe are kept in a temporary file first, so their profile is the file's, named
    as given, the columns mapped from their header; nothing is left behind."""
    from tests.engine.test_local import fed

    policy, events = sample
    expected = _check([str(policy), str(events)], "reference", 1)
    assert "columns mapped:" in expected
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)  # TMPDIR is read again
    data = events.read_bytes()
    if given == "stdin":
        args = [str(policy), "-", "--engine", engine]
        actual = invoke(["data", "check", *args], 1, input=data).stdout
        shown = "<stdin>"
    else:
        pipe = tmp_path / "events.pipe"
        os.mkfifo(pipe)
        with fed(pipe, data):
            actual = _check([str(policy), str(pipe)], engine, 1)
        shown = str(pipe)
    assert actual == expected.replace(str(events), shown)
    assert len(columnar) == (engine == "local")
    assert list(scratch.iterdir()) == []
