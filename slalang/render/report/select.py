"""Report rendering, before any format: a report cut down to some rules or owners
(`--rule NAME`, `--owner NAME`, RUNNER §6.7), so a team reads only what it answers for.

The result has the report's own shape (it still validates against the schema): the SLA
rows and clocks of the chosen SLAs, the chosen target rows, and the violations of the
chosen rules. Input accounting, policy and `as_of` are the whole run's.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from slalang.diagnostics import SlalangError
from slalang.render.report.json_text import Entries

Row = Mapping[str, Any]


def rule_owners(plan: Mapping[str, Any]) -> dict[str, str | None]:
    """Every rule a report can name (SLAs, targets, handoffs by their stage) → its owner."""
    owners: dict[str, str | None] = {sla["name"]: sla["owner"] for sla in plan["slas"]}
    owners |= {target["name"]: target["owner"] for target in plan["targets"]}
    for stage in plan["stages"]:
        if stage.get("handoff"):
            owners[stage["name"]] = stage["handoff"]["owner"]
    return owners


def _unknown(kind: str, given: Collection[str], known: Collection[str]) -> None:
    for name in given:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            listed = ", ".join(sorted(known)) or "none"
            raise SlalangError(f"--{kind} `{name}`: no such {kind} in the policy ({listed}){hint}")


def select(
    report: Mapping[str, Any],
    plan: Mapping[str, Any],
    rules: Collection[str] = (),
    owners: Collection[str] = (),
) -> dict[str, Any]:
    """The report limited to `rules` and to rules owned by `owners` (both when both are
    given); either empty means no limit. An unknown name is a one-line error."""
    owner_of = rule_owners(plan)
    _unknown("rule", rules, owner_of)
    _unknown("owner", owners, {o for o in owner_of.values() if o is not None})
    kept = {
        rule
        for rule, owner in owner_of.items()
        if (not rules or rule in rules) and (not owners or owner in owners)
    }
    return dict(report) | {
        "clocks": _kept(report["clocks"], lambda clock: clock["sla"] in kept),
        "violations": _kept(report["violations"], lambda violation: violation["rule"] in kept),
        "slas": [row for row in report["slas"] if row["sla"] in kept],
        "targets": [row for row in report["targets"] if row["target"] in kept],
    }


def _kept(entries: Iterable[Row], keep: Callable[[Row], bool]) -> list[Row] | Entries:
    """The entries `keep` accepts: a list of a list, a lazy view of lazy `Entries` (a
    streamed report's, which would otherwise be made whole here)."""
    if isinstance(entries, Entries):
        return entries.where(keep)
    return [entry for entry in entries if keep(entry)]
