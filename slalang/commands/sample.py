"""`slalang sample`: a seeded, realistic event log and metrics file for a policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from slalang.commands.common import checked_policy
from slalang.commands.options import Configured, root_option
from slalang.fileio import cannot_write


@click.command("sample", cls=Configured, arguments={"policy": "policy"})
@click.argument("policy")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--leads", type=click.IntRange(min=0), default=400, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    default="2026-01-05",
    show_default=True,
    help="First day, in the agreement's time zone.",
)
@click.option("--months", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--gzip", "compress", is_flag=True, help="Write events.csv.gz.")
@click.option("--noise", is_flag=True, help="Add about 1% malformed rows (for reader tests).")
@root_option
def sample_command(
    policy: str,
    outdir: Path,
    leads: int,
    seed: int,
    start: Any,
    months: int,
    compress: bool,
    noise: bool,
    root: Path | None,
) -> None:
    """Write a seeded, realistic event log (events.csv) and metrics file (metrics.csv) for
    a policy: the same arguments always give the same bytes.

    \b
    Example:
      slalang sample policies/seed_funnel.sla samples/seed_funnel --leads 400 --seed 7
    """
    from slalang.sample import write_sample

    plan = checked_policy(policy, root).plan
    events = outdir / ("events.csv.gz" if compress else "events.csv")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        rows = write_sample(
            plan,
            events,
            outdir / "metrics.csv",
            leads=leads,
            seed=seed,
            start=start.date(),
            months=months,
            noise=noise,
        )
    except OSError as exc:  # only files are written here: the disk full, read-only, …
        raise cannot_write(outdir, exc) from None
    click.echo(f"wrote {rows:,} rows to {events} and {outdir / 'metrics.csv'}", err=True)
