"""`python -m slalang`: the same CLI as the `slalang` command (an editor can start the
language server from a Python interpreter without knowing where scripts were installed)."""

from slalang.cli import main

main()
