"""`slalang explain`: one lead's timeline and the policy line behind each step."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from slalang.commands.common import Failure, plan_of, read_log
from slalang.commands.options import instant_option, root_option


@click.command("explain")
@click.argument("policy")
@click.argument("events", nargs=-1, required=True)
@click.option("--lead", "lead_id", required=True, help="The lead whose timeline to show.")
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
    from slalang.evaluate.explain import explain, render_explanation

    plan, sources = plan_of(policy, root)
    cutoff = instant_option(as_of, "--as-of")
    log = read_log(plan, events, mapping, timezone, cutoff)
    if lead_id not in log.leads:
        close = difflib.get_close_matches(lead_id, list(log.leads), n=1)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        raise Failure(f"no events for lead `{lead_id}` in the input{hint}")
    at = cutoff if cutoff is not None else log.stats.last_ts
    explanation = explain(plan, lead_id, log.leads[lead_id], at)
    click.echo(render_explanation(explanation, fmt, sources), nl=False)
