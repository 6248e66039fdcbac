"""The JSON Schemas published in docs/schemas/ for editors are the ones slalang validates with,
and the files `slalang init` writes point editors at them."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from tests.conftest import REPO

PUBLISHED = {
    "mapping.schema.json": "data/mapping.schema.json",
    "policytest.schema.json": "policytest.schema.json",
}
URL = "https://raw.githubusercontent.com/slalang/slalang/main/docs/schemas/"


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_schema_is_the_shipped_one(name: str) -> None:
    shipped = resources.files("slalang").joinpath(PUBLISHED[name]).read_text("utf-8")
    published = (REPO / "docs" / "schemas" / name).read_text("utf-8")
    assert json.loads(published) == json.loads(shipped), (
        f"docs/schemas/{name} is out of date: cp slalang/{PUBLISHED[name]} docs/schemas/{name}"
    )


def test_init_policy_test_names_its_schema() -> None:
    template = resources.files("slalang").joinpath("templates/init/tests/agreement.test.yaml")
    first = template.read_text("utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    assert match.group(1).startswith(URL)
    assert (REPO / "docs" / "schemas" / match.group(1).removeprefix(URL)).is_file()
