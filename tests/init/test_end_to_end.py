"""The issue's end-to-end story: a team creates its repository with `slalang init`,
commits it, shortens the enterprise response window, and `slalang diff --base HEAD` shows
the leads that would newly breach — and no breach that would go away."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import invoke

# A fixed author and no user or system configuration: the same commits on any machine.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "RevOps",
    "GIT_AUTHOR_EMAIL": "revops@example.com",
    "GIT_COMMITTER_NAME": "RevOps",
    "GIT_COMMITTER_EMAIL": "revops@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True)


def test_tightening_the_response_window_adds_breaches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke(["init", str(tmp_path)], 0)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "Our SLA")
    agreement = tmp_path / "policies" / "agreement.sla"
    text = agreement.read_text(encoding="utf-8")
    assert text.count("within 4 business hours") == 1
    agreement.write_text(
        text.replace("within 4 business hours", "within 2 business hours"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    args = ["diff", "--base", "HEAD", "policies/agreement.sla", "data/events.csv"]
    args += ["--metrics", "data/metrics.csv", "--format", "json"]
    report = json.loads(invoke(args, 1).stdout)
    added = [v for v in report["violations"]["added"] if v["kind"] == "sla_breach"]
    assert added
    assert {v["rule"] for v in added} == {"first_touch"}
    assert all(v["details"]["late_by_seconds"] > 0 for v in added)
    assert report["violations"]["removed"] == []
