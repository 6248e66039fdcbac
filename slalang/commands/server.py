"""`slalang server`: the language server for editors (LSP over stdin/stdout)."""

from __future__ import annotations

import click


@click.command("server")
def server_command() -> None:
    """Run the language server for editors (LSP over stdin/stdout).

    \b
    Example (what an editor runs; the VS Code extension does it for you):
      slalang server
    """
    from slalang.server.lsp import run  # pygls loads only when an editor asks for it

    run()
