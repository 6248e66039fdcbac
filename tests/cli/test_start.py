"""What a run pays before it starts working: only the command that runs is imported, and
the parser's tables come from the cache (`slalang.caches`) once they are built."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from slalang.cli import COMMANDS, cli
from slalang.syntax import parser
from tests.conftest import POLICIES


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_listed_command_is_found_under_its_name(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert isinstance(command, click.Command)
    assert command.name == name


def test_an_unknown_command_is_a_usage_error() -> None:
    assert cli.get_command(click.Context(cli), "evaluat") is None


def test_the_command_line_imports_no_command_before_one_runs() -> None:
    code = (
        "import json, sys, slalang.cli; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('slalang.'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout)
    modules = {f"slalang.commands.{where.split(':')[0]}" for where in COMMANDS.values()}
    assert modules.isdisjoint(loaded)
    assert "slalang.render.report" not in loaded
    assert "slalang.engine.local" not in loaded


def test_an_evaluation_of_csv_imports_neither_yaml_nor_parquet() -> None:
    """What an evaluation imports before it reads: yaml only comes with a mapping file,
    and pyarrow's Parquet module only with Parquet input (together 27 ms of each run)."""
    code = (
        "import sys, slalang.cli, slalang.commands.evaluate, slalang.engine.local; "
        "print(sorted({'yaml', 'pyarrow.parquet'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


BUILD = parser._lark.__wrapped__


def _fresh_parser(cache: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("SLALANG_CACHE_DIR", str(cache))
    return BUILD()


def _tree(lark: object, monkeypatch: pytest.MonkeyPatch) -> str:
    """The policy's syntax tree as `parse` builds it with this parser."""
    monkeypatch.setattr(parser, "_lark", lambda: lark)
    path = POLICIES / "seed_funnel.sla"
    return repr(parser.parse(path.read_text(encoding="utf-8"), str(path)))


def test_the_parser_tables_are_cached_and_parse_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _fresh_parser(tmp_path, monkeypatch)
    [tables] = (tmp_path / "grammar").iterdir()
    written = tables.stat().st_mtime_ns
    loaded = _fresh_parser(tmp_path, monkeypatch)
    assert tables.stat().st_mtime_ns == written  # read, not built and written again
    assert _tree(loaded, monkeypatch) == _tree(built, monkeypatch)


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = _fresh_parser(tmp_path, monkeypatch)
    [tables] = (tmp_path / "grammar").iterdir()
    tables.write_bytes(b"not a table\n")
    assert _tree(_fresh_parser(tmp_path, monkeypatch), monkeypatch) == _tree(built, monkeypatch)
    assert tables.stat().st_size > 1000


def test_an_unwritable_cache_only_means_building_the_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory would be", encoding="utf-8")
    lark = _fresh_parser(blocked, monkeypatch)
    assert "Stage" in _tree(lark, monkeypatch)
    env = {**os.environ, "SLALANG_CACHE_DIR": str(blocked)}
    policy = str(POLICIES / "seed_funnel.sla")
    done = subprocess.run(
        [sys.executable, "-m", "slalang", "check", policy], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
