"""A few leads' timelines read again by the columnar reader (`slalang.engine.leads`): the
reference reader's events for them, so that every engine's HTML page embeds the same
stories. `tests/engine/test_reader.py`'s `read_both` checks every lead of every file the
reader tests read (hostile CSV, JSON Lines, gzip, several files and sources); these are the
inputs it does not see, and what the reports make of it."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from slalang.api import load_policy
from slalang.cli import cli
from slalang.data import Mapping, read_events
from slalang.engine import choose, local, reader
from slalang.engine.leads import LeadReader, Wanted
from slalang.engine.reader import ColumnarReader
from tests.data.util import EVENTS, FIELDS, HEADER
from tests.engine.test_reader import assert_same_timelines, read_both

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    "L1,2026-03-01T10:00:00Z,form_submitted,E1,smb,12,VP,yes,2026-01-02",
    "L2,2026-03-01T11:00:00Z,page_view,E2,,,,,",
    "L1,2026-03-01T10:00:00Z,page_view,E3,,,CTO,,",  # a tie with line 2: input order decides
    "L3,not a time,page_view,E4,,,,,",  # rejected
    "L1,2026-03-02T09:00:00Z,sales_touch,E1,,,,,",  # a repeated id: dropped
    "L2,2026-03-02T09:30:00Z,demo_request,E5,mid,oops,,,",  # a bad cell keeps its event
    "L3,2026-03-03T08:00:00Z,mql_marked,E6,enterprise,300,,no,",
]


def _csv(tmp_path: Path, rows: list[str] = ROWS) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _timelines(paths: list[str], wanted: Wanted, **options: object) -> dict[str, list]:
    reader = LeadReader(FIELDS, EVENTS, options.get("mapping"), None, None, block=64)
    reader.wanted = wanted
    return reader.timelines(paths)


def test_only_the_leads_asked_for_are_kept(tmp_path: Path) -> None:
    path = str(_csv(tmp_path))
    log = read_events([path], FIELDS, EVENTS)
    found = _timelines([path], Wanted(frozenset({"L1", "L3", "L9"})))
    assert_same_timelines(found, {lead: log.leads[lead] for lead in ("L1", "L3")})
    assert [(e.line, e.type) for e in found["L1"]] == [(2, "form_submitted"), (4, "page_view")]
    [bad_cell] = _timelines([path], Wanted(frozenset({"L2"})))["L2"][1:]
    assert bad_cell.fields == {"segment": "mid"}  # the unreadable size is left out, the event kept


def test_the_blocks_without_the_lead_are_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`explain` wants one lead: the blocks in which its id's bytes do not occur are counted
    and passed over, never split, and its events are still the reference reader's, lines
    included. An id its CSV cell quotes (here a comma in it) is not written as it is, so
    every block is split to look for it."""
    rows = [f"L{k},2026-03-01T10:{k % 60:02d}:00Z,page_view,E{k},,,,," for k in range(200)]
    rows[150] = '"L,150",2026-03-02T10:00:00Z,form_submitted,E150,smb,12,VP,yes,2026-01-02'
    path = str(_csv(tmp_path, rows))
    log = read_events([path], FIELDS, EVENTS)
    split: list[int] = []
    real = reader._split
    monkeypatch.setattr(
        reader, "_split", lambda block, options: split.append(len(block)) or real(block, options)
    )
    splits = {}
    for lead in (None, "L7", "L,150"):
        split.clear()
        if lead is None:
            list(ColumnarReader(FIELDS, EVENTS, None, None, None, block=64).read([path]))
        else:
            found = _timelines([path], Wanted(frozenset({lead})))
            assert_same_timelines(found, {lead: log.leads[lead]})
        splits[lead] = len(split)
    assert [event.line for event in _timelines([path], Wanted(frozenset({"L7"})))["L7"]] == [9]
    # a block of 64 bytes holds a line or two: only L7, L70 to L79 and L170 to L179 hold "L7"
    assert 0 < splits["L7"] <= 23 < splits[None] == splits["L,150"]


def test_a_wide_export_reads_as_the_reference_reads_it(tmp_path: Path) -> None:
    """One row makes several events (date columns): the reference row loop reads them, and
    they are set aside with their lines."""
    path = tmp_path / "contacts.csv"
    path.write_text(
        "id,segment,visited,touched\n"
        "L1,smb,2026-03-01T08:00:00Z,2026-03-01T08:00:00Z\n"
        "L2,mid,2026-03-02T08:00:00Z,\n"
        "L1,,,2026-03-04T08:00:00Z\n",
        encoding="utf-8",
    )
    mapping = Mapping(
        columns={"lead_id": "id"}, date_columns={"visited": "page_view", "touched": "sales_touch"}
    )
    read_both([str(path)], block=64, mapping=mapping)  # it compares every lead's timeline


def test_parquet_rows_are_numbered_by_their_position(tmp_path: Path) -> None:
    """A Parquet row's line is its 1-based position: the CSV's line less its header."""
    csv_path = _csv(tmp_path)
    parquet = tmp_path / "events.parquet"
    options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(HEADER.strip().split(","), pa.string())
    )
    pq.write_table(pacsv.read_csv(csv_path, convert_options=options), parquet, row_group_size=3)
    everyone = Wanted(frozenset({"L1", "L2", "L3"}))
    from_csv = _timelines([str(csv_path)], everyone)
    from_parquet = _timelines([str(parquet)], everyone)
    assert list(from_parquet) == list(from_csv) == ["L1", "L2", "L3"]
    for lead, timeline in from_csv.items():
        moved = [e._replace(seq=0, line=e.line - 1, file=str(parquet)) for e in timeline]
        assert [e._replace(seq=0) for e in from_parquet[lead]] == moved


@pytest.mark.parametrize("engine", ["local", "reference"])
def test_every_format_names_the_exports_id_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    """A mapping renaming the lead id column: `leads` writes the export's name on every
    engine, and the HTML page embeds the same stories (the local engine reads them again
    through the mapping)."""
    sample = ROOT / "samples" / "seed_funnel"
    events = (sample / "events.csv").read_text(encoding="utf-8")
    renamed = tmp_path / "contacts.csv"
    renamed.write_text(events.replace("lead_id,", "Contact ID,", 1), encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text('columns:\n  lead_id: "Contact ID"\n', encoding="utf-8")
    monkeypatch.setattr(choose, "SMALL", 0)
    outputs = {}
    for fmt in ("leads", "html"):
        out = tmp_path / f"{engine}.{fmt}"
        arguments = ["evaluate", str(ROOT / "policies" / "seed_funnel.sla"), str(renamed)]
        arguments += ["--mapping", str(mapping), "--metrics", str(sample / "metrics.csv")]
        arguments += ["--engine", engine, "--format", fmt, "-o", str(out)]
        result = CliRunner().invoke(cli, arguments)
        assert result.exit_code == 1, result.output
        outputs[fmt] = out.read_text(encoding="utf-8")
    assert outputs["leads"].startswith("Contact ID,slalang_stage,")
    policy = load_policy(ROOT / "policies" / "seed_funnel.sla")
    reference = policy.evaluate(
        str(renamed), mapping=str(mapping), metrics=str(sample / "metrics.csv"), engine="reference"
    )
    assert outputs["html"] == reference.render("html", hide_empty=True)
    assert outputs["html"].count('<template id="timeline-') > 10


@pytest.mark.parametrize(
    "args",
    [
        ["--lead", "L00042"],
        ["--lead", "L0040", "--format", "json"],  # a unique prefix
        ["--lead", "L00042", "--as-of", "2026-02-01T00:00:00Z"],
        ["--lead", "L0X001"],  # none: the nearest ids suggested
        ["--lead", "L000"],  # several
    ],
)
def test_explain_reads_a_large_input_as_the_reference_reader_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """On an input the local engine reads, `explain` counts it on every core and reads the
    one lead's events again, holding neither: the same story, warnings and errors."""
    events = tmp_path / "events.csv"
    lines = (ROOT / "samples" / "seed_funnel" / "events.csv").read_text("utf-8").splitlines(True)
    events.write_text("".join([*lines, *lines[1:60:4], "L00042,later,page_view,E9,,,,,,,,,\n"]))
    read_again: list[object] = []
    spied = local.lead_timelines
    monkeypatch.setattr(
        local, "lead_timelines", lambda *a, **k: read_again.append(k["leads"]) or spied(*a, **k)
    )
    outputs = []
    for small in (1 << 40, 0):
        monkeypatch.setattr(choose, "SMALL", small)
        policy = str(ROOT / "policies" / "seed_funnel.sla")
        result = CliRunner().invoke(cli, ["explain", policy, str(events), *args])
        outputs.append((result.exit_code, result.stdout, result.stderr))
    assert outputs[0] == outputs[1]
    assert outputs[0][2].count("warning:") >= 2  # undeclared types, the rejected row
    assert read_again == ([] if outputs[0][0] else [[args[1].ljust(6, "0")]])


def test_explain_reads_parquet_as_the_same_rows_in_csv(tmp_path: Path) -> None:
    """Parquet is read by the local engine alone: `explain` on it used to be refused. The
    story is the CSV's (its JSON form names no input line; a Parquet row's line is its
    position, a CSV row's one more, for the header)."""
    sample = ROOT / "samples" / "seed_funnel" / "events.csv"
    names = sample.read_text("utf-8").split("\n", 1)[0].split(",")
    options = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    parquet = tmp_path / "events.parquet"
    pq.write_table(pacsv.read_csv(sample, convert_options=options), parquet, row_group_size=500)
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    told = {}
    for path in (sample, parquet):
        arguments = ["explain", policy, str(path), "--lead", "L00042", "--format", "json"]
        result = CliRunner().invoke(cli, arguments)
        assert result.exit_code == 0, result.output
        told[path.suffix] = result.stdout
    assert told[".parquet"] == told[".csv"]
    assert '"lead_id": "L00042"' in told[".csv"]


def test_a_report_without_violations_reads_nothing_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(choose, "SMALL", 0)
    path = _csv(tmp_path, ROWS[1:2])

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the input was read again")

    report = load_policy(ROOT / "policies" / "seed_funnel.sla").evaluate(str(path))
    monkeypatch.setattr(local, "lead_timelines", never)
    assert report.events_of is not None and not report.violations
    assert "<!DOCTYPE html>" in report.render("html")
