"""Configuration files (RUNNER §6.4): the options a team repeats on every run, kept in
`slalang.toml` or under `[tool.slalang]` in `pyproject.toml`.

The file is found from the current directory upwards: in each directory `slalang.toml`
first, then a `pyproject.toml` that has a `[tool.slalang]` table (one without it is passed
over); the first found wins, and the directory holding `.git` (the repository root) is the
last one looked at, so a file outside the repository never changes what happens inside it.

Keys are the commands' long option names without the dashes, plus `policy` and `events`
(the arguments, as paths or globs). Keys at the top level apply to every command that has
the option; a table named after a command (`[evaluate]`, `[check]`, `[data-check]`) applies
to that command only and wins over the top level. Paths are relative to the file that
names them. A flag on the command line wins over both.
"""

from __future__ import annotations

import difflib
import glob
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slalang.diagnostics import SlalangError

#: Keys whose value is one or more paths (or globs), relative to the configuration file.
PATH_KEYS = frozenset({"policy", "events", "mapping", "metrics", "root"})
#: Keys that are lists of codes or of globs.
LIST_KEYS = frozenset({"policy", "events", "select", "ignore"})
#: Every key a configuration file may set at its top level.
KEYS = frozenset(
    {
        "policy",
        "events",
        "mapping",
        "metrics",
        "timezone",
        "fail-on",
        "format",
        "engine",
        "jobs",
        "select",
        "ignore",
        "per-file-ignores",
        "root",
        "strict",
    }
)
#: Tables for one command each.
COMMANDS = frozenset(
    {"check", "fmt", "compile", "evaluate", "explain", "sample", "test", "diff", "data-check"}
)
FILE_NAME = "slalang.toml"


class ConfigError(SlalangError):
    """A configuration file that cannot be read or names an unknown key."""


@dataclass(frozen=True)
class Config:
    """The settings one configuration file gives: top-level `values` and per-command
    `commands` tables, paths already made relative to the current directory."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)
    commands: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        """The file's name as the user would type it, for messages."""
        return "" if self.path is None else _relative(self.path)

    def for_command(self, name: str) -> dict[str, Any]:
        """The settings for command NAME: its table over the top level."""
        return {**self.values, **self.commands.get(name, {})}


NO_CONFIG = Config()


def find_config(start: Path | None = None) -> Path | None:
    """The configuration file that applies in START (default: the current directory)."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / FILE_NAME
        if candidate.is_file():
            return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "slalang" in _read(pyproject).get("tool", {}):
            return pyproject
        if (directory / ".git").exists():
            return None
    return None


def load_config(path: Path) -> Config:
    """The settings in PATH (a `slalang.toml`, or a `pyproject.toml` read for its
    `[tool.slalang]` table), checked and with paths resolved."""
    data = _read(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("slalang")
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: no [tool.slalang] table")
        where = f"{_relative(path)}: [tool.slalang]"
    else:
        where = _relative(path)
    base = path.parent
    values: dict[str, Any] = {}
    commands: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if key in COMMANDS:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: `{key}` is a table of options for `slalang {key}`")
            commands[key] = {
                inner: _value(f"{where}: [{key}]", inner, item, base)
                for inner, item in value.items()
            }
        else:
            values[key] = _value(where, key, value, base)
    return Config(path, values, commands)


def discover(config: str | None, isolated: bool) -> Config:
    """The configuration a run uses: none with `--isolated`, the file `--config` names,
    or the one found from the current directory upwards."""
    if isolated:
        return NO_CONFIG
    if config is not None:
        path = Path(config)
        if not path.is_file():
            raise ConfigError(f"--config: {config}: no such file")
        return load_config(path)
    found = find_config()
    return NO_CONFIG if found is None else load_config(found)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{_relative(path)}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{_relative(path)}: not valid TOML: {exc}") from None


def _value(where: str, key: str, value: Any, base: Path) -> Any:
    """VALUE of KEY checked for its kind, with paths made relative to the current
    directory (they are written relative to the file)."""
    if key not in KEYS:
        known = sorted(KEYS | COMMANDS)
        close = difflib.get_close_matches(key.replace("_", "-"), known, n=1, cutoff=0.6)
        hint = f"; did you mean `{close[0]}`?" if close else f" (known keys: {', '.join(known)})"
        raise ConfigError(f"{where}: unknown key `{key}`{hint}")
    if key == "per-file-ignores":
        return _per_file_ignores(where, value, base)
    if key == "jobs":
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{where}: `jobs` is a whole number of at least 1")
        return value
    if key == "strict":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: `strict` is true or false")
        return value
    if key in LIST_KEYS:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ConfigError(f"{where}: `{key}` is a string or a list of strings")
        if key in PATH_KEYS:
            return [p for item in items for p in _expand(where, key, item, base)]
        return [item.strip() for item in items]
    if not isinstance(value, str):
        raise ConfigError(f"{where}: `{key}` is a string")
    if key in PATH_KEYS and (key != "mapping" or _looks_like_a_path(value)):
        return _relative(base / value)
    return value


def _looks_like_a_path(value: str) -> bool:
    """A mapping is a file or a preset name (`hubspot`); a name has no slash or suffix."""
    return "/" in value or os.sep in value or "." in value


def _expand(where: str, key: str, pattern: str, base: Path) -> list[str]:
    """PATTERN (relative to BASE) as the paths it names: a glob the files it matches (in
    order), anything else itself. A glob that matches nothing is an error: a typo there
    would otherwise read no data at all."""
    full = str(base / pattern)
    if not glob.has_magic(pattern):
        return [_relative(Path(full))]
    found = sorted(glob.glob(full, recursive=True))
    if not found:
        raise ConfigError(f"{where}: `{key}` pattern `{pattern}` matches no file")
    return [_relative(Path(p)) for p in found]


def _relative(path: Path) -> str:
    """PATH as the user would type it from the current directory."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _per_file_ignores(where: str, value: Any, base: Path) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise ConfigError(f'{where}: `per-file-ignores` is a table: "GLOB" = ["CODE", ...]')
    table: dict[str, list[str]] = {}
    for pattern, codes in value.items():
        items = [codes] if isinstance(codes, str) else codes
        if not isinstance(items, list) or not all(isinstance(c, str) for c in items):
            raise ConfigError(f"{where}: per-file-ignores `{pattern}` is a list of codes")
        table[_relative(base / pattern)] = [c.strip() for c in items]
    return table
