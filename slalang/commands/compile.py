"""`slalang compile`: a policy's evaluation plan as JSON."""

from __future__ import annotations

from pathlib import Path

import click

from slalang.commands.common import checked_policy, emit
from slalang.commands.options import Configured, output_option, root_option


@click.command("compile", cls=Configured, arguments={"policy": "policy"})
@click.argument("policy", type=click.Path(dir_okay=False, path_type=str))
@output_option("plan")
@root_option
def compile_command(policy: str, output: Path | None, root: Path | None) -> None:
    """Compile a policy to its evaluation plan (JSON, valid against the plan schema).

    \b
    Example:
      slalang compile policies/acme.sla -o acme.plan.json
    """
    emit(checked_policy(policy, root).to_json(), output)
