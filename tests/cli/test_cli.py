"""The command line: every command, output format and exit code (RUNNER §2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import POLICIES, Writer, invoke

VALID = """\
events form_submitted, sales_touch
field segment: one of "smb", "enterprise"
stage lead on form_submitted
sla first_touch {
  owner sales
  start when entering lead
  stop on sales_touch
  within 2 hours when segment = "enterprise"
  within 1 day otherwise
}
"""

UNKNOWN_FIELD = VALID.replace('when segment = "enterprise"', 'when segmnt = "enterprise"')
UNUSED_EVENT = VALID.replace(
    "events form_submitted, sales_touch", "events form_submitted, sales_touch, webinar"
)


def test_check_clean_policy_exits_0(write: Writer) -> None:
    path = write("ok.sla", VALID)
    result = invoke(["check", str(path)], 0)
    assert result.stdout == ""
    assert "no problems found" in result.stderr


def test_check_error_exits_1_with_ruff_style_text(write: Writer) -> None:
    path = write("bad.sla", UNKNOWN_FIELD)
    result = invoke(["check", str(path)], 1)
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{path}:8:")
    assert "error[SLA" in lines[0] and "unknown field `segmnt`" in lines[0]
    assert lines[2] == '8 |   within 2 hours when segmnt = "enterprise"'
    assert lines[3].index("^") == lines[2].index("segmnt")
    assert "segment" in result.stdout  # did you mean
    assert "1 error" in result.stderr


def test_check_warning_passes_unless_strict(write: Writer) -> None:
    path = write("warn.sla", UNUSED_EVENT)
    result = invoke(["check", str(path)], 0)
    assert "warning[" in result.stdout and "`webinar`" in result.stdout
    invoke(["check", "--strict", str(path)], 1)


def test_check_json_format(write: Writer) -> None:
    path = write("bad.sla", UNKNOWN_FIELD)
    document = json.loads(invoke(["check", "--format", "json", str(path)], 1).stdout)
    assert document["valid"] is False and document["error_count"] == 1
    [diagnostic] = [d for d in document["diagnostics"] if d["severity"] == "error"]
    assert diagnostic["line"] == 8 and diagnostic["file"] == str(path)
    assert diagnostic["code"].startswith("SLA2")


def test_check_github_annotations(write: Writer) -> None:
    path = write("bad.sla", UNKNOWN_FIELD)
    out = invoke(["check", "--format", "github", str(path)], 1).stdout
    [line] = [x for x in out.splitlines() if x.startswith("::error ")]
    assert f"file={path}," in line and ",line=8," in line
    assert line.split("::", 2)[2].startswith("unknown field `segmnt`")


def test_check_sarif_has_one_rule_per_code(write: Writer) -> None:
    bad = write("bad.sla", UNKNOWN_FIELD)
    warn = write("warn.sla", UNUSED_EVENT)
    sarif = json.loads(invoke(["check", "--format", "sarif", str(bad), str(warn)], 1).stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert {r["ruleId"] for r in run["results"]} == set(rule_ids)
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"}
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    # a rule is described by what its code means, not by the first finding's message
    from slalang.codes import CODES

    for rule in run["tool"]["driver"]["rules"]:
        assert rule["shortDescription"]["text"] == CODES[rule["id"]]
    assert {r["message"]["text"].split("\n")[0] for r in run["results"]} - set(CODES.values())


def test_check_directory_checks_shared_files_through_their_importers(write: Writer) -> None:
    write("repo/shared.sla", "events form_submitted, sales_touch\nstage lead on form_submitted\n")
    write(
        "repo/main.sla",
        'import "shared.sla"\nsla s {\n  start when entering lead\n  stop on sales_touch\n'
        "  within 1 hour\n}\n",
    )
    invoke(["check", str(Path(write("repo/x.txt", "")).parent)], 0)


def test_check_empty_directory_exits_2(tmp_path: Path) -> None:
    result = invoke(["check", str(tmp_path)], 2)
    assert "no .sla files" in result.stderr


def test_fmt_check_and_diff_and_rewrite(write: Writer) -> None:
    path = write("messy.sla", "events   a,b\nstage lead on a\n")
    tidy = write("tidy.sla", "events a, b\nstage lead on a\n")
    result = invoke(["fmt", "--check", str(path), str(tidy)], 1)
    assert f"would reformat {path}" in result.stderr
    assert "1 file would be reformatted, 1 file already formatted" in result.stderr
    diff = invoke(["fmt", "--diff", str(path)], 1)  # as `ruff format --diff`: 1 on a change
    assert "-events   a,b" in diff.stdout and "+events a, b" in diff.stdout
    assert path.read_text() == "events   a,b\nstage lead on a\n"  # --diff changes nothing
    assert invoke(["fmt", "--diff", str(tidy)], 0).stdout == ""
    rewritten = invoke(["fmt", str(path), str(tidy)], 0)
    assert "1 file reformatted, 1 file left unchanged" in rewritten.stderr
    assert path.read_text() == "events a, b\nstage lead on a\n"
    clean = invoke(["fmt", "--check", str(path), str(tidy)], 0)
    assert clean.stderr == "2 files already formatted\n"


def test_fmt_stdin_to_stdout() -> None:
    result = invoke(["fmt", "-"], 0, input="events   a,b\n")
    assert result.stdout == "events a, b\n"


def test_fmt_syntax_error_exits_2(write: Writer) -> None:
    path = write("broken.sla", "events a b\n")
    result = invoke(["fmt", str(path)], 2)
    assert "SLA105" in result.stderr


def test_compile_to_stdout_and_file(write: Writer, tmp_path: Path) -> None:
    path = write("ok.sla", VALID)
    plan = json.loads(invoke(["compile", str(path)], 0).stdout)
    assert plan["format_version"] and plan["digest"].startswith("sha256:")
    out = tmp_path / "plan.json"
    invoke(["compile", str(path), "-o", str(out)], 0)
    assert json.loads(out.read_text()) == plan


def test_compile_invalid_policy_exits_2(write: Writer) -> None:
    path = write("bad.sla", UNKNOWN_FIELD)
    result = invoke(["compile", str(path)], 2)
    assert "unknown field `segmnt`" in result.stderr
    assert result.stdout == ""


def test_compile_example_policy() -> None:
    invoke(["compile", str(POLICIES / "acme.sla")], 0)


@pytest.mark.parametrize("command", ["check", "fmt", "compile"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    assert "Example" in invoke([command, "--help"], 0).stdout


def test_unknown_option_exits_2() -> None:
    result = invoke(["check", "--format", "xml", "x.sla"], 2)
    assert "xml" in result.stderr


def test_version() -> None:
    assert "slalang" in invoke(["--version"], 0).stdout
