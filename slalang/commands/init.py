"""`slalang init`: a ready policy repository; what it writes is `slalang.init`."""

from __future__ import annotations

from pathlib import Path

import click

from slalang.init import create


@click.command("init")
@click.argument(
    "directory",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option("--force", is_flag=True, help="Replace files that already exist.")
def init_command(directory: Path, force: bool) -> None:
    """Create a policy repository: an example agreement, its tests, sample data,
    pre-commit hooks and a GitHub Actions workflow.

    \b
    Example:
      slalang init revops-sla
      cd revops-sla && slalang check policies/ && slalang test tests/
    """
    for path in create(directory, force):
        click.echo(f"created {path}", err=True)
    click.echo(
        f"next: cd {directory} && slalang evaluate   (slalang.toml names the policy and data)",
        err=True,
    )
