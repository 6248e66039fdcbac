"""`slalang init`: a ready policy repository; what it writes is `slalang.init`."""

from __future__ import annotations

from pathlib import Path

import click

from slalang.init import Options, create


@click.command("init")
@click.argument(
    "directory",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option("--force", is_flag=True, help="Replace files that already exist.")
@click.option(
    "--install",
    metavar="SPEC",
    default=Options.install,
    show_default=True,
    help="What the CI workflow and the pre-commit hooks pip-install: a requirement, or a "
    "URL such as git+https://github.com/slalang/slalang@main.",
)
@click.option(
    "--code-scanning",
    is_flag=True,
    help="Upload the check results to GitHub code scanning (private repositories need "
    "GitHub Advanced Security for it).",
)
def init_command(directory: Path, force: bool, install: str, code_scanning: bool) -> None:
    """Create a policy repository: an example agreement, its tests, sample data,
    pre-commit hooks and a GitHub Actions workflow.

    \b
    Example:
      slalang init revops-sla
      cd revops-sla && slalang check policies/ && slalang test tests/
    """
    for path in create(directory, force, Options(install, code_scanning)):
        click.echo(f"created {path}", err=True)
    click.echo(
        f"next: cd {directory} && slalang evaluate   (slalang.toml names the policy and data)",
        err=True,
    )
