"""Data in, before the first row: the mapping file that adapts a CRM export to the event log.

The YAML is validated against `mapping.schema.json` (shipped in this package) and every
error names the file, the line and the YAML path of the key at fault, e.g.
`mapping.yaml:3: columns.lead_id: expected a string`.
"""

from __future__ import annotations

import codecs
import difflib
import fnmatch
import json
import posixpath
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from slalang.data.values import DEFAULT_NUMBERS, NumberFormat
from slalang.diagnostics import SlalangError
from slalang.fileio import read_text
from slalang.yamlpaths import TYPE_WORDS, YamlPath, listing, load_yaml, node_lines

if TYPE_CHECKING:
    import jsonschema
    import yaml

#: The canonical event-log columns a mapping can rename, and the default names.
CANONICAL_COLUMNS = ("lead_id", "timestamp", "event", "event_id")

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


@dataclass(frozen=True)
class Mapping:
    """How one kind of export maps onto the canonical event log (RUNNER §1).

    `columns` renames the canonical columns (keys from CANONICAL_COLUMNS); `events` maps
    source event values to declared types; `fields` source columns to declared fields;
    `date_columns` source columns of a wide export to the event type each date cell makes.
    `timestamp_formats` are strptime formats tried in order (ISO-8601 after them).
    `encoding` is the files' text encoding (a codec name), `numbers` how number cells
    write their decimal mark and thousands separator.
    A multi-source mapping holds its `sources` (each a Mapping with a `name` and the `files`
    globs it reads, or the DuckDB `query` whose rows it reads, with its `duckdb` database)
    and nothing else; `source_for` picks the one an input file belongs to.
    A `lenient` mapping (a preset) names more columns than one policy declares, so its
    undeclared targets are counted as unknown events or ignored instead of refused.
    `lines` remembers the YAML line of every key so later checks against the policy can
    name the place too; `prefix` is a source's own place in the file (`sources[1]`).
    """

    path: str = "mapping"
    columns: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None
    timestamp_formats: tuple[str, ...] = ()
    encoding: str = "utf-8"
    numbers: NumberFormat = DEFAULT_NUMBERS
    events: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    date_columns: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    files: tuple[str, ...] = ()
    duckdb: str | None = None
    query: str | None = None
    sources: tuple[Mapping, ...] = ()
    lenient: bool = False
    lines: dict[YamlPath, int] = field(default_factory=dict, compare=False, repr=False)
    prefix: YamlPath = field(default=(), compare=False, repr=False)

    def column(self, canonical: str) -> str:
        """The source name of a canonical column."""
        return self.columns.get(canonical, canonical)

    def where(self, *path: str | int) -> str:
        """`file:line: yaml.path` for a message about the key at `path`."""
        full = (*self.prefix, *path)
        line = self.lines.get(full)
        place = f"{self.path}:{line}" if line is not None else self.path
        return f"{place}: {yaml_path(full)}" if full else place

    def matches(self, path: str) -> bool:
        """Whether a source's `files` globs match the input's file name (the base name, case
        ignored: the same export is read from any folder, and CRMs vary the case)."""
        base = posixpath.basename(path.replace("\\", "/")).lower()
        return any(fnmatch.fnmatchcase(base, glob.lower()) for glob in self.files)

    def source_for(self, path: str) -> Mapping:
        """The mapping that reads input `path`: itself, or the one source whose `files` match.

        A file matching no source or several is an error naming the file and the candidates,
        since reading it with a guessed layout would reject or misread every row.
        """
        if not self.sources:
            return self
        found = [s for s in self.sources if s.files and s.matches(path)]
        if len(found) == 1:
            return found[0]
        shown = "standard input (`-`)" if path == "-" else path
        if not found:
            globs = "; ".join(f"`{s.name}` ({', '.join(s.files)})" for s in self.sources)
            raise SlalangError(
                f"{shown}: the file name matches no source of {self.path} (sources: {globs}); "
                "rename the file or widen a source's `files`"
            )
        names = ", ".join(f"`{s.name}`" for s in found)
        raise SlalangError(
            f"{shown}: the file name matches several sources of {self.path} ({names}); "
            "make their `files` globs exclusive"
        )


def yaml_path(path: YamlPath) -> str:
    """A YAML path as people write it: `events."Form submission"`, `columns.lead_id`."""
    parts = []
    for key in path:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        elif _PLAIN_KEY.match(key):
            parts.append(key)
        else:
            parts.append(json.dumps(key, ensure_ascii=False))
    return ".".join(parts).replace(".[", "[")


@cache
def mapping_schema() -> dict[str, Any]:
    """The JSON Schema of mapping files, as shipped in the package."""
    text = resources.files("slalang.data").joinpath("mapping.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _loader() -> type[yaml.SafeLoader]:
    """Safe YAML whose mapping keys stay as written: keys are column and event names from an
    export, so `Yes:` or `1:` must not turn into a boolean or a number, and a key given twice
    is an error rather than a silent overwrite. Made when a mapping is first read: a run
    without one does not pay yaml's import (14 ms)."""
    import yaml

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    "a key must be a plain name, not a list or mapping",
                    key_node.start_mark,
                )
            key = key_node.value
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key `{key}`", key_node.start_mark
                )
            result[key] = loader.construct_object(value_node, deep=True)
        return result

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    return Loader


def _schema_message(error: jsonschema.ValidationError) -> tuple[YamlPath, str]:
    """The YAML path an error is about and what is wrong there, in words."""
    path: YamlPath = tuple(error.absolute_path)
    if error.validator == "type":
        wanted = error.validator_value
        names = [str(n) for n in (wanted if isinstance(wanted, list) else [wanted])]
        return path, "expected " + " or ".join(TYPE_WORDS.get(n, n) for n in names)
    if error.validator == "additionalProperties":
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = sorted(schema.get("properties", {}))
        instance = error.instance if isinstance(error.instance, dict) else {}
        extra = [key for key in instance if key not in allowed]
        key = extra[0] if extra else "?"
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else f"; expected one of {listing(allowed)}"
        return (*path, key), f"unknown key{hint}"
    if error.validator in ("minLength", "minItems"):
        return path, "must not be empty"
    if error.validator == "required":
        given = error.instance if isinstance(error.instance, dict) else {}
        wanted = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [key for key in wanted if key not in given]
        return path, f"missing key `{missing[0] if missing else '?'}`"
    if error.validator == "anyOf":  # a source reads `files` or a `query`
        return path, "missing key `files` (or `query`, to read a DuckDB query)"
    if error.validator == "oneOf":  # a format or files glob: one string or a list of them
        if isinstance(error.instance, list) and not error.instance:
            return path, "must not be empty"
        return path, "expected a string or a list of strings"
    return path, error.message


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1)
        hint = (
            f"; did you mean `{close[0]}`?"
            if close
            else " (expected an IANA name such as `America/New_York`)"
        )
        raise ValueError(f"unknown time zone `{name}`{hint}") from exc


def _check_format(fmt: str) -> None:
    """strptime only reports a bad directive when it parses, so parse a sample of its own."""
    sample = datetime(2026, 3, 6, 22, 30, 15).strftime(fmt)
    try:
        datetime.strptime(sample, fmt)
    except ValueError as exc:
        raise ValueError(f"`{fmt}` is not a usable strptime format ({exc})") from exc
    if "%" not in fmt:
        raise ValueError(f"`{fmt}` has no `%` directive, so it can only match itself")


def parse_mapping(text: str, path: str, lenient: bool = False) -> Mapping:
    """A mapping from YAML text; `path` is the name used in messages, `lenient` marks a
    preset (see Mapping)."""
    try:
        node, data = load_yaml(text, path, _loader())
    except ValueError as exc:
        raise SlalangError(str(exc)) from None
    lines: dict[YamlPath, int] = {}
    if node is not None:
        node_lines(node, (), lines)
    shell = Mapping(path=path, lines=lines)
    if data is None:
        raise SlalangError(f"{path}: empty mapping file (expected keys such as `columns`)")

    if isinstance(data, dict) and "sources" in data:
        # the schema's dependentSchemas says the same, but its error does not name the key
        beside = [key for key in data if key != "sources" and key in mapping_schema()["properties"]]
        if beside:
            raise SlalangError(
                f"{shell.where(beside[0])}: not allowed beside `sources`; give it in each source"
            )
    import jsonschema  # here, not at the top: only a run with a mapping file pays for it

    validator = jsonschema.Draft202012Validator(mapping_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        where, message = _schema_message(errors[0])
        raise SlalangError(f"{shell.where(*where)}: {message}")

    if "sources" in data:
        sources = []
        names: dict[str, int] = {}
        for index, item in enumerate(data["sources"]):
            prefix: YamlPath = ("sources", index)
            source = _single(item, shell, prefix, lenient)
            if source.name in names:
                raise SlalangError(
                    f"{shell.where(*prefix, 'name')}: the source `{source.name}` is already "
                    f"named at sources[{names[source.name]}]"
                )
            names[source.name or ""] = index
            sources.append(source)
        return Mapping(path=path, sources=tuple(sources), lenient=lenient, lines=lines)
    return _single(data, shell, (), lenient)


def _single(
    data: dict[str, Any], shell: Mapping, prefix: YamlPath, lenient: bool = False
) -> Mapping:
    """One source's keys (the whole file in the single-source form), checked beyond the
    schema: the zone exists and each format parses."""
    timezone = data.get("timezone")
    if timezone is not None:
        try:
            _check_timezone(timezone)
        except ValueError as exc:
            raise SlalangError(f"{shell.where(*prefix, 'timezone')}: {exc}") from None
    given = data.get("timestamp_format")
    formats = (given,) if isinstance(given, str) else tuple(given or ())
    for index, fmt in enumerate(formats):
        try:
            _check_format(fmt)
        except ValueError as exc:
            at = (*prefix, "timestamp_format") + (() if isinstance(given, str) else (index,))
            raise SlalangError(f"{shell.where(*at)}: {exc}") from None
    encoding = data.get("encoding", "utf-8")
    try:
        "text".encode(encoding)  # a bytes-to-bytes codec (`hex`) is refused here too
        encoding = codecs.lookup(encoding).name
    except LookupError:
        raise SlalangError(
            f"{shell.where(*prefix, 'encoding')}: unknown encoding `{encoding}` "
            "(expected a codec name such as `utf-8`, `cp1252`, `latin-1` or `utf-16`)"
        ) from None
    try:
        numbers = NumberFormat(data.get("decimal", "."), data.get("thousands", ","))
    except ValueError:
        key = "thousands" if "thousands" in data else "decimal"
        raise SlalangError(
            f"{shell.where(*prefix, key)}: the decimal mark and the thousands separator are "
            f'both `{data.get("decimal", ".")}`; give `thousands` another separator or `""`'
        ) from None
    files = data.get("files")
    return Mapping(
        path=shell.path,
        columns=dict(data.get("columns", {})),
        timezone=timezone,
        timestamp_formats=formats,
        encoding=encoding,
        numbers=numbers,
        events=dict(data.get("events", {})),
        fields=dict(data.get("fields", {})),
        date_columns=dict(data.get("date_columns", {})),
        name=data.get("name"),
        files=(files,) if isinstance(files, str) else tuple(files or ()),
        duckdb=_beside(shell.path, data.get("duckdb")),
        query=data.get("query"),
        lenient=lenient,
        lines=shell.lines,
        prefix=prefix,
    )


def _beside(mapping_path: str, path: str | None) -> str | None:
    """A path the mapping names, read relative to the mapping file (as `files` globs are
    matched wherever the export is, a database file sits with the mapping)."""
    if path is None or Path(path).is_absolute():
        return path
    return str(Path(mapping_path).parent / path)


def presets() -> dict[str, str]:
    """The shipped export presets by name, with the first line of each one's description."""
    found = {}
    for entry in sorted(resources.files("slalang.data.presets").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            first = entry.read_text("utf-8").splitlines()[0]
            found[entry.name.removesuffix(".yaml")] = first.lstrip("# ").strip()
    return found


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping file, or a preset given by its name (`hubspot`); any
    problem is a one-line SlalangError.

    A preset name always means the preset, so `--mapping hubspot` behaves the same in every
    folder; a file of that name is read as `./hubspot`.
    """
    name = str(path)
    if name in presets():
        preset = resources.files("slalang.data.presets").joinpath(f"{name}.yaml")
        return parse_mapping(preset.read_text("utf-8"), f"preset `{name}`", lenient=True)
    try:
        text = read_text(path, "utf-8-sig")
    except FileNotFoundError:
        raise SlalangError(f"{name}: cannot read the mapping file: no such file") from None
    except UnicodeDecodeError:
        raise SlalangError(f"{name}: the mapping file is not UTF-8 text") from None
    except OSError as exc:
        raise SlalangError(f"{name}: cannot read the mapping file: {exc.strerror}") from None
    return parse_mapping(text, name)
