"""The command line, one module per command; `slalang.cli` only assembles them.

Each module defines one Click command (or group) as a thin shell: it parses options,
calls the library, prints and picks the exit code. Shared pieces live in two modules so a
change is made once:

- `slalang.commands.options` — option bundles (`data_options`, `engine_options`,
  `output_option`, `root_option`). An option that evaluate, diff and test all take is
  added to a bundle there (a field in its dataclass and one `click.option`), and every
  command using the bundle gets it.
- `slalang.commands.common` — what several commands do: exit codes, loading a checked
  policy or a plan, reading the event log, writing output.

To add a command: create `slalang/commands/<name>.py` defining `<name>_command` (a
`click.Command`, with a docstring giving an example), then add its import and one
`cli.add_command(...)` line to `slalang/cli.py`. A command never imports from `slalang.cli`
or from another command's module: what two commands share goes into `common` or `options`.
"""
