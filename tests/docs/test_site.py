"""The documentation builds as a site with `mkdocs build --strict`: a broken link, a
missing anchor, or a page left out of the navigation fails the suite. The language
reference's complete example checks clean, and its list of reserved words is the parser's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from slalang.syntax.parser import reserved_words
from tests.conftest import REPO, invoke

DOCS = REPO / "docs"
LANGUAGE = (DOCS / "language.md").read_text(encoding="utf-8")


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "language" / "index.html").is_file()
    assert (tmp_path / "cookbook" / "index.html").is_file()


def _nav_pages(items: list[object]) -> list[str]:
    pages: list[str] = []
    for item in items:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        pages += _nav_pages(value) if isinstance(value, list) else [str(value)]
    return pages


def test_every_page_is_in_the_navigation_once() -> None:
    # mkdocs only logs a page left out of the nav; here it is a failure
    config = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    pages = _nav_pages(config["nav"])
    assert len(pages) == len(set(pages))
    assert sorted(pages) == sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))


def test_the_complete_example_checks_clean(tmp_path: Path) -> None:
    example = re.search(r"## A complete agreement\n\n```\n(.*?)```", LANGUAGE, re.DOTALL)
    assert example
    policy = tmp_path / "acme.sla"
    policy.write_text(example.group(1), encoding="utf-8")
    invoke(["check", "--strict", str(policy)], 0)


def test_the_reserved_words_listed_are_the_parsers() -> None:
    listed = re.search(r"cannot be names:\n\n((?:> .*\n)+)", LANGUAGE)
    assert listed
    words = {w.strip(" ,\n") for w in listed.group(1).replace(">", "").split(",")}
    assert words == set(reserved_words())
