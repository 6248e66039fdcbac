"""The `junit` format: every rule a test case, failing when it has violations, so CI shows
breaches where it shows failed tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

import pytest

from slalang.render.report import junit, render_report

Report = dict[str, Any]
SUITE_KINDS = {"slas": "sla_breach", "handoffs": "handoff_incomplete", "targets": "target_missed"}


def parse(report: Report) -> ET.Element:
    text = render_report(report, "junit")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    return ET.fromstring(text)


def test_failures_match_violations_per_rule(acme: Report, hand: Report) -> None:
    for report in (acme, hand):
        root = parse(report)
        per_rule = Counter((v["kind"], v["rule"]) for v in report["violations"])
        assert [suite.get("name") for suite in root] == list(SUITE_KINDS)
        for suite in root.iter("testsuite"):
            kind = SUITE_KINDS[suite.get("name", "")]
            cases = suite.findall("testcase")
            assert suite.get("tests") == str(len(cases))
            failing = [case for case in cases if case.find("failure") is not None]
            assert suite.get("failures") == str(len(failing))
            for case in cases:
                assert case.get("classname") == f"slalang.{suite.get('name')}"
                count = per_rule[(kind, case.get("name"))]
                failure = case.find("failure")
                if count == 0:
                    assert failure is None
                    continue
                assert failure is not None
                lines = (failure.text or "").splitlines()
                assert len(lines) == count + 1  # the rule's source line, then one each
        assert root.get("failures") == str(len(per_rule))


def test_every_sla_and_target_is_a_test_case(acme: Report) -> None:
    root = parse(acme)
    slas = [case.get("name") for case in root.iterfind("testsuite[@name='slas']/testcase")]
    assert slas == [row["sla"] for row in acme["slas"]]
    targets = [case.get("name") for case in root.iterfind("testsuite[@name='targets']/testcase")]
    assert targets == list(dict.fromkeys(row["target"] for row in acme["targets"]))


def test_failure_type_is_the_highest_severity_and_names_leads(hand: Report) -> None:
    root = parse(hand)
    handoff = root.find("testsuite[@name='handoffs']/testcase[@name='mql']/failure")
    assert handoff is not None and handoff.get("type") == "warning"
    hand["violations"][2]["severity"] = "info"
    breach = parse(hand).find("testsuite[@name='slas']/testcase[@name='first_touch']/failure")
    assert breach is not None
    assert breach.get("type") == "error"
    assert breach.get("message") == "2 violations"
    assert (breach.text or "").splitlines() == [
        "policies/demo.sla:20 (owner sales)",
        "L1 due 2026-03-02T13:00:00Z: stopped 3 hours late (goal 4 hours)",
        "L2 due 2026-03-03T13:00:00Z: not stopped by the deadline: 2 days late (goal 4 hours)",
    ]


def test_properties_identify_the_policy_and_instant(hand: Report) -> None:
    for suite in parse(hand):
        properties = {p.get("name"): p.get("value") for p in suite.iterfind("properties/property")}
        assert properties["policy_digest"] == hand["policy"]["digest"]
        assert properties["as_of"] == "2026-03-31T22:00:00Z"


def test_control_characters_from_data_keep_the_xml_valid(hand: Report) -> None:
    hand["violations"][0]["lead_id"] = "L\x001"
    hand["violations"][0]["message"] = "bell\x07 <&> done"
    failure = parse(hand).find("testsuite[@name='slas']/testcase/failure")
    assert failure is not None
    assert "bell\ufffd <&> done" in (failure.text or "")


def test_a_clean_report_has_no_failures(hand: Report) -> None:
    hand["violations"] = []
    root = parse(hand)
    assert root.get("failures") == "0"
    assert root.get("tests") == str(len(hand["slas"]) + len(hand["targets"]))
    assert render_report(hand, "junit") == render_report(hand, "junit")


HOSTILE = "<b>&amp; </failure>\x00\x1b\r\n]]>\ud800 \"'"


@pytest.mark.parametrize("held", [1, 300, 1 << 22])
def test_failure_lines_are_the_text_elementtree_writes_held_or_spilled(
    hand: Report, held: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure's lines, one per violation of its rule, are written outside ElementTree
    (a rule's together, where the report mixes the rules), escaped as it escapes the
    whole text; past `HELD` characters they go to a temporary file a chunk per rule and
    come back from it rule by rule."""
    monkeypatch.setattr(junit, "HELD", held)
    many = dict(hand) | {"violations": hand["violations"] * 7}
    for number, violation in enumerate(many["violations"]):
        many["violations"][number] = violation | {"message": f"{number} {HOSTILE}"}
    text = render_report(many, "junit")
    root = ET.fromstring(text)
    for suite_name, kind in SUITE_KINDS.items():
        for case in root.iterfind(f"testsuite[@name='{suite_name}']/testcase[failure]"):
            failure = case.find("failure")
            assert failure is not None and failure.text
            rule = case.get("name")
            lines = [
                junit._line(v) for v in many["violations"] if (v["kind"], v["rule"]) == (kind, rule)
            ]
            element = ET.Element("failure")
            element.text = junit.xml_text("\n".join([failure.text.split("\n")[0], *lines]))
            assert ">" + ET.tostring(element, encoding="unicode")[len("<failure>") :] in text
