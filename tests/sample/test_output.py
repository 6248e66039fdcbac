"""The generator's contract: byte-identical output for the same arguments, streaming lead
by lead, the file formats, and the bundled sample being exactly what its command makes."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
from datetime import date
from pathlib import Path

import pytest

from slalang.sample import UNKNOWN_EVENTS, columns, generate, write_sample
from tests.conftest import invoke
from tests.sample.helpers import REPO, START, epoch, plan_of, rows_of

SAMPLE = REPO / "samples" / "seed_funnel"


def _write(tmp_path: Path, name: str, seed: int = 7) -> tuple[bytes, bytes]:
    events, metrics = tmp_path / name, tmp_path / f"{name}.metrics.csv"
    plan = plan_of("seed_funnel.sla")
    write_sample(plan, events, metrics, leads=150, seed=seed, start=START, months=2)
    return events.read_bytes(), metrics.read_bytes()


def test_the_same_arguments_give_the_same_bytes(tmp_path: Path) -> None:
    assert _write(tmp_path, "a.csv") == _write(tmp_path, "b.csv")
    assert _write(tmp_path, "a.csv.gz") == _write(tmp_path, "b.csv.gz")


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    events, metrics = _write(tmp_path, "a.csv", seed=7)
    other_events, other_metrics = _write(tmp_path, "b.csv", seed=8)
    assert events != other_events
    assert metrics != other_metrics


def test_a_gz_name_writes_the_same_csv_compressed(tmp_path: Path) -> None:
    plain, _ = _write(tmp_path, "events.csv")
    packed, _ = _write(tmp_path, "events.csv.gz")
    assert packed[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed) == plain


def test_the_header_is_the_canonical_columns_then_every_field(tmp_path: Path) -> None:
    plain, _ = _write(tmp_path, "events.csv")
    header = plain.split(b"\n", 1)[0].decode()
    plan = plan_of("seed_funnel.sla")
    assert tuple(header.split(",")) == columns(plan)
    assert header.startswith("lead_id,timestamp,event,event_id,name,email,")


def test_rows_come_lead_by_lead_in_arrival_order_each_in_time_order() -> None:
    rows = rows_of("seed_funnel.sla")
    leads = [lead for lead, _ in itertools.groupby(r["lead_id"] for r in rows)]
    assert len(leads) == len(set(leads)) == 400, "each lead's rows are together"
    assert leads == sorted(leads), "lead ids are numbered in arrival order"
    firsts = []
    for _, group in itertools.groupby(rows, key=lambda r: r["lead_id"]):
        times = [epoch(r["timestamp"]) for r in group]
        assert times == sorted(times)
        firsts.append(times[0])
    assert firsts == sorted(firsts), "leads arrive in order"


def test_generation_is_lazy_so_any_volume_streams() -> None:
    """Ten million leads would take hours to make; the first rows come at once because
    nothing is made before it is asked for."""
    plan = plan_of("seed_funnel.sla")
    head = list(
        itertools.islice(generate(plan, leads=10_000_000, seed=1, start=START, months=12), 20)
    )
    assert len(head) == 20
    assert head[0]["lead_id"] == "L00000001"


def test_a_ten_thousand_lead_run_completes() -> None:
    plan = plan_of("seed_funnel.sla")
    count = sum(1 for _ in generate(plan, leads=10_000, seed=3, start=START, months=6))
    assert count > 30_000


@pytest.mark.parametrize(("leads", "months"), [(-1, 3), (10, 0)])
def test_impossible_sizes_are_refused(leads: int, months: int) -> None:
    plan = plan_of("seed_funnel.sla")
    with pytest.raises(ValueError):
        next(generate(plan, leads=leads, seed=1, start=START, months=months))


def test_no_leads_gives_a_header_only_log(tmp_path: Path) -> None:
    plan = plan_of("seed_funnel.sla")
    path = tmp_path / "empty.csv"
    write_sample(plan, path, tmp_path / "m.csv", leads=0, seed=1, start=START, months=1)
    assert path.read_text().splitlines() == [",".join(columns(plan))]


def test_the_bundled_sample_is_what_its_command_writes(tmp_path: Path) -> None:
    """samples/README.md gives the command; when the generator changes, regenerate."""
    policy = str(REPO / "policies" / "seed_funnel.sla")
    args = ["--leads", "400", "--seed", "7", "--start", "2026-01-05", "--months", "3"]
    invoke(["sample", policy, str(tmp_path), *args], 0)
    assert (tmp_path / "events.csv").read_bytes() == (SAMPLE / "events.csv").read_bytes()
    assert (tmp_path / "metrics.csv").read_bytes() == (SAMPLE / "metrics.csv").read_bytes()


def test_the_bundled_sample_is_clean_but_for_duplicates_and_unknown_types() -> None:
    plan = plan_of("seed_funnel.sla")
    rows = list(csv.DictReader(io.StringIO((SAMPLE / "events.csv").read_text())))
    assert 1_500 <= len(rows) <= 4_000
    assert len({r["lead_id"] for r in rows}) == 400
    assert all(r["lead_id"] and r["event"] and r["timestamp"].endswith("Z") for r in rows)
    ids = [r["event_id"] for r in rows]
    assert 0 < len(ids) - len(set(ids)) < 20, "a few re-sent events"
    unknown = [r["event"] for r in rows if r["event"] not in plan["events"]]
    assert unknown and set(unknown) <= set(UNKNOWN_EVENTS)
    assert len(unknown) < 20


def test_the_command_line_refuses_a_broken_policy(tmp_path: Path) -> None:
    policy = tmp_path / "broken.sla"
    policy.write_text("events a\nstage x on b\n")
    result = invoke(["sample", str(policy), str(tmp_path / "out")], 2)
    assert "unknown event `b`" in result.stderr
    assert not (tmp_path / "out" / "events.csv").exists()


def test_noise_adds_rows_the_reader_must_reject() -> None:
    plan = plan_of("acme.sla")
    rows = list(generate(plan, leads=1_500, seed=5, start=date(2026, 1, 5), months=3, noise=True))
    clean = list(generate(plan, leads=1_500, seed=5, start=date(2026, 1, 5), months=3))
    broken = len(rows) - len(clean)
    assert 0.003 * len(clean) < broken < 0.03 * len(clean)
    kinds = set()
    for row in rows:
        if not row["lead_id"]:
            kinds.add("missing_lead_id")
        elif not row["event"]:
            kinds.add("missing_event")
        elif not row["timestamp"].endswith("Z"):
            kinds.add("bad_timestamp")
        elif row["company_size"] and not row["company_size"].isdigit():
            kinds.add("bad_number")
        elif row["segment"] and row["segment"] not in ("smb", "mid", "enterprise"):
            kinds.add("bad_option")
    assert len(kinds) >= 4, kinds


def test_a_disk_that_refuses_the_sample_is_one_line_and_leaves_no_file(tmp_path: Path) -> None:
    """Writing stopped half-way (here by a limit on file size, which fails a write as a
    full disk does): one line naming the folder, and no half-written or temporary file."""
    import subprocess
    import sys

    script = (
        "import resource, signal, sys; from slalang.cli import main; "
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, resource.RLIM_INFINITY)); "
        "sys.argv[0] = 'slalang'; main()"
    )
    policy = str(REPO / "policies" / "seed_funnel.sla")
    done = subprocess.run(
        [sys.executable, "-c", script, "sample", policy, str(tmp_path), "--leads", "500"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"error: {tmp_path}: cannot write: File too large\n"
    assert list(tmp_path.iterdir()) == []
