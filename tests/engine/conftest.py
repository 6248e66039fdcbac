"""Compiled kernels go to a cache private to the test session, not the user's cache."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def kernel_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    before = os.environ.get("SLALANG_CACHE_DIR")
    os.environ["SLALANG_CACHE_DIR"] = str(tmp_path_factory.mktemp("kernel-cache"))
    yield
    if before is None:
        del os.environ["SLALANG_CACHE_DIR"]
    else:
        os.environ["SLALANG_CACHE_DIR"] = before
