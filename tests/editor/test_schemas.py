"""The JSON Schemas published in docs/schemas/ for editors are the ones slalang validates with,
and the files `slalang init` writes point editors at them."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import resources

import jsonschema
import pytest

from slalang.config import COMMANDS, KEYS
from tests.conftest import REPO

PUBLISHED = {
    "mapping.schema.json": "data/mapping.schema.json",
    "policytest.schema.json": "policytest.schema.json",
    "config.schema.json": "config.schema.json",
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


def _config_schema() -> dict[str, object]:
    text = resources.files("slalang").joinpath("config.schema.json").read_text("utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def test_config_schema_knows_exactly_the_keys_the_loader_accepts() -> None:
    properties = _config_schema()["properties"]
    assert isinstance(properties, dict)
    assert set(properties) == KEYS | COMMANDS


def test_init_config_validates_and_names_its_schema() -> None:
    template = resources.files("slalang").joinpath("templates/init/slalang.toml")
    text = template.read_text("utf-8")
    first = text.splitlines()[0]
    assert first == f"#:schema {URL}config.schema.json"
    jsonschema.validate(tomllib.loads(text), _config_schema())


@pytest.mark.parametrize(
    "bad",
    ['fail_on = "warning"', "jobs = 0", 'strict = "yes"', '[evaluate]\nengnie = "local"'],
)
def test_config_schema_rejects_what_the_loader_rejects(bad: str) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(tomllib.loads(bad), _config_schema())
