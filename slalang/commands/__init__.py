"""The command line, one module per command; `slalang.cli` only assembles them.

Each module defines one Click command (or group) as a thin shell: it parses options,
calls the library, prints and picks the exit code. Shared pieces live in two modules so a
change is made once:

- `slalang.commands.options` — option bundles (`data_options`, `engine_options`,
  `output_option`, `root_option`, `selection_option`) and `Configured`, the command class
  that takes option defaults from `slalang.toml`. An option that evaluate, diff and test
  all take is added to a bundle there (a field in its dataclass and one `click.option`);
  the bundle's dataclass fields are named as the API's keyword arguments, so the command
  passes them on with `**asdict(...)` and needs no change.
- `slalang.commands.common` — what several commands do: exit codes, loading a checked
  policy (`checked_policy`, which shows its unsilenced warnings), warnings, output.

The work itself is the Python API (`slalang.api`, docs/api.md): a command parses, calls
it, prints and picks the exit code.

To add a command: create `slalang/commands/<name>.py` defining `<name>_command` with
`@click.command("<name>", cls=Configured)` (so `slalang.toml` can set its options; add
`arguments={"policy": "policy"}` when it takes a policy) and a docstring giving an example,
then name it in `COMMANDS` in `slalang/cli.py` (its module is imported only when it runs). A
command never imports from `slalang.cli` or from another command's module: what two commands
share goes into `common` or `options` (tests/test_imports.py checks).
"""
