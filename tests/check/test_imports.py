"""Two-file policies: definitions shared by import, and what goes wrong across files."""

from __future__ import annotations

from pathlib import Path

from slalang.check import check
from slalang.diagnostics import Diagnostic
from slalang.load import load, load_text
from tests.conftest import invoke

DEFINITIONS = """\
events form_submitted, sales_touch, page_view
field email: text
stage lead on form_submitted
"""

MAIN = """\
import "shared/defs.sla"
sla first_touch {
  start when entering lead
  stop on sales_touch
  within 1 day
}
"""


def run(tmp_path: Path, files: dict[str, str], entry: str = "main.sla") -> list[Diagnostic]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return check(load(tmp_path / entry, display=entry))


def test_imported_definitions_resolve_and_their_unused_names_are_not_warned(
    tmp_path: Path,
) -> None:
    # `page_view` and `email` are unused, but they belong to a shared library file
    assert run(tmp_path, {"shared/defs.sla": DEFINITIONS, "main.sla": MAIN}) == []


def test_a_duplicate_across_files_names_the_first_place(tmp_path: Path) -> None:
    main = MAIN + "field email: text\n"
    found = run(tmp_path, {"shared/defs.sla": DEFINITIONS, "main.sla": main})
    assert [(d.code, d.span.file, d.span.line, d.span.column) for d in found] == [
        ("SLA214", "main.sla", 7, 7)
    ]
    assert found[0].message == "field `email` is already declared at shared/defs.sla:2"


def test_a_collision_across_files_names_the_first_place(tmp_path: Path) -> None:
    main = MAIN + "score email { +1 per page_view }\n"
    found = run(tmp_path, {"shared/defs.sla": DEFINITIONS, "main.sla": main})
    assert [(d.code, d.span.line) for d in found] == [("SLA215", 7)]
    assert found[0].message == "score `email` has the same name as the field at shared/defs.sla:2"


def test_an_import_cycle_is_reported_at_the_import_that_closes_it(tmp_path: Path) -> None:
    files = {
        "main.sla": 'import "a.sla"\n' + MAIN.split("\n", 1)[1] + 'import "shared/defs.sla"\n',
        "a.sla": 'import "b.sla"\n',
        "b.sla": 'import "a.sla"\n',
        "shared/defs.sla": DEFINITIONS,
    }
    found = run(tmp_path, files)
    assert [(d.code, d.span.file, d.span.line, d.span.column) for d in found] == [
        ("SLA005", "b.sla", 1, 8)
    ]
    assert found[0].message == "import cycle: a.sla → b.sla → a.sla"


def test_an_import_leaving_the_root_is_reported(tmp_path: Path) -> None:
    (tmp_path / "outside.sla").write_text(DEFINITIONS, encoding="utf-8")
    files = {"policy/main.sla": 'import "../outside.sla"\n' + MAIN.split("\n", 1)[1]}
    found = run(tmp_path, files, entry="policy/main.sla")
    assert (found[0].code, found[0].span.line, found[0].span.column) == ("SLA004", 1, 8)
    # the definitions were not brought in, so the names they held are unknown too
    assert {d.code for d in found[1:]} == {"SLA201", "SLA202"}


def test_an_imported_file_may_hold_only_definitions(tmp_path: Path) -> None:
    shared = (
        DEFINITIONS + "recycle to lead on page_view\ntarget t { monthly: count(page_view) > 1 }\n"
    )
    found = run(tmp_path, {"shared/defs.sla": shared, "main.sla": MAIN})
    assert [(d.code, d.span.file, d.span.line, d.span.column) for d in found] == [
        ("SLA007", "shared/defs.sla", 4, 1),
        ("SLA007", "shared/defs.sla", 5, 1),
    ]
    assert found[0].message == "an imported file may hold only definitions, found `recycle`"
    assert found[1].message == "an imported file may hold only definitions, found `target`"


def test_an_import_no_file_system_can_name_is_a_diagnostic_not_a_crash(tmp_path: Path) -> None:
    """Found by tests/test_fuzz_language.py: a NUL character (an editor's unsaved buffer
    can hold one) or a name too long for the OS raised ValueError / OSError from the
    loader; now each is SLA006, through the loader and the command line alike."""
    cases = {
        "x\x00y.sla": "imported file `x\\x00y.sla` not found: a NUL character",
        "a" * 5000 + ".sla": "not found: file name too long",
    }
    for relative, message in cases.items():
        program = load_text(f'import "{relative}"\n', "main.sla", root=tmp_path)
        assert [d.code for d in program.diagnostics] == ["SLA006"]
        assert message in program.diagnostics[0].message
    policy = tmp_path / "long.sla"
    policy.write_text(f'import "{"a" * 5000}.sla"\n', encoding="utf-8")
    result = invoke(["check", str(policy)], 2)
    assert "error[SLA006]" in result.output and "internal error" not in result.output
