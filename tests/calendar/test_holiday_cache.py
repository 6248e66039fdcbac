"""Public holidays kept in the cache: the same dates as the `holidays` library gives, read
back without importing it (it imports all its countries' modules, 0.1-0.3 s a run), asked
afresh when the kept file is damaged or cannot be written, errors never kept."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from slalang import calendar
from slalang.calendar import CalendarError, _holiday_dates, _library_dates

CASES = [("US", None, 2026), ("DE", "BY", 2026), ("GB", None, 2021), ("US", None, None)]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SLALANG_CACHE_DIR", str(tmp_path))
    return tmp_path / "holidays"


@pytest.mark.parametrize(("country", "subdiv", "year"), CASES)
def test_kept_dates_are_the_librarys(
    cache: Path, country: str, subdiv: str | None, year: int | None
) -> None:
    expected = _library_dates(country, subdiv, year)
    assert _holiday_dates(country, subdiv, year) == expected  # asked, then kept
    assert len(list(cache.iterdir())) == 1
    assert _holiday_dates(country, subdiv, year) == expected  # read back
    if year == 2026 and country == "US":
        assert date(2026, 7, 3) in expected  # Independence Day observed on the Friday


def test_a_warm_cache_does_not_import_the_library(cache: Path) -> None:
    code = (
        "import sys; from slalang.calendar import _holiday_dates as h; "
        "d = h('US', None, 2026); h('US', None, None); "
        "print(len(d), 'holidays' in sys.modules)"
    )
    env = {**os.environ, "SLALANG_CACHE_DIR": str(cache.parent)}
    run = [sys.executable, "-c", code]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split() == ["12", "True"]
    assert second.stdout.split() == ["12", "False"]


def test_a_damaged_file_is_asked_again(cache: Path) -> None:
    expected = _holiday_dates("US", None, 2026)
    (kept,) = cache.iterdir()
    for damage in ('["2026-13-45"]', "{not json", '{"a": 1}', ""):
        kept.write_text(damage, encoding="utf-8")
        assert _holiday_dates("US", None, 2026) == expected
        assert _holiday_dates("US", None, 2026) == expected


def test_an_unwritable_cache_only_means_asking_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("SLALANG_CACHE_DIR", str(blocked))
    assert _holiday_dates("US", None, 2026) == _library_dates("US", None, 2026)


def test_an_unknown_calendar_is_an_error_and_not_kept(cache: Path) -> None:
    for _ in range(2):
        with pytest.raises(CalendarError, match="unknown holiday calendar `XX`"):
            _holiday_dates("XX", None, 2026)
    assert not cache.exists() or not list(cache.iterdir())


def test_the_key_names_the_installed_library(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The library's file rewritten (an upgrade) is a different question."""
    before = calendar._holiday_file("US\nNone\n2026")
    real = os.stat

    def rewritten(path: str) -> SimpleNamespace:
        found = real(path)
        return SimpleNamespace(st_size=found.st_size, st_mtime_ns=found.st_mtime_ns + 1)

    monkeypatch.setattr(calendar.os, "stat", rewritten)
    after = calendar._holiday_file("US\nNone\n2026")
    assert before is not None and after is not None and after != before
    assert Path(after).parent == Path(before).parent == cache


def test_the_checkers_answers_are_kept(cache: Path) -> None:
    """The country codes and subdivisions the checker validates a calendar against are the
    library's, read back from the cache the second time."""
    from slalang.check import calendars

    for _ in range(2):
        calendars._countries.cache_clear()
        calendars._subdivisions.cache_clear()
        assert calendars._countries() == frozenset(calendars._library_countries())
        assert calendars._subdivisions("DE") == tuple(calendars._library_subdivisions("DE"))
        assert len(list(cache.iterdir())) == 2
    calendars._countries.cache_clear()
    calendars._subdivisions.cache_clear()


def test_a_warm_cache_checks_and_evaluates_without_the_library(cache: Path) -> None:
    """A policy whose calendars close on public holidays, checked and compiled twice: the
    second process never imports the holidays library."""
    repo = Path(__file__).parents[2]
    policy, events = repo / "policies" / "seed_funnel.sla", repo / "samples" / "seed_funnel"
    code = (
        "import sys; from slalang.api import load_policy; "
        f"p = load_policy({str(policy)!r}); "
        f"r = p.evaluate({str(events / 'events.csv')!r}); "
        "print(len(r.data['violations']), 'holidays' in sys.modules)"
    )
    env = {**os.environ, "SLALANG_CACHE_DIR": str(cache.parent)}
    run = [sys.executable, "-c", code]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split()[1] == "True"
    assert second.stdout.split() == [first.stdout.split()[0], "False"]
