"""`slalang explain`: one lead's timeline and the policy line behind each step."""

from __future__ import annotations

from pathlib import Path

import click

from slalang.commands.common import checked_policy, warn
from slalang.commands.options import POLICY_AND_EVENTS, Configured, root_option


@click.command("explain", cls=Configured, arguments=POLICY_AND_EVENTS)
@click.argument("policy")
@click.argument("events", nargs=-1, required=True)
@click.option(
    "--lead",
    "lead_id",
    required=True,
    help="The lead whose timeline to show (an id, or a prefix of exactly one id).",
)
@click.option(
    "--mapping",
    help="Mapping file (YAML) adapting an export's columns and names, or a preset name "
    "(`slalang mappings` lists them).",
)
@click.option("--as-of", "as_of", help="Judge at this instant (default: the latest event).")
@click.option("--timezone", help="Zone of timestamps that have no offset (IANA name).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@root_option
def explain_command(
    policy: str,
    events: tuple[str, ...],
    lead_id: str,
    mapping: str | None,
    as_of: str | None,
    timezone: str | None,
    fmt: str,
    root: Path | None,
) -> None:
    """Show one lead's timeline: events, field changes, scores, stage entries and skips,
    clocks with their deadlines and outcomes, and the policy line behind each step.

    \b
    Example:
      slalang explain policies/seed_funnel.sla samples/seed_funnel/events.csv --lead L00042
    """
    from slalang.evaluate.explain import render_explanation

    checked = checked_policy(policy, root)
    explanation = checked.explain(
        events, lead_id, mapping=mapping, timezone=timezone, as_of=as_of, on_warning=warn
    )
    click.echo(render_explanation(explanation, fmt, checked.plan_sources), nl=False)
