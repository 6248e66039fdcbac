"""`--engine spark` over Spark Connect (`SPARK_REMOTE`) against the local engine.

A Spark Connect server is started from the PySpark distribution itself (its bundled jars
hold the Connect service; no download), in local mode on a free port, for the module, and
stopped after it. The command line is run with `SPARK_REMOTE=sc://localhost:PORT` and must
write the same report bytes as a local run, for a CSV export (read whole by one task) and
for a directory of Parquet files (typed rows, replayed on the compiled kernel).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

if os.environ.get("CI"):  # CI installs the extra: a missing client is a failure there
    import grpc  # noqa: F401
pyspark = pytest.importorskip("pyspark")
pytest.importorskip("grpc")
pq = pytest.importorskip("pyarrow.parquet")
pcsv = pytest.importorskip("pyarrow.csv")

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "seed_funnel"
SERVER = "org.apache.spark.sql.connect.service.SparkConnectServer"
START_SECONDS = 300  # a JVM start on a loaded two-core machine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = Path(pyspark.__file__).parent
    port = _free_port()
    env = dict(os.environ, SPARK_HOME=str(home), PYSPARK_PYTHON=sys.executable)
    env.pop("SPARK_REMOTE", None)
    log = tmp_path_factory.mktemp("connect") / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                str(home / "bin" / "spark-submit"),
                "--class",
                SERVER,
                "--master",
                "local[2]",
                "--conf",
                f"spark.connect.grpc.binding.port={port}",
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.sql.shuffle.partitions=4",
                "spark-internal",
            ],
            cwd=log.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped whole below
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Spark Connect server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(1)
        yield f"sc://localhost:{port}", log
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _evaluate(events: Path, *options: str, env: dict[str, str] | None = None) -> bytes:
    """The command's report on standard output; a process of its own, as a user runs it
    (and a Spark Connect client leaves the interpreter in Connect mode)."""
    arguments = [
        sys.executable,
        "-m",
        "slalang",
        "evaluate",
        str(ROOT / "policies" / "seed_funnel.sla"),
        str(events),
        "--metrics",
        str(SAMPLE / "metrics.csv"),
        "--format",
        "json",
        "--fail-on",
        "never",
        *options,
    ]
    done = subprocess.run(arguments, capture_output=True, env=dict(os.environ, **(env or {})))
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-3000:]
    return done.stdout


def test_spark_connect_same_bytes(remote: tuple[str, Path], tmp_path: Path) -> None:
    url, log = remote
    folder = tmp_path / "events"
    folder.mkdir()
    table = pcsv.read_csv(SAMPLE / "events.csv")
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), folder / "part-0.parquet")
    pq.write_table(table.slice(half), folder / "part-1.parquet")
    for events in (SAMPLE / "events.csv", folder):
        local = _evaluate(events)
        tasks = _tasks_run(log)
        connected = _evaluate(events, "--engine", "spark", env={"SPARK_REMOTE": url})
        assert _tasks_run(log) > tasks, "the evaluation must run on the Connect server"
        assert b'"slas"' in local
        assert connected == local, events


def _tasks_run(log: Path) -> int:
    """Tasks the server says it finished (its log, at Spark's default INFO level)."""
    return log.read_text(encoding="utf-8", errors="replace").count("Finished task")
