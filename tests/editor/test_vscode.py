"""The VS Code extension: its TextMate grammar, snippets and the packaged `.vsix`.

The grammar tests run `vscode-tmgrammar-test` (the tokenizer VS Code itself uses) on the
annotated files in `editors/vscode/test/grammar/`, and the package is built with `vsce`, so
both need the extension's npm packages: `.ci/run` installs them (`npm ci`). Elsewhere these
tests are skipped with the command that enables them, unless `SLALANG_REQUIRE_NODE` is set
(CI sets it, so a missing install fails there instead of passing quietly).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from slalang.server.completion import SNIPPETS
from slalang.syntax.parser import reserved_words
from tests.conftest import REPO

EXTENSION = REPO / "editors" / "vscode"
GRAMMAR = EXTENSION / "syntaxes" / "slalang.tmLanguage.json"


def _node_tools() -> None:
    if (EXTENSION / "node_modules").is_dir() and shutil.which("npx"):
        return
    if os.environ.get("SLALANG_REQUIRE_NODE"):
        pytest.fail("the extension's npm packages are missing: run `npm ci` in editors/vscode")
    pytest.skip("run `npm ci` in editors/vscode to test the extension")


def _patterns(node: object) -> list[str]:
    """Every `match` regex of the grammar, however deeply nested."""
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("match"), str):
            found.append(node["match"])
        for value in node.values():
            found.extend(_patterns(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_patterns(value))
    return found


def test_every_reserved_word_is_highlighted() -> None:
    """A keyword added to the Lark grammar must be added to the highlighting too."""
    patterns = [re.compile(p) for p in _patterns(json.loads(GRAMMAR.read_text()))]
    plain = [w for w in sorted(reserved_words()) if not any(p.fullmatch(w) for p in patterns)]
    # functions are highlighted only when called, as in `count(`
    unmatched = [w for w in plain if not any(p.match(w + "(") for p in patterns)]
    assert unmatched == []


def test_snippets_file_is_generated_from_the_servers_snippets() -> None:
    """The editor's snippets and the server's completion snippets are one list."""
    shipped = json.loads((EXTENSION / "snippets" / "slalang.json").read_text())
    expected = {
        name: {"prefix": name, "description": detail, "body": body.split("\n")}
        for name, (detail, body) in SNIPPETS.items()
    }
    assert shipped == expected


def test_manifest_points_at_files_that_exist() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text())
    contributes = manifest["contributes"]
    paths = [
        manifest["main"],
        contributes["languages"][0]["configuration"],
        contributes["grammars"][0]["path"],
        contributes["snippets"][0]["path"],
    ]
    assert all((EXTENSION / p).is_file() for p in paths), paths
    assert contributes["languages"][0]["extensions"] == [".sla"]


def test_grammar_assertions_pass() -> None:
    _node_tools()
    result = subprocess.run(
        ["npm", "run", "-s", "test:grammar"],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "run successfuly" in result.stdout


def test_grammar_test_fails_on_a_wrong_scope(tmp_path: Path) -> None:
    """The grammar test is not vacuous: a wrong expectation fails it."""
    _node_tools()
    source = (EXTENSION / "test" / "grammar" / "tokens.sla").read_text()
    wrong = source.replace(
        "#           ^^^ constant.numeric.percentage.slalang",
        "#           ^^^ constant.numeric.date.slalang",
    )
    assert wrong != source
    case = tmp_path / "wrong.sla"
    case.write_text(wrong)
    result = subprocess.run(
        ["npx", "vscode-tmgrammar-test", "-g", str(GRAMMAR), str(case)],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode != 0
    assert "constant.numeric.date.slalang" in result.stdout + result.stderr


def test_vsix_builds_with_grammar_client_and_language_client(tmp_path: Path) -> None:
    _node_tools()
    vsix = tmp_path / "slalang.vsix"
    result = subprocess.run(
        [str(EXTENSION / "build.sh"), str(vsix)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    names = set(zipfile.ZipFile(vsix).namelist())
    for expected in (
        "extension/package.json",
        "extension/extension.js",
        "extension/syntaxes/slalang.tmLanguage.json",
        "extension/snippets/slalang.json",
        "extension/language-configuration.json",
        "extension/node_modules/vscode-languageclient/package.json",
    ):
        assert expected in names
    assert not any(n.startswith("extension/test/") for n in names)
