"""`slalang compile`: a policy's evaluation plan as JSON."""

from __future__ import annotations

from pathlib import Path

import click

from slalang.commands.common import emit, load_checked
from slalang.commands.options import output_option, root_option


@click.command("compile")
@click.argument("policy", type=click.Path(dir_okay=False, path_type=str))
@output_option("plan")
@root_option
def compile_command(policy: str, output: Path | None, root: Path | None) -> None:
    """Compile a policy to its evaluation plan (JSON, valid against the plan schema).

    \b
    Example:
      slalang compile policies/acme.sla -o acme.plan.json
    """
    from slalang.plan import compile_program, dumps

    emit(dumps(compile_program(load_checked(policy, root))), output)
