"""Compiled kernels go to a cache private to the test session, not the user's cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from slalang.engine import local


@pytest.fixture(autouse=True, scope="session")
def kernel_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    before = os.environ.get("SLALANG_CACHE_DIR")
    os.environ["SLALANG_CACHE_DIR"] = str(tmp_path_factory.mktemp("kernel-cache"))
    yield
    if before is None:
        del os.environ["SLALANG_CACHE_DIR"]
    else:
        os.environ["SLALANG_CACHE_DIR"] = before


@pytest.fixture
def stretched(monkeypatch: pytest.MonkeyPatch) -> list[local._Read | None]:
    """What each read in stretches gave (None: the input was read as one stream)."""
    reads: list[local._Read | None] = []
    spy = local._read_stretches

    def counted(*args: Any, **kwargs: Any) -> local._Read | None:
        reads.append(spy(*args, **kwargs))
        return reads[-1]

    monkeypatch.setattr(local, "_read_stretches", counted)
    return reads
