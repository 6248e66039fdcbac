"""`slalang data check`, `slalang mapping draft` and `slalang mappings`: looking at CRM
exports before evaluating them; the profiling itself is `slalang.datacheck`, the drafting
`slalang.draft`."""

from __future__ import annotations

from pathlib import Path

import click

from slalang.commands.common import EXIT_FINDINGS, checked_policy, emit, progress
from slalang.commands.options import Configured, output_option
from slalang.data import Mapping, load_mapping
from slalang.data.mapping import presets
from slalang.datacheck import profile, render
from slalang.draft import draft_mapping


@click.group("data")
def data_group() -> None:
    """Look at CRM exports before evaluating them."""


@data_group.command(
    "check", cls=Configured, table="data-check", arguments={"policy": "policy", "events": "files"}
)
@click.argument("policy")
@click.argument("files", nargs=-1, required=True)
@click.option("--mapping", help="Mapping file (YAML) or preset name (see `slalang mappings`).")
@click.option("--timezone", help="Zone of timestamps that have no offset (IANA name).")
@click.option(
    "--engine",
    type=click.Choice(["local", "reference"]),
    default="local",
    show_default=True,
    help="`local`: files of some size, and Parquet, are read columnar (partitioned past the "
    "memory budget, on every core); `reference`: every file by the Python reader. Same "
    "profile either way.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to use (default: every core). The profile is the same.",
)
def check_command(
    policy: str,
    files: tuple[str, ...],
    mapping: str | None,
    timezone: str | None,
    engine: str,
    jobs: int | None,
) -> None:
    """Profile FILES against the mapping and POLICY: rows per source, columns mapped and
    unmapped, events per type, leads, time ranges, time zones, rejected rows and bad
    values with examples, fields the policy reads that are never set, and sources that
    cover different date ranges (a warning).

    Exits 1 when a row would be rejected, a value cannot be read or a field the policy
    reads is never set, 2 when the policy, mapping or files cannot be read.

    \b
    Example:
      slalang data check examples/olist/olist.sla ../shared/data/olist/*.csv \\
        --mapping examples/olist/mapping.yaml
    """
    plan = checked_policy(policy, None).plan
    loaded = load_mapping(mapping) if mapping else Mapping()
    result = profile(plan, files, loaded, timezone, engine=engine, jobs=jobs, progress=progress())
    click.echo(render(plan, result, timezone), nl=False)
    if result.problems:
        raise SystemExit(EXIT_FINDINGS)


@click.command("mappings")
def mappings_command() -> None:
    """List the export presets `--mapping NAME` accepts (docs/data.md says what to export).

    \b
    Example:
      slalang evaluate policy.sla contacts.csv --mapping hubspot --timezone Europe/Berlin
    """
    found = presets()
    width = max(len(name) for name in found)
    for name, description in found.items():
        click.echo(f"{name:<{width}}  {description}")


@click.group("mapping")
def mapping_group() -> None:
    """Write mapping files for CRM exports."""


@mapping_group.command("draft")
@click.argument("files", nargs=-1, required=True)
@click.option("--preset", help="A preset whose columns the export has (see `slalang mappings`).")
@click.option(
    "--policy",
    help="Map only to the event types and fields this policy declares (others commented out).",
)
@output_option("mapping")
def draft_command(
    files: tuple[str, ...], preset: str | None, policy: str | None, output: Path | None
) -> None:
    """Draft a starter mapping from the headers and first rows of FILES (CSV, CSV.gz,
    JSON Lines, Parquet): the columns recognised are mapped (a preset's knowledge first),
    the timestamp formats found, and every column nothing reads listed as a comment.
    Files with different headers get one source each. Then check it with `slalang data
    check`.

    \b
    Example:
      slalang mapping draft contacts.csv --preset hubspot --policy funnel.sla -o hubspot.yaml
      slalang data check funnel.sla contacts.csv --mapping hubspot.yaml
    """
    events = fields = None
    if policy is not None:
        plan = checked_policy(policy, None).plan
        events, fields = list(plan["events"]), list(plan["fields"])
    emit(draft_mapping(files, preset, events, fields, policy), output)
