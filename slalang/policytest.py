"""Policy tests, the stage after the report: `slalang test` (RUNNER §4).

A `*.test.yaml` file names a policy, the events to judge it on and cases of expected report
entries. Each file's policy is evaluated once; each case is then checked against that one
report with `slalang.expect`, the same partial matching the conformance suite uses. The
file is validated against `policytest.schema.json` (shipped beside this module), and every
problem names the file, the line and the YAML path, e.g.
`tests/acme.test.yaml:12: cases[0].expect.clocks: expected a list`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jsonschema
import yaml

from slalang import expect
from slalang.data.mapping import yaml_path
from slalang.diagnostics import PolicyError, SlalangError
from slalang.fileio import read_text
from slalang.yamlpaths import TYPE_WORDS, YamlPath, listing, load_yaml, node_lines

SUFFIX = ".test.yaml"


#: Report keys whose values are always text; YAML reads `lead_id: 42` or `period: 2026` as
#: numbers, which would never equal the report's "42" and "2026".
_TEXT_KEYS = frozenset({"lead_id", "period", "group"})
#: Keys that say which entry a nearest actual one is, shown even when not expected.
_IDENTITY = ("lead_id", "sla", "rule", "stage", "target", "kind", "cycle", "period", "group")
_PLAIN = re.compile(r"[\w][\w .:+/@%()-]*\Z")


class TestFileError(SlalangError):
    """A test file that cannot be run: invalid, or its policy or data unusable."""


@dataclass(frozen=True, slots=True)
class Case:
    """One case: its name and the expectations of RUNNER §4, keyed by report section."""

    name: str
    expect: Mapping[str, Any]
    #: The test file's line of each expected entry, by (expect key, index in its list).
    lines: Mapping[tuple[str, int], int] = field(default_factory=dict)

    def line_of(self, entry: Mapping[str, Any]) -> int | None:
        """The line ENTRY (one of this case's expected entries) is written on."""
        for key, entries in self.expect.items():
            for index, candidate in enumerate(entries or []):
                if candidate is entry:
                    return self.lines.get((key, index))
        return None


@dataclass(frozen=True, slots=True)
class TestFile:
    """A validated test file, with every path resolved against the file's directory."""

    path: str
    policy: Path
    as_of: int | None
    start: int | None
    end: int | None
    rows: tuple[dict[str, str], ...] | None
    row_lines: tuple[int, ...]
    events_file: Path | None
    mapping: Path | None
    metrics: Path | dict[tuple[str, str], float] | None
    cases: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class CaseResult:
    """A case that ran: empty `failures` means it passed."""

    name: str
    failures: tuple[expect.Mismatch, ...]
    #: Where each failure's expectation is written (`file:line`), in the same order.
    places: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FileResult:
    """The cases of one file, or the one-line reason the file could not be run."""

    path: str
    cases: tuple[CaseResult, ...] = ()
    error: str | None = None


# ---- finding and reading test files ---------------------------------------------------


def find_test_files(paths: Sequence[str]) -> list[Path]:
    """Files as given and `*.test.yaml` under directories (recursively), sorted per
    argument so the output is the same on every machine."""
    found: list[Path] = []
    for name in paths or (".",):
        path = Path(name)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob(f"*{SUFFIX}") if p.is_file()))
        elif path.is_file():
            found.append(path)
        elif path.exists():
            raise SlalangError(f"{name}: not a regular file (a device, pipe or socket)")
        else:
            raise SlalangError(f"{name}: no such file or directory")
    unique = list(dict.fromkeys(found))
    if not unique:
        raise SlalangError(f"no `*{SUFFIX}` files in {', '.join(paths or ('.',))}")
    return unique


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of test files, as shipped in the package."""
    text = resources.files("slalang").joinpath("policytest.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _plain(value: Any) -> Any:
    """YAML values as the report has them: instants as UTC `...Z` text, dates as ISO text."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
            return value.isoformat().replace("+00:00", "Z")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {
            str(k): str(v) if k in _TEXT_KEYS and isinstance(v, int) else _plain(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _schema_message(error: jsonschema.ValidationError) -> tuple[YamlPath, str]:
    """The YAML path an error is about and what is wrong there, in words."""
    path: YamlPath = tuple(error.absolute_path)
    instance = error.instance if isinstance(error.instance, dict) else {}
    if error.validator == "type":
        wanted = error.validator_value
        names = [str(n) for n in (wanted if isinstance(wanted, list) else [wanted])]
        return path, "expected " + " or ".join(TYPE_WORDS.get(n, n) for n in names)
    if error.validator == "additionalProperties":
        allowed = (
            sorted(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        )
        extra = next((key for key in instance if key not in allowed), "?")
        return (*path, extra), f"unknown key; expected one of {listing(allowed)}"
    if error.validator == "required":
        required = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [key for key in required if key not in instance]
        return path, f"missing key {listing(missing)}"
    if error.validator == "oneOf" and path == ():
        return path, "give either `events` (inline rows) or `events_file`, not both"
    if error.validator == "oneOf" and path == ("metrics",):
        return path, "expected a path or a list of {metric, period, value}"
    if error.validator == "minItems":
        return path, "expected at least one entry"
    if error.validator == "minProperties":
        return path, "expected at least one section, e.g. `clocks` or `no_violations`"
    if error.validator == "minLength":
        return path, "must not be empty"
    return path, error.message


def _where(name: str, lines: Mapping[YamlPath, int], path: YamlPath) -> str:
    line = None
    for cut in range(len(path), -1, -1):  # a key not written: the line of its nearest parent
        line = lines.get(path[:cut])
        if line is not None:
            break
    place = f"{name}:{line}" if line is not None else name
    return f"{place}: {yaml_path(path)}" if path else place


def _cell(node: yaml.Node) -> str:
    """An inline event value as written: `500`, `yes` and `2026-03-06T22:30:00Z` reach the
    reader as that very text, so YAML's typing never changes what a field holds."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null" and not node.style:
            return ""
        return str(node.value)
    return ""


def _instant(data: Mapping[str, Any], key: str, where: str) -> int | None:
    from slalang.evaluate.runtime import parse_instant

    text = data.get(key)
    if text is None:
        return None
    try:
        return parse_instant(str(text))
    except ValueError as exc:
        problem = str(exc) if "time zone" in str(exc) else f"`{text}` is not an ISO-8601 instant"
        raise TestFileError(f"{where}: {problem}") from None


def _inline_metrics(
    rows: Sequence[Mapping[str, Any]], name: str, lines: Mapping[YamlPath, int]
) -> dict[tuple[str, str], float]:
    from slalang.data.metrics import check_period

    metrics: dict[tuple[str, str], float] = {}
    for index, row in enumerate(rows):
        period = str(row["period"])
        problem = check_period(period)
        if problem:
            raise TestFileError(f"{_where(name, lines, ('metrics', index, 'period'))}: {problem}")
        if (row["metric"], period) in metrics:
            where = _where(name, lines, ("metrics", index))
            raise TestFileError(f"{where}: `{row['metric']}` for {period} is given twice")
        metrics[row["metric"], period] = float(row["value"])
    return metrics


def load_test_file(path: Path) -> TestFile:
    """Read and validate one test file; any problem is a one-line TestFileError."""
    name = path.as_posix()
    try:
        text = read_text(path, "utf-8-sig")
    except UnicodeDecodeError:
        raise TestFileError(f"{name}: the test file is not UTF-8 text") from None
    except OSError as exc:
        raise TestFileError(f"{name}: cannot read the test file: {exc.strerror}") from None
    try:
        node, data = load_yaml(text, name, yaml.SafeLoader)
    except ValueError as exc:
        raise TestFileError(str(exc)) from None
    if node is None or data is None:
        raise TestFileError(f"{name}: empty test file (expected `policy`, `events` and `cases`)")
    lines: dict[YamlPath, int] = {}
    node_lines(node, (), lines)
    data = _plain(data)
    validator = jsonschema.Draft202012Validator(schema())
    errors = list(validator.iter_errors(data))
    if errors:
        # the deepest error is the most specific; of those, the first in the file
        first = min(
            errors,
            key=lambda e: (-len(e.absolute_path), lines.get(tuple(e.absolute_path), 0)),
        )
        where, message = _schema_message(first)
        raise TestFileError(f"{_where(name, lines, where)}: {message}")

    def beside(relative: str) -> Path:
        """A path the file gives, relative to the file; `..` folded so messages read well."""
        return Path(os.path.normpath(path.parent / relative))

    rows: tuple[dict[str, str], ...] | None = None
    row_lines: tuple[int, ...] = ()
    if "events" in data:
        events_node = next(v for k, v in node.value if k.value == "events")
        rows = tuple({str(k.value): _cell(v) for k, v in row.value} for row in events_node.value)
        row_lines = tuple(row.start_mark.line + 1 for row in events_node.value)
    metrics = data.get("metrics")
    return TestFile(
        path=name,
        policy=beside(data["policy"]),
        as_of=_instant(data, "as_of", _where(name, lines, ("as_of",))),
        start=_instant(data, "from", _where(name, lines, ("from",))),
        end=_instant(data, "to", _where(name, lines, ("to",))),
        rows=rows,
        row_lines=row_lines,
        events_file=beside(data["events_file"]) if "events_file" in data else None,
        mapping=beside(data["mapping"]) if "mapping" in data else None,
        metrics=(
            beside(metrics)
            if isinstance(metrics, str)
            else _inline_metrics(metrics, name, lines)
            if metrics is not None
            else None
        ),
        cases=tuple(
            Case(c["name"], c["expect"], _entry_lines(lines, index, c["expect"]))
            for index, c in enumerate(data["cases"])
        ),
    )


def _entry_lines(
    lines: Mapping[YamlPath, int], case: int, expected: Mapping[str, Any]
) -> dict[tuple[str, int], int]:
    return {
        (key, index): lines[("cases", case, "expect", key, index)]
        for key, entries in expected.items()
        for index in range(len(entries or []))
        if ("cases", case, "expect", key, index) in lines
    }


# ---- running --------------------------------------------------------------------------


def report_of(test: TestFile, *, engine: str = "local", jobs: int | None = None) -> dict[str, Any]:
    """The one report every case of `test` is checked against: the policy evaluated on the
    file's events, as `slalang evaluate` would with the same options. ENGINE and JOBS are
    the command line's engine options; a test's events are few and read here with their
    test-file places, so the reference replay runs (in JOBS processes) whatever the engine:
    every engine gives the same report."""
    from slalang.data import load_mapping, read_events, read_metrics
    from slalang.evaluate.run import Span, evaluate, field_specs

    plan = _plan(test)
    mapping = load_mapping(test.mapping) if test.mapping is not None else None
    metrics = read_metrics(test.metrics) if isinstance(test.metrics, Path) else test.metrics
    as_of = None if test.as_of is None else datetime.fromtimestamp(test.as_of, UTC)
    if test.rows is not None:
        data = "".join(json.dumps(row) + "\n" for row in test.rows).encode("utf-8")
        log = read_events(
            ["-"],
            field_specs(plan),
            plan["events"],
            mapping,
            as_of=as_of,
            stdin=io.BytesIO(data),
            default_timezone=plan["policy"]["timezone"],
        )
    else:
        assert test.events_file is not None  # the schema asks for one or the other
        if not test.events_file.is_file():
            raise TestFileError(
                f"{test.path}: events file `{test.events_file.as_posix()}` does not exist"
            )
        log = read_events(
            [str(test.events_file)],
            field_specs(plan),
            plan["events"],
            mapping,
            as_of=as_of,
            default_timezone=plan["policy"]["timezone"],
        )
    _warn_input(test, log)
    span = Span(test.start, test.end)
    return evaluate(plan, log, as_of=test.as_of, span=span, metrics=metrics, jobs=jobs or 1)


def _plan(test: TestFile) -> dict[str, Any]:
    """The policy checked and compiled (or a compiled plan read). Its warnings are left to
    `slalang check`: repeating them for every test file would bury the results."""
    from slalang.check import check
    from slalang.diagnostics import Level
    from slalang.load import load
    from slalang.plan import compile_program, loads

    if not test.policy.is_file():
        raise TestFileError(f"{test.path}: policy `{test.policy.as_posix()}` does not exist")
    if test.policy.suffix == ".json":
        try:
            return loads(read_text(test.policy))
        except OSError as exc:
            raise TestFileError(f"{test.policy}: cannot read the plan: {exc.strerror}") from None
    program = load(test.policy)
    errors = [d for d in check(program) if d.level is Level.ERROR]
    if errors:
        raise PolicyError(errors)
    return compile_program(program)


def _warn_input(test: TestFile, log: Any) -> None:
    """Unused rows in a test are nearly always a mistake in the test: say where they are."""
    stats = log.stats
    for kind, count in sorted(stats.unknown_events.items()):
        click.echo(
            f"warning: {test.path}: event type `{kind}` is not declared by the policy; "
            f"{count} event{'s' if count != 1 else ''} ignored",
            err=True,
        )
    for example in stats.rejected_examples:
        place = _row_place(test, example.file, example.line)
        click.echo(f"warning: {place}: row rejected: {example.reason}: {example.detail}", err=True)
    for bad in stats.bad_value_examples:
        place = _row_place(test, bad.file, bad.line)
        click.echo(
            f"warning: {place}: bad value of `{bad.field}`: {bad.reason}: `{bad.value}`", err=True
        )


def _row_place(test: TestFile, file: str, line: int) -> str:
    """Where an input row is: its place in the test file for inline events."""
    if test.rows is not None and 0 < line <= len(test.row_lines):
        return f"{test.path}:{test.row_lines[line - 1]}: events[{line - 1}]"
    return f"{file}:{line}"


def _selected(cases: Iterable[Case], keyword: str | None) -> list[Case]:
    if keyword is None:
        return list(cases)
    return [case for case in cases if keyword.lower() in case.name.lower()]


def run_file(path: Path, keyword: str | None, **engine: Any) -> FileResult | None:
    """The selected cases of one file (None when `-k` selects none of them); a file that
    cannot be run is a result with its one-line error, so the other files still run.
    ENGINE goes to `report_of`."""
    name = path.as_posix()
    try:
        test = load_test_file(path)
        cases = _selected(test.cases, keyword)
        if not cases:
            return None
        report = report_of(test, **engine)
    except PolicyError as exc:
        _show_policy_error(exc)
        return FileResult(name, error=f"{name}: the policy has errors (shown above)")
    except SlalangError as exc:
        message = str(exc)
        return FileResult(name, error=message if message.startswith(name) else f"{name}: {message}")
    results = []
    for case in cases:
        failures = tuple(expect.check(case.expect, report))
        places = tuple(_place(name, case.line_of(f.expected)) for f in failures)
        results.append(CaseResult(case.name, failures, places))
    return FileResult(name, tuple(results))


def _place(name: str, line: int | None) -> str:
    return f"{name}:{line}" if line is not None else name


def _show_policy_error(exc: PolicyError) -> None:
    from slalang.render.diagnostics import render_text

    sources: dict[str, str] = {}
    for d in exc.diagnostics:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            sources.setdefault(d.span.file, read_text(d.span.file))
    click.echo(render_text(exc.diagnostics, sources), err=True, nl=False)


# ---- output ---------------------------------------------------------------------------


def _value(value: Any) -> str:
    """A value as it would be written in the test file (flow YAML), so expected and actual
    read alike."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return (
            value
            if _PLAIN.match(value) and value not in {"null", "true", "false"}
            else json.dumps(value)
        )
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return repr(value)


def _shown(entry: Mapping[str, Any], expected: Mapping[str, Any]) -> dict[str, Any]:
    """An actual entry cut to the keys that were expected, plus the keys that say which
    entry it is: a clock has a dozen keys, and the ones not asked about are noise."""
    keys = [*expected, *(k for k in _IDENTITY if entry.get(k) is not None and k not in expected)]
    return {k: entry[k] for k in keys if k in entry}


def describe(failure: expect.Mismatch) -> list[str]:
    """A failed expectation as lines: the expected entry, then the nearest actual entries
    (or the ones that must not be there), with the keys that differ spelled out."""
    wanted = expect.normalise(failure.expected)
    if failure.negated:
        return [
            f"no_{failure.section}: found an entry that must not exist",
            f"  not expected: {_value(wanted)}",
            *(f"  found:        {_value(_shown(a, wanted))}" for a in failure.nearest),
        ]
    lines = [f"{failure.section}: no entry matches", f"  expected: {_value(wanted)}"]
    if not failure.nearest:
        return [*lines, f"  (the report has no {failure.section})"]
    differing = [(actual, _differs(wanted, actual)) for actual in failure.nearest]
    fewest = min(len(keys) for _, keys in differing)
    label = "  nearest:  "
    for actual, keys in differing:
        if len(keys) == fewest:  # a runner-up that differs more only hides the answer
            lines.append(f"{label}{_value(_shown(actual, wanted))}")
            lines.append(f"            differs: {'; '.join(keys)}")
            label = "  or:       "
    return lines


def _differs(wanted: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    return [
        f"{k} (expected {_value(v)}, got {_value(actual[k]) if k in actual else 'no such key'})"
        for k, v in wanted.items()
        if not (k in actual and expect.matches(v, actual[k]))
    ]


def tally(results: Sequence[FileResult]) -> tuple[int, int]:
    cases = [case for result in results for case in result.cases]
    failed = sum(1 for case in cases if case.failures)
    return len(cases) - failed, failed


def render_text(results: Sequence[FileResult]) -> str:
    """One `PASS|FAIL  file::case` line per case, the diff under a failure, then
    `N passed, M failed`; files that could not be run are said on stderr, not here."""
    out: list[str] = []
    for result in results:
        for case in result.cases:
            out.append(f"{'FAIL' if case.failures else 'PASS'}  {result.path}::{case.name}")
            for failure, place in zip(case.failures, _places(case), strict=True):
                first, *rest = describe(failure)
                out.append(f"      {place + ': ' if place else ''}{first}")
                out.extend(f"      {line}" for line in rest)
    passed, failed = tally(results)
    out.append(f"{passed} passed, {failed} failed")
    return "\n".join(out) + "\n"


def _places(case: CaseResult) -> tuple[str, ...]:
    return case.places if len(case.places) == len(case.failures) else ("",) * len(case.failures)


def render_junit(results: Sequence[FileResult]) -> str:
    """JUnit XML: one testsuite per test file, one testcase per case; the failure text is
    the same readable diff the text output shows. A file that could not be run is a
    testsuite with one errored testcase, so CI shows it rather than nothing."""
    passed, failed = tally(results)
    errors = sum(1 for r in results if r.error)
    root = ET.Element(
        "testsuites",
        name="slalang test",
        tests=str(passed + failed + errors),
        failures=str(failed),
        errors=str(errors),
    )
    for result in results:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=result.path,
            tests=str(len(result.cases) or 1),
            failures=str(sum(1 for c in result.cases if c.failures)),
            errors="1" if result.error else "0",
        )
        if result.error:
            case_el = ET.SubElement(suite, "testcase", classname=result.path, name="(test file)")
            ET.SubElement(case_el, "error", message=result.error).text = result.error
        for case in result.cases:
            case_el = ET.SubElement(suite, "testcase", classname=result.path, name=case.name)
            if case.failures:
                n = len(case.failures)
                failure = ET.SubElement(
                    case_el, "failure", message=f"{n} expectation{'s' if n != 1 else ''} not met"
                )
                failure.text = "\n".join(line for f in case.failures for line in describe(f))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
