"""`slalang data check`: the profile of an export against a mapping and a policy, and its
exit codes (1 when rows would be rejected or a field the policy reads is never set)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Writer, invoke

POLICY = """\
agreement "Check" {
  version "1"
  effective 2026-01-01
  timezone "America/New_York"
  party marketing "Marketing"
  party sales "Sales"
}
events form_submitted, won
field sdr: text
field size: number
stage lead on form_submitted
stage customer on won
target wins { owner sales  monthly by sdr: count(entering customer) >= 1 }
target big { owner marketing  monthly: count(entering lead where size >= 100) >= 1 }
"""

MAPPING = """\
sources:
  - name: leads
    files: "leads*.csv"
    columns: {lead_id: "Record ID"}
    timezone: America/New_York
    timestamp_format: "%m/%d/%Y"
    date_columns: {"Create Date": form_submitted}
    fields: {"Company size": size}
  - name: deals
    files: "deals*.csv"
    columns: {lead_id: "Record ID"}
    date_columns: {"Close Date": won}
    fields: {Owner: sdr}
"""

LEADS = """\
Record ID,Create Date,Company size,Source
1,03/02/2026,120,ads
2,03/03/2026,x,ads
3,,,ads
"""
DEALS = "Record ID,Close Date,Owner,Amount\n1,2026-03-09T15:00:00Z,ana,100\n"


def files(write: Writer, leads: str = LEADS) -> list[str]:
    return [
        str(write("policy.sla", POLICY)),
        str(write("leads.csv", leads)),
        str(write("deals.csv", DEALS)),
        "--mapping",
        str(write("mapping.yaml", MAPPING)),
    ]


def test_the_profile_shows_sources_columns_types_zones_and_rejections(write: Writer) -> None:
    out = invoke(["data", "check", *files(write)], 1).stdout
    assert "source leads: 1 file, 3 rows" in out
    assert "source deals: 1 file, 1 row" in out
    assert (
        "local times read in `America/New_York` (the mapping's `timezone`); timestamps read as "
        "`%m/%d/%Y`, then ISO-8601; a date alone is local midnight"
    ) in out
    assert (
        "local times read in `America/New_York` (the agreement's zone: neither the mapping "
        "nor --timezone names one)"
    ) in out
    assert (
        "columns mapped: `Record ID` → lead_id, `Create Date` → `form_submitted` events, "
        "`Company size` → field `size`"
    ) in out
    assert "columns unmapped: `Source`" in out
    assert "columns unmapped: `Amount`" in out
    assert "  form_submitted: 2\n  won: 1\n" in out, "a bad size does not cost lead 2 its event"
    assert "leads: 2; events from 2026-03-02T05:00:00Z to 2026-03-09T15:00:00Z" in out
    assert "bad values (the events are used, the field left unchanged):\n" in out
    assert "  size: bad_number: 1\n    " in out and "leads.csv:3: `x`\n" in out
    assert "  no_dates: 1\n" in out
    assert out.endswith(
        "2 problems:\n  1 row would be rejected\n"
        "  1 bad value (the events are used, those fields left unchanged)\n"
    )
    assert "warning:" not in out, "a week apart is not a different range"


def test_sources_covering_different_date_ranges_are_warned_about(write: Writer) -> None:
    leads = "Record ID,Create Date,Company size,Source\n1,01/02/2026,120,ads\n"
    deals = "Record ID,Close Date,Owner,Amount\n1,2026-06-09T15:00:00Z,ana,100\n"
    args = files(write, leads)
    write("deals.csv", deals)
    out = invoke(["data", "check", *args], 0).stdout
    assert (
        "warning: the sources cover different date ranges (`leads` 2026-01-02 to 2026-01-02; "
        "`deals` 2026-06-09 to 2026-06-09); no period has events from every source"
    ) in out
    deals = "Record ID,Close Date,Owner,Amount\n1,2026-01-09T15:00:00Z,ana,100\n"
    deals += "2,2026-06-09T15:00:00Z,ana,100\n"
    write("deals.csv", deals)
    out = invoke(["data", "check", *args], 0).stdout
    assert "periods outside 2026-01-09 to 2026-01-02" not in out
    assert (
        "(`leads` 2026-01-02 to 2026-01-02; `deals` 2026-01-09 to 2026-06-09); no period"
    ) in out


def test_a_clean_export_exits_0(write: Writer) -> None:
    leads = "Record ID,Create Date,Company size,Source\n1,03/02/2026,120,ads\n"
    out = invoke(["data", "check", *files(write, leads)], 0).stdout
    assert "rejected rows: none" in out
    assert "  sdr: 1\n  size: 1\n" in out
    assert out.endswith("no problems found\n")


def test_a_field_the_policy_reads_but_nothing_sets_exits_1(write: Writer) -> None:
    leads = "Record ID,Create Date,Source\n1,03/02/2026,ads\n"
    out = invoke(["data", "check", *files(write, leads)], 1).stdout
    assert "  size: 0  (never set; the policy reads it)" in out
    assert out.endswith("1 problem:\n  the policy reads the field `size` but no event sets it\n")


def test_undeclared_event_types_are_listed(write: Writer) -> None:
    policy = write("p.sla", POLICY)
    events = write(
        "events.csv", "lead_id,timestamp,event,sdr,size\n1,2026-03-02T10:00:00Z,call,a,1\n"
    )
    out = invoke(["data", "check", str(policy), str(events)], 1).stdout
    assert "  form_submitted: 0  (never seen)" in out
    assert "  `call`: 1  (not declared by the policy: ignored)" in out


def test_unusable_input_exits_2_with_one_line(write: Writer, tmp_path: Path) -> None:
    args = files(write)
    other = write("other.csv", LEADS)
    result = invoke(["data", "check", args[0], str(other), *args[3:]], 2)
    assert result.stderr.count("\n") == 1
    assert "other.csv: the file name matches no source of" in result.stderr
    missing = invoke(["data", "check", args[0], str(tmp_path / "nope.csv")], 2)
    assert "nope.csv: cannot read events: no such file" in missing.stderr


def test_columns_the_mapping_names_but_the_file_lacks_are_listed(write: Writer) -> None:
    leads = "Record ID,Create Date,Employees,Source\n1,03/02/2026,120,ads\n"
    out = invoke(["data", "check", *files(write, leads)], 1).stdout
    assert "columns unmapped: `Employees`, `Source`" in out
    assert "columns the mapping names but the file lacks: `Company size`" in out
    assert "the policy reads the field `size` but no event sets it" in out


def test_a_column_found_by_a_loose_match_is_mapped_and_said(write: Writer) -> None:
    """`Company size` in the mapping reads the header's `company_size`, `RECORD-ID` is the
    lead id: data check shows them mapped and says which were matched loosely."""
    leads = "RECORD-ID,create_date,company_size,Source\n1,03/02/2026,120,ads\n"
    out = invoke(["data", "check", *files(write, leads)], 0).stdout
    assert (
        "columns mapped: `RECORD-ID` → lead_id, `create_date` → `form_submitted` events, "
        "`company_size` → field `size`" in out
    )
    assert "columns unmapped: `Source`" in out
    assert (
        "columns matched loosely (case, spaces, `_` and `-` set aside): `RECORD-ID` as "
        "`Record ID`, `create_date` as `Create Date`, `company_size` as `Company size`" in out
    )
    assert "lacks" not in out
    assert "size: 1" in out


def test_two_columns_matching_one_name_loosely_are_one_line_naming_both(write: Writer) -> None:
    leads = "Record ID,Create Date,Company Size,company-size\n1,03/02/2026,120,130\n"
    result = invoke(["data", "check", *files(write, leads)], 2)
    assert result.stderr.count("\n") == 1
    assert (
        "leads.csv: the columns `Company Size` and `company-size` both match `Company size` "
        "once case, spaces, `_` and `-` are set aside; name the one to read exactly in the "
        "mapping" in result.stderr
    )


def test_a_preset_shows_which_of_its_targets_the_policy_lacks(write: Writer) -> None:
    contacts = write(
        "contacts.csv", "Record ID,Create Date,Contact owner\n7,2026-03-02 09:15,Ana\n"
    )
    out = invoke(
        [
            "data",
            "check",
            str(write("p.sla", POLICY)),
            str(contacts),
            "--mapping",
            "hubspot",
            "--timezone",
            "UTC",
        ],
        1,
    ).stdout
    assert "`Create Date` → `lead_created` events (not declared: counted as unknown)" in out
    assert "`Contact owner` → field `lead_owner` (not declared: ignored)" in out
    assert "  `lead_created`: 1  (not declared by the policy: ignored)" in out
