"""`slalang data check` and `slalang mappings`: looking at CRM exports before evaluating
them; the profiling itself is `slalang.datacheck`."""

from __future__ import annotations

import click

from slalang.commands.common import EXIT_FINDINGS, checked_policy
from slalang.commands.options import Configured
from slalang.data import Mapping, load_mapping
from slalang.data.mapping import presets
from slalang.datacheck import profile, render


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
def check_command(
    policy: str, files: tuple[str, ...], mapping: str | None, timezone: str | None
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
    result = profile(plan, files, loaded, timezone)
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
