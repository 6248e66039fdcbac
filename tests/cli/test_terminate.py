"""SIGTERM, what a cancelled CI job, `timeout` or `kill` sends, ends a run as Ctrl-C does:
the temporary directory (spill files, report entries) removed, no worker process left
running, the old `-o` file kept, one line and exit 2. Python's own default ends the process
at once: the spill files stayed behind (630 MB within seconds on 10M events) and the
workers went on reading. Ctrl-C, which the terminal sends to every process of the job, is
checked the same way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from slalang.load import load
from slalang.plan import compile_program
from slalang.sample import write_sample

ROOT = Path(__file__).parents[2]
POLICY = ROOT / "policies" / "seed_funnel.sla"
COPIES = 150
"""Copies of a 400-lead sample (about 300,000 rows): a run of a second or more."""


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed sample copied under new lead and event ids, as bench/ makes its 10M log."""
    folder = tmp_path_factory.mktemp("big")
    sample = folder / "sample.csv"
    plan = compile_program(load(POLICY))
    write_sample(
        plan, sample, folder / "metrics.csv", leads=400, seed=3, start=date(2026, 1, 5), months=3
    )
    header, *rows = sample.read_text(encoding="utf-8").splitlines(keepends=True)
    copies = [
        f"{lead}~{copy},{ts},{event},{event_id}~{copy},{rest}"
        for copy in range(COPIES)
        for lead, ts, event, event_id, rest in (row.split(",", 4) for row in rows)
    ]
    big = folder / "events.csv"
    big.write_text(header + "".join(copies), encoding="utf-8")
    return big


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as listed:
        return [int(child) for child in listed.read().split()]


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit is for init to collect)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
    reason="needs Linux's /proc children lists",
)
@pytest.mark.parametrize(
    ("sent", "said"),
    [
        (signal.SIGTERM, "error: terminated"),  # to the run's process alone
        (signal.SIGINT, "error: interrupted"),  # Ctrl-C: to the terminal's whole job
    ],
)
def test_a_signal_ends_a_run_and_leaves_nothing_behind(
    events: Path, tmp_path: Path, sent: signal.Signals, said: str
) -> None:
    temporary, report = tmp_path / "tmp", tmp_path / "report.json"
    temporary.mkdir()
    report.write_text("the last report\n", encoding="utf-8")
    # the memory budget lowered, so the run spills: the console command otherwise
    script = (
        "import sys; from slalang.engine import local; local.BUDGET = 1; "
        "from slalang.cli import main; sys.argv[0] = 'slalang'; main()"
    )
    command = [sys.executable, "-c", script, "evaluate", str(POLICY), str(events)]
    command += ["--engine", "local", "--jobs", "2", "--format", "json", "-o", str(report)]
    environment = {**os.environ, "TMPDIR": str(temporary)}
    run = subprocess.Popen(  # a job of its own, as a shell starts one
        command, cwd=ROOT, env=environment, stderr=subprocess.PIPE, start_new_session=True
    )
    spilled: list[Path] = []
    while run.poll() is None and not spilled:
        spilled = list(temporary.glob("slalang-*/*.arrow"))
        time.sleep(0.01)
    assert spilled, "the run ended before it spilled: make the input larger"
    workers = _children(run.pid)
    assert workers, "the workers read the input"
    if sent == signal.SIGTERM:
        run.send_signal(sent)
    else:
        os.killpg(run.pid, sent)
    _, err = run.communicate(timeout=60)
    stderr = err.decode()
    assert run.returncode == 2, stderr
    assert [line for line in stderr.splitlines() if not line.startswith("warning:")] == [said]
    assert list(temporary.iterdir()) == []
    assert report.read_text(encoding="utf-8") == "the last report\n"
    deadline = time.monotonic() + 10
    while any(map(_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_running, workers)), "a worker went on after the run ended"
