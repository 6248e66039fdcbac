"""Diff, a stage after the report: two reports on the same data → what the change does.

A policy change is reviewed like code, so a reviewer should see its effect, not just its
text: which violations appear or go away, how each SLA's compliance moves, which target
periods change status. `compare` works on two finished reports (pure data in, data out);
the renderers lay the result out for a terminal, a pull-request comment or a machine; the
`diff` command evaluates both policies on one reading of the data, the old one optionally
taken from git (`--base REV`) with every file it imports as they were at that revision.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import click

import slalang.render.report.html as html
import slalang.render.report.summary as s
from slalang import numbers as n
from slalang.diagnostics import PolicyError, SlalangError
from slalang.render.report import markdown as md

Report = Mapping[str, Any]
Row = Mapping[str, Any]
Diff = dict[str, Any]

DIFF_FORMAT_VERSION = "1.0"
POLICY_KEYS = ("name", "version", "digest", "timezone")
SLA_FIELDS = ("cycles", *s.SLA_COUNTS, "compliance")
TARGET_FIELDS = ("value", "goal", "status")
LIMIT = 50
"""Rows shown per list in the table and Markdown forms; the JSON form lists them all."""

ARROW = "\N{RIGHTWARDS ARROW}"
MORE = "\N{HORIZONTAL ELLIPSIS}"
ABSENT = n.ABSENT


# ---- comparing ---------------------------------------------------------------------------


def violation_identity(violation: Row) -> tuple[Hashable, ...]:
    """What makes two violations "the same one" across policies: the kind, the rule, whom
    or what it concerns, and for a breach the clock cycle. Timing, message and severity
    may change with the policy; those are changes to a violation, not a new one."""
    details = violation.get("details") or {}
    cycle = details.get("cycle") if violation["kind"] == "sla_breach" else None
    return (
        violation["kind"],
        violation["rule"],
        violation["lead_id"],
        violation["period"],
        violation["group"],
        cycle,
    )


def _target_key(row: Row) -> tuple[Hashable, ...]:
    return (row["target"], row["period"], row["group"])


def _match_violations(old: Iterable[Row], new: Iterable[Row]) -> tuple[list[Row], list[Row], int]:
    """Added (in the new report's order), removed (in the old report's order) and the
    number matched.

    A report lists its violations by lead (RUNNER §3: lead, then time, then rule; those of
    no lead last) and a violation's identity holds its lead, so the two lists are walked
    side by side a lead at a time and each lead's are matched on their own: only one lead's
    violations are held, whatever the reports' size (the local engine gives its lists as
    they are read from its files; 100M events have 1.7 million violations a report)."""
    added: list[Row] = []
    removed: list[Row] = []
    matched = 0
    for before, after in s.by_lead(old, new):
        gone, new_ones = _matched(before, after)
        added += new_ones
        removed += gone
        matched += len(after) - len(new_ones)
    return added, removed, matched


def _matched(old: Sequence[Row], new: Sequence[Row]) -> tuple[list[Row], list[Row]]:
    """Removed (in `old`'s order) and added (in `new`'s order) of one lead's violations.
    Identities are matched as a multiset, so a repeated identity is paired off one by one
    rather than hiding a second occurrence."""
    pool: dict[tuple[Hashable, ...], int] = {}
    for violation in old:
        key = violation_identity(violation)
        pool[key] = pool.get(key, 0) + 1
    added: list[Row] = []
    for violation in new:
        key = violation_identity(violation)
        if pool.get(key, 0) > 0:
            pool[key] -= 1
        else:
            added.append(violation)
    removed: list[Row] = []
    for violation in reversed(old):  # the unmatched ones are the last of each identity
        key = violation_identity(violation)
        if pool.get(key, 0) > 0:
            pool[key] -= 1
            removed.append(violation)
    removed.reverse()
    return removed, added


def _pairs(
    old: Sequence[Row], new: Sequence[Row], key: Callable[[Row], Hashable]
) -> list[tuple[Row | None, Row | None]]:
    """Rows paired by key: the new report's order, then rows only the old report has."""
    before = {key(row): row for row in old}
    after = {key(row): row for row in new}
    pairs: list[tuple[Row | None, Row | None]] = [(before.get(key(row)), row) for row in new]
    pairs += [(row, None) for row in old if key(row) not in after]
    return pairs


def _pick(row: Row | None, fields: Iterable[str]) -> dict[str, Any] | None:
    return None if row is None else {name: row.get(name) for name in fields}


NO_REPORT: Report = {"violations": [], "slas": [], "targets": [], "policy": {}}
"""What a policy that did not exist yet reports: nothing, so everything in the new one is
added (a pull request that adds a policy shows what it will report)."""


def compare(old: Report | None, new: Report) -> Diff:
    """The difference between two reports (RUNNER §3 shape) as data; `old` is None when
    the policy is new (`policy.old` is then None too).

    `violations.added`/`removed` hold the full violations; `slas` has every SLA of either
    report with `before`/`after` counts (None where a report lacks it); `targets` has only
    the target rows (target, period, group) whose value, goal or status differ.
    """
    is_new = old is None
    if old is None:
        old = NO_REPORT
    added, removed, kept = _match_violations(old["violations"], new["violations"])
    slas = []
    for before, after in _pairs(old["slas"], new["slas"], lambda row: row["sla"]):
        name = (after or before or {})["sla"]
        b, a = _pick(before, SLA_FIELDS), _pick(after, SLA_FIELDS)
        slas.append({"sla": name, "before": b, "after": a, "changed": a != b})
    targets = []
    for before, after in _pairs(old["targets"], new["targets"], _target_key):
        b, a = _pick(before, TARGET_FIELDS), _pick(after, TARGET_FIELDS)
        if a == b:
            continue
        row = after or before or {}
        targets.append(
            {
                "target": row["target"],
                "period": row["period"],
                "group": row["group"],
                "before": b,
                "after": a,
                "status_changed": (b or {}).get("status") != (a or {}).get("status"),
            }
        )
    policies = {side: _pick(r["policy"], POLICY_KEYS) for side, r in (("old", old), ("new", new))}
    if is_new:
        policies["old"] = None
    differs = [k for k in POLICY_KEYS if old["policy"].get(k) != new["policy"].get(k)]
    changes = added or removed or targets or any(row["changed"] for row in slas)
    diff: Diff = {
        "format_version": DIFF_FORMAT_VERSION,
        "changed": bool(is_new or changes),
        "summary": "",
        "as_of": new["as_of"],
        "policy": {**policies, "differs": differs},
        "violations": {"added": added, "removed": removed, "unchanged": kept},
        "slas": slas,
        "targets": targets,
    }
    diff["summary"] = summarize(diff)
    return diff


# ---- words -------------------------------------------------------------------------------


def summarize(diff: Diff) -> str:
    """One sentence a reviewer may stop at: violations added and removed, compliance that
    moved, target periods that changed status."""
    parts = ["new policy"] if diff["policy"]["old"] is None else []
    added, removed = diff["violations"]["added"], diff["violations"]["removed"]
    if added or removed:
        parts.append(f"{n.plural(len(added), 'violation')} added, {n.count(len(removed))} removed")
    for row in diff["slas"]:
        before, after = row["before"], row["after"]
        if before is None:
            parts.append(f"new SLA {s.printable(row['sla'])}")
        elif after is None:
            parts.append(f"SLA {s.printable(row['sla'])} removed")
        elif before["compliance"] != after["compliance"]:
            parts.append(
                f"{s.printable(row['sla'])} compliance {n.percent(before['compliance'])} "
                f"{ARROW} {n.percent(after['compliance'])}"
            )
    statuses = sum(1 for row in diff["targets"] if row["status_changed"])
    if statuses:
        periods = "target period" if statuses == 1 else "target periods"
        parts.append(f"{n.count(statuses)} {periods} changed status")
    values = len(diff["targets"]) - statuses
    if values:
        parts.append(
            f"{n.count(values)} other target {'value' if values == 1 else 'values'} changed"
        )
    if not parts and any(row["changed"] for row in diff["slas"]):
        parts.append("SLA clock counts changed")
    return "; ".join(parts) if parts else "no changes"


def policy_note(diff: Diff) -> str:
    """What differs between the two policies' name, version and digest ('' when none)."""
    old, new = diff["policy"]["old"], diff["policy"]["new"]
    if old is None:  # a new policy: the summary says so, and there is nothing to compare
        return ""
    notes = []
    for key in diff["policy"]["differs"]:
        show = s.short_digest if key == "digest" else str
        before = ABSENT if old[key] is None else show(old[key])
        after = ABSENT if new[key] is None else show(new[key])
        notes.append(f"{key} {s.printable(before)} {ARROW} {s.printable(after)}")
    return ("policies differ: " + ", ".join(notes)) if notes else ""


def _change(before: str, after: str) -> str:
    return before if before == after else f"{before} {ARROW} {after}"


def _sla_cells(row: Row) -> list[str]:
    before, after = row["before"] or {}, row["after"] or {}

    def cell(name: str, show: Callable[[Any], str]) -> str:
        b = show(before[name]) if before else ABSENT
        a = show(after[name]) if after else ABSENT
        return _change(b, a)

    return [
        cell("compliance", n.percent),
        *(cell(name, n.count) for name in ("cycles", "met", "late", "missed", "pending")),
    ]


def _target_cells(row: Row) -> list[str]:
    def side(values: Row | None) -> tuple[str, str]:
        if values is None:
            return ABSENT, ABSENT
        shown = s.target_cells({**values, "op": "", "pace": None})
        return shown.value, s.status_word(values["status"])

    (bv, bs), (av, as_) = side(row["before"]), side(row["after"])
    return [_change(bv, av), _change(bs, as_)]


def _violation_cells(violation: Row) -> list[str]:
    return [
        violation["kind"],
        s.printable(violation["rule"]),
        s.where(violation),
        s.deadline(violation),
        s.printable(violation["message"]),
    ]


def _more(count: int, limit: int) -> str:
    return f"{MORE} and {n.count(count - limit)} more" if count > limit else ""


# ---- rendering ---------------------------------------------------------------------------

VIOLATION_HEADINGS = ("Kind", "Rule", "Lead / period", "Deadline", "Message")
SLA_HEADINGS = ("SLA", "Compliance", "Cycles", "Met", "Late", "Missed", "Pending")
TARGET_HEADINGS = ("Target", "Period", "Group", "Value", "Status")


def _target_head(row: Row) -> list[str]:
    group = ABSENT if row["group"] is None else s.printable(str(row["group"]))
    return [s.printable(row["target"]), row["period"] or "", group]


def _text_table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(headings, *rows, strict=False)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in (headings, *rows)
    ]
    return "\n".join("  " + line for line in lines) + "\n"


def render_table(diff: Diff, limit: int = LIMIT) -> str:
    """For a person at a terminal: the summary, then each list under a heading."""
    out = [diff["summary"] + "\n"]
    note = policy_note(diff)
    if note:
        out.append(note + "\n")
    for side, sign in (("added", "+"), ("removed", "-")):
        found = diff["violations"][side]
        if found:
            rows = [[sign, *_violation_cells(v)] for v in found[:limit]]
            out.append(f"\nViolations {side} ({n.count(len(found))})\n")
            out.append(_text_table(["", *VIOLATION_HEADINGS], rows))
            more = _more(len(found), limit)
            out.append(f"  {more}\n" if more else "")
    if diff["slas"]:
        out.append("\nSLAs (before " + ARROW + " after)\n")
        rows = [[s.printable(row["sla"]), *_sla_cells(row)] for row in diff["slas"]]
        out.append(_text_table(SLA_HEADINGS, rows))
    targets = diff["targets"]
    if targets:
        out.append(f"\nTarget changes ({n.count(len(targets))})\n")
        rows = [[*_target_head(row), *_target_cells(row)] for row in targets[:limit]]
        out.append(_text_table(TARGET_HEADINGS, rows))
        more = _more(len(targets), limit)
        out.append(f"  {more}\n" if more else "")
    return "".join(out)


def _md_block(title: str, headings: Sequence[str], rows: list[list[str]], total: int) -> str:
    cells = [[md.escape(cell) for cell in row] for row in rows]
    body = md.table(headings, cells)
    more = _more(total, len(rows))
    if more:
        body += f"\n{more}\n"
    return md.folded(title, body, fold=True)


def render_markdown(diff: Diff, limit: int = LIMIT) -> str:
    """For a pull-request comment: a heading, the summary paragraph, details folded."""
    new = diff["policy"]["new"]
    title = str(new["name"]) + (f" {new['version']}" if new["version"] else "")
    summary = md.escape(diff["summary"])
    paragraph = f"**{summary[:1].upper() + summary[1:]}** (as of {diff['as_of']})."
    note = policy_note(diff)
    if note:
        paragraph += " " + md.escape(note[:1].upper() + note[1:]) + "."
    parts = [f"## SLA diff: {md.escape(title)}\n", paragraph + "\n"]
    for side in ("added", "removed"):
        found = diff["violations"][side]
        if found:
            rows = [_violation_cells(v) for v in found[:limit]]
            heading = f"Violations {side} ({n.count(len(found))})"
            parts.append(_md_block(heading, VIOLATION_HEADINGS, rows, len(found)))
    if diff["slas"]:
        rows = [[row["sla"], *_sla_cells(row)] for row in diff["slas"]]
        changed = sum(1 for row in diff["slas"] if row["changed"])
        heading = f"SLAs ({n.count(changed)} of {n.count(len(diff['slas']))} changed)"
        parts.append(_md_block(heading, SLA_HEADINGS, rows, len(rows)))
    targets = diff["targets"]
    if targets:
        rows = [[*_target_head(row), *_target_cells(row)] for row in targets[:limit]]
        heading = f"Target changes ({n.count(len(targets))})"
        parts.append(_md_block(heading, TARGET_HEADINGS, rows, len(targets)))
    return "\n".join(parts)


def render_json(diff: Diff, limit: int = LIMIT) -> str:
    """Everything, every list in full (`limit` is for the human forms only)."""
    return json.dumps(diff, indent=2, ensure_ascii=False) + "\n"


def render_html(diff: Diff, limit: int = LIMIT) -> str:
    """One self-contained page (the `html` report's look): every violation added and
    removed up to the page's own limit, charts of the change."""
    return html.render_diff(diff, policy_note(diff))


RENDERERS: dict[str, Callable[[Diff, int], str]] = {
    "table": render_table,
    "markdown": render_markdown,
    "json": render_json,
    "html": render_html,
}


# ---- the old policy from git ---------------------------------------------------------------


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise SlalangError("--base needs git, and `git` is not installed") from None


def _git_error(result: subprocess.CompletedProcess[bytes]) -> str:
    lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else f"git exited {result.returncode}"


def _imports(text: bytes, display: str) -> list[str]:
    """The paths a policy imports; none when it does not parse (loading says why)."""
    from slalang import ast
    from slalang.syntax import parse

    try:
        policy = parse(text.decode("utf-8"), display)
    except (PolicyError, UnicodeDecodeError):
        return []
    return [st.path.value for st in policy.statements if isinstance(st, ast.Import)]


class AbsentAtRevision(SlalangError):
    """The policy is not in the revision: it is being added."""


def checkout_policy(policy: Path, rev: str, into: Path) -> tuple[Path, Path, dict[str, str]]:
    """Write `policy` and everything it imports, as they were at `rev`, under `into` with
    the repository's layout. Returns the repository's top directory, the entry's path under
    `into` and the texts written (by repository path), so errors in the old version can
    show its own lines."""
    top = _git(["rev-parse", "--show-toplevel"], policy.resolve().parent)
    if top.returncode != 0:
        raise SlalangError(f"{policy}: not inside a git repository (--base needs one)")
    toplevel = Path(top.stdout.decode().strip()).resolve()
    if _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], toplevel).returncode:
        raise SlalangError(f"--base: unknown git revision `{rev}`")
    entry = PurePosixPath(policy.resolve().relative_to(toplevel).as_posix())
    texts: dict[str, str] = {}
    todo, seen = [entry], set[PurePosixPath]()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        shown = _git(["show", f"{rev}:{path}"], toplevel)
        if shown.returncode != 0:
            if path == entry:
                raise AbsentAtRevision(f"`{path}` does not exist at revision `{rev}`")
            continue  # a missing import: loading reports it at the import that names it
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(shown.stdout)
        texts[str(path)] = shown.stdout.decode("utf-8", "replace")
        for relative in _imports(shown.stdout, str(path)):
            joined = os.path.normpath(os.path.join(str(path.parent), relative))
            if not os.path.isabs(relative) and not joined.startswith(".."):
                todo.append(PurePosixPath(Path(joined).as_posix()))
    return toplevel, into / entry, texts


def plan_at(policy: str, rev: str, root: Path | None, scratch: Path) -> dict[str, Any] | None:
    """The plan of POLICY as it was at REV, or None when it did not exist there (a pull
    request that adds it). Files are named as in the working tree (so an unchanged policy
    has an unchanged digest); errors say which revision they are in."""
    from slalang.check import check
    from slalang.diagnostics import Level
    from slalang.load import load
    from slalang.plan import compile_program, is_plan_path, loads
    from slalang.render.diagnostics import render_text

    try:
        toplevel, path, texts = checkout_policy(Path(policy), rev, scratch)
    except AbsentAtRevision:
        return None
    if is_plan_path(policy):
        return loads(path.read_text(encoding="utf-8"))
    old_root = None
    if root is not None:
        try:
            old_root = scratch / root.resolve().relative_to(toplevel)
        except ValueError:
            raise SlalangError(f"--root `{root}` is outside the git repository") from None
    # a relative path is kept as typed in the plan, an absolute one made relative to the
    # root: name the old files so that either way they come out as the new ones do
    display = str(path) if os.path.isabs(policy) else policy
    sources = {_display(display, name, path, scratch): text for name, text in texts.items()}
    try:
        program = load(path, old_root, display=display)
    except PolicyError as exc:
        click.echo(render_text(exc.diagnostics, sources), err=True, nl=False)
        raise SlalangError(f"{policy} as of `{rev}` has errors (shown above)") from None
    errors = [d for d in check(program) if d.level is Level.ERROR]
    if errors:
        click.echo(render_text(errors, sources), err=True, nl=False)
        raise SlalangError(f"{policy} as of `{rev}` has errors (shown above)")
    return compile_program(program)


def _display(policy: str, name: str, entry: Path, scratch: Path) -> str:
    """How the loader names a file checked out at `name`: relative to the entry as typed."""
    relative = os.path.relpath(scratch / name, entry.parent)
    return os.path.normpath(os.path.join(os.path.dirname(policy), relative))


# ---- the command -------------------------------------------------------------------------


def merged_inputs(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What to read the data as, for both plans at once: every field and event either
    declares. A field both declare with different types cannot be read one way for both."""
    fields = dict(old["fields"])
    for name, entry in new["fields"].items():
        mine = fields.get(name)
        if mine is None:
            fields[name] = entry
        elif mine["type"] != entry["type"]:
            raise SlalangError(
                f"field `{name}` is {mine['type']} in the old policy and {entry['type']} in "
                "the new one; the data cannot be read one way for both"
            )
        elif "options" in entry:
            options = [*mine.get("options", []), *entry["options"]]
            fields[name] = {**mine, "options": list(dict.fromkeys(options))}
    events = sorted(set(old["events"]) | set(new["events"]))
    # local times with no zone of their own are read in the new agreement's zone, so both
    # plans judge the same instants (a change of zone shows as a change of periods)
    return {"fields": fields, "events": events, "policy": {"timezone": new["policy"]["timezone"]}}
