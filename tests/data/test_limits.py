"""Hostile and broken inputs: each gets a counted rejection or a one-line error naming the
place, never a traceback, an unbounded read or a run that dies (docs/data.md, Limits)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from slalang.data import parse_mapping, read_metrics
from slalang.data.sources import CELL_LIMIT, LINE_LIMIT
from slalang.diagnostics import SlalangError
from slalang.yamlpaths import NODE_LIMIT, expanded_size
from tests.conftest import Writer, invoke
from tests.data.util import HEADER, read

POLICY = str(Path(__file__).parents[2] / "policies" / "seed_funnel.sla")
GOOD = "L2,2026-03-06T10:00:00Z,page_view,,,,,,\n"


def test_a_line_over_the_limit_rejects_its_row_and_reading_goes_on(tmp_path: Path) -> None:
    long_line = "L1,2026-03-06T10:00:00Z,page_view,,,," + "x" * (LINE_LIMIT * 3) + ",,\n"
    data = gzip.compress((HEADER + long_line + GOOD).encode())
    log = read(tmp_path, data, "events.csv.gz")
    assert log.stats.rejected == {"bad_row": 1}
    assert log.stats.rejected_examples[0].detail == f"a line over {LINE_LIMIT:,} characters"
    assert (log.stats.rejected_examples[0].line, list(log.leads)) == (2, ["L2"])


def test_a_line_over_the_limit_inside_a_quoted_record_rejects_it(tmp_path: Path) -> None:
    text = HEADER + 'L1,2026-03-06T10:00:00Z,page_view,,,,"a\n' + "x" * (LINE_LIMIT + 5) + '",,\n'
    log = read(tmp_path, text + GOOD)
    assert log.stats.rejected == {"bad_row": 1}
    assert list(log.leads) == ["L2"]


@pytest.mark.parametrize("quoted", [False, True])
def test_a_cell_over_the_limit_is_rejected_quoted_or_not(tmp_path: Path, quoted: bool) -> None:
    cell = "x" * (CELL_LIMIT + 1)
    cell = f'"{cell}"' if quoted else cell
    log = read(tmp_path, HEADER + f"L1,2026-03-06T10:00:00Z,page_view,,,,{cell},,\n" + GOOD)
    assert log.stats.rejected == {"bad_row": 1}
    assert log.stats.rejected_examples[0].detail == f"a cell over {CELL_LIMIT:,} characters"
    at_limit = "y" * CELL_LIMIT
    log = read(tmp_path, HEADER + f"L1,2026-03-06T10:00:00Z,page_view,,,,{at_limit},,\n")
    assert log.leads["L1"][0].fields["title"] == at_limit


def test_a_json_line_over_the_limit_or_nested_too_deep_is_rejected(tmp_path: Path) -> None:
    good = {"lead_id": "L1", "timestamp": "2026-03-06T10:00:00Z", "event": "page_view"}
    deep = json.dumps({**good, "title": "[" * 100_000 + "]" * 100_000})
    deep = deep.replace('"' + "[" * 100_000 + "]" * 100_000 + '"', "[" * 100_000 + "]" * 100_000)
    long_line = json.dumps({**good, "title": "x" * (LINE_LIMIT + 1)})
    text = "\n".join([deep, long_line, json.dumps(good)]) + "\n"
    log = read(tmp_path, text, "events.jsonl")
    assert log.stats.rejected == {"bad_json": 1, "bad_row": 1}
    assert log.stats.rejected_examples[0].detail == "not JSON: nested too deeply"
    assert [e.line for e in log.leads["L1"]] == [3]


def test_a_device_is_refused_as_an_event_log(tmp_path: Path) -> None:
    with pytest.raises(SlalangError, match=r"^/dev/zero: cannot read events: not a file or a pipe"):
        from slalang.data import read_events

        read_events(["/dev/zero"], {}, ())


def _level(prev: str, name: str) -> str:
    item = f"*{prev}" if prev.strip() else "x"
    return f"{name}: &{name} [{', '.join([item] * 9)}]\n"


ALIAS_BOMB = "".join(_level(prev, name) for prev, name in zip(" abcdefg", "abcdefgh", strict=True))


def test_expanded_size_counts_aliases_without_expanding_them() -> None:
    import yaml

    node = yaml.compose(ALIAS_BOMB, Loader=yaml.SafeLoader)
    assert node is not None
    assert expanded_size(node) > 9**8 > NODE_LIMIT
    assert expanded_size(yaml.compose("a: [1, 2]\n", Loader=yaml.SafeLoader)) == 5


def test_an_alias_bomb_or_deep_nesting_in_a_mapping_is_one_line() -> None:
    with pytest.raises(SlalangError) as caught:
        parse_mapping(ALIAS_BOMB, "m.yaml")
    assert str(caught.value).startswith("m.yaml: the YAML stands for more than 100,000 values")
    with pytest.raises(SlalangError, match=r"^m\.yaml: invalid YAML: nested too deeply to read$"):
        parse_mapping("events: " + "[" * 50_000 + "]" * 50_000 + "\n", "m.yaml")


def test_an_alias_bomb_in_a_policy_test_is_one_line(write: Writer) -> None:
    path = write("bomb.test.yaml", ALIAS_BOMB)
    err = invoke(["test", str(path)], 2).stderr
    assert "the YAML stands for more than 100,000 values" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "text", ["x: &a [*a]\n", "columns: &a {lead_id: [1, {b: *a}]}\n", "- &a\n  - *a\n"]
)
def test_a_recursive_alias_is_one_line_not_an_endless_walk(text: str, write: Writer) -> None:
    """An alias inside the value its anchor names stands for an endless value: counting it
    once hung the mapping and policy-test loaders (found by the policy-test fuzzer)."""
    with pytest.raises(SlalangError) as caught:
        parse_mapping(text, "m.yaml")
    assert str(caught.value).startswith("m.yaml:")
    assert "inside the value its anchor names stands for an endless value" in str(caught.value)
    err = invoke(["test", str(write("loop.test.yaml", text))], 2).stderr
    assert "endless value" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["check", "/dev/zero"],
        ["evaluate", "/dev/zero", "x.csv"],
        ["evaluate", POLICY, "/dev/zero"],
        ["evaluate", POLICY, "EVENTS", "--mapping", "/dev/zero"],
        ["evaluate", POLICY, "EVENTS", "--metrics", "/dev/zero"],
        ["test", "/dev/zero"],
    ],
)
def test_a_device_where_a_file_is_parsed_is_refused_in_one_line(
    write: Writer, args: list[str]
) -> None:
    events = write("events.csv", "lead_id,timestamp,event\nL1,2026-03-06T10:00:00Z,page_view\n")
    args = [str(events) if a == "EVENTS" else a for a in args]
    result = invoke(args, 2)
    said = result.stdout + result.stderr
    assert "/dev/zero" in said and "not a" in said and "Traceback" not in said


def test_metrics_from_a_device_are_refused() -> None:
    with pytest.raises(SlalangError, match=r"^/dev/zero: cannot read the metrics file: not a reg"):
        read_metrics("/dev/zero")
