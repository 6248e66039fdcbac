"""The cookbook's policies check clean and canonical, their worked examples pass, and the
page shows each file exactly as it is on disk (so what a reader copies is what was tested)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO, invoke

COOKBOOK = REPO / "docs" / "cookbook"
PAGE = (REPO / "docs" / "cookbook.md").read_text(encoding="utf-8")
SHOWN = dict(re.findall(r"<!-- file: cookbook/(\S+) -->\n```\w*\n(.*?)```\n", PAGE, re.DOTALL))
FILES = sorted(p.name for p in COOKBOOK.iterdir())


def test_the_page_shows_every_file() -> None:
    assert sorted(SHOWN) == FILES
    assert {name.removesuffix(".sla") for name in FILES if name.endswith(".sla")} == {
        name.removesuffix(".test.yaml") for name in FILES if name.endswith(".test.yaml")
    }


@pytest.mark.parametrize("name", FILES)
def test_the_page_shows_the_file_as_it_is(name: str) -> None:
    assert SHOWN[name] == (COOKBOOK / name).read_text(encoding="utf-8")


def test_the_policies_check_clean_and_canonical() -> None:
    assert "no problems found" in invoke(["check", "--strict", str(COOKBOOK)], 0).stderr
    invoke(["fmt", "--check", str(COOKBOOK)], 0)


def test_the_worked_examples_pass() -> None:
    result = invoke(["test", str(COOKBOOK)], 0)
    assert "FAIL" not in result.stdout
    cases = sum(text.count("- name:") for name, text in SHOWN.items() if name.endswith(".yaml"))
    assert cases >= 15
    assert f"{cases} passed, 0 failed" in result.stdout + result.stderr
