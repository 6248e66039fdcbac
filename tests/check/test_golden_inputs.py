"""The golden diagnostics inputs: small policies with one mistake each, and its code.

The rendered expected outputs belong to the CLI's golden tests; this test keeps each
input honest: it must produce the diagnostic it was written for and nothing else, so a
change in the checker that adds noise to these small policies is noticed here first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from slalang.check import check
from slalang.diagnostics import Diagnostic, PolicyError
from slalang.load import load

CASES = Path(__file__).resolve().parents[1] / "golden" / "diagnostics"

EXPECTED: dict[str, tuple[str, ...]] = {
    "001_unexpected_character.sla": ("SLA100",),
    "002_unexpected_token.sla": ("SLA101",),
    "003_missing_brace.sla": ("SLA102",),
    "004_capitalised_name.sla": ("SLA103",),
    "005_duration_without_unit.sla": ("SLA104",),
    "006_missing_comma.sla": ("SLA105",),
    "007_reserved_word.sla": ("SLA106",),
    "008_unterminated_string.sla": ("SLA107",),
    "009_nesting_too_deep.sla": ("SLA108",),
    "010_two_score_rules_on_one_line.sla": ("SLA109",),
    "011_import_leaves_root.sla": ("SLA004",),
    "012_import_cycle.sla": ("SLA005",),
    "013_imported_file_not_found.sla": ("SLA006",),
    "014_unknown_event.sla": ("SLA201",),
    "015_unknown_stage.sla": ("SLA202",),
    "016_unknown_field.sla": ("SLA203",),
    "017_unknown_calendar.sla": ("SLA204",),
    "018_unknown_party.sla": ("SLA205",),
    "019_unknown_metric.sla": ("SLA206",),
    "020_unknown_sla.sla": ("SLA207",),
    "021_unknown_field_type.sla": ("SLA208",),
    "022_unknown_period.sla": ("SLA209",),
    "023_unknown_severity.sla": ("SLA210",),
    "024_unknown_day.sla": ("SLA211",),
    "025_invalid_timezone.sla": ("SLA212",),
    "026_unknown_holiday_country.sla": ("SLA213",),
    "027_duplicate_field.sla": ("SLA214",),
    "028_name_collision.sla": ("SLA215",),
    "029_duplicate_block_item.sla": ("SLA216",),
    "030_duplicate_option.sla": ("SLA217",),
    "031_unused_event.sla": ("SLA219",),
    "032_unused_let.sla": ("SLA219",),
    "033_number_compared_with_text.sla": ("SLA220",),
    "034_value_outside_one_of.sla": ("SLA221",),
    "035_matches_on_number.sla": ("SLA222",),
    "036_condition_expected.sla": ("SLA223",),
    "037_number_expected.sla": ("SLA224",),
    "038_let_reads_field.sla": ("SLA227",),
    "039_let_cycle.sla": ("SLA228",),
    "040_aggregate_outside_target.sla": ("SLA229",),
    "041_target_goal_not_comparison.sla": ("SLA230",),
    "042_sum_of_text_field.sla": ("SLA231",),
    "043_share_above_100.sla": ("SLA232",),
    "044_division_by_zero.sla": ("SLA233",),
    "045_invalid_regex.sla": ("SLA234",),
    "046_backtracking_regex.sla": ("SLA235",),
    "047_invalid_date.sla": ("SLA301",),
    "048_effective_until_before_start.sla": ("SLA302",),
    "049_zero_duration.sla": ("SLA303",),
    "050_business_weeks.sla": ("SLA304",),
    "051_business_duration_without_calendar.sla": ("SLA305",),
    "052_calendar_ignored.sla": ("SLA306",),
    "053_invalid_time.sla": ("SLA307",),
    "054_empty_time_range.sla": ("SLA308",),
    "055_overlapping_ranges.sla": ("SLA309",),
    "056_calendar_never_open.sla": ("SLA310",),
    "057_handoff_on_stage_never_entered.sla": ("SLA311",),
    "058_recycle_to_last_stage.sla": ("SLA312",),
    "059_goal_without_otherwise.sla": ("SLA313",),
    "060_goal_after_otherwise.sla": ("SLA314",),
    "061_warn_at_100.sla": ("SLA315",),
    "062_at_most_zero.sla": ("SLA316",),
    "063_zero_points.sla": ("SLA317",),
    "064_sla_without_stop.sla": ("SLA300",),
    "065_second_agreement.sla": ("SLA214",),
    "066_unknown_subdivision.sla": ("SLA213",),
    "067_ordering_on_text.sla": ("SLA225",),
    "068_in_list_wrong_type.sla": ("SLA220",),
    "069_presence_on_score.sla": ("SLA226",),
    "070_unknown_group_field.sla": ("SLA203",),
    "071_unknown_function.sla": ("SLA237",),
    "072_function_arity.sla": ("SLA238", "SLA238"),
    "073_round_decimals.sla": ("SLA239", "SLA239", "SLA239"),
    "074_function_argument_type.sla": ("SLA224",),
    "075_pause_without_resume.sla": ("SLA318",),
    "076_resume_without_pause.sla": ("SLA318",),
    "077_pause_twice.sla": ("SLA216",),
    "078_pause_event_also_stops.sla": ("SLA319",),
}


def diagnostics(path: Path) -> list[Diagnostic]:
    try:
        return check(load(path, display=path.name))
    except PolicyError as exc:
        return exc.diagnostics


def test_every_golden_input_is_listed() -> None:
    assert sorted(p.name for p in CASES.glob("*.sla")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_golden_input_gives_the_diagnostic_it_was_written_for(name: str) -> None:
    path = CASES / name
    assert path.read_text(encoding="utf-8").startswith("# ")
    assert [d.code for d in diagnostics(path)] == list(EXPECTED[name])
