"""Data in from DuckDB: a mapping source with `query` (and `duckdb: PATH`) reads its events
from the query's result instead of files (RUNNER §6.6).

The query runs in DuckDB: against the database file the source names, else against the
DuckDB database given as an input (`slalang evaluate policy.sla crm.duckdb`), else in an
in-memory database (enough for `read_parquet('s3://…')` and the like). Its result comes in
Arrow batches whose typed columns become text rows (`typed_rows`), which the event reader
reads with the source's mapping, as it reads a CSV export: a row that cannot be used is
counted by reason, its "line" being its row number in the query result (from 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from slalang.data.mapping import Mapping
from slalang.data.typed_rows import NumberedRows, batch_rows
from slalang.diagnostics import SlalangError

if TYPE_CHECKING:
    from slalang.data.events import RowReader

DATABASE_SUFFIXES = (".duckdb", ".ddb")
_BATCH = 1 << 16


def is_database(path: str) -> bool:
    """Whether an input path is a DuckDB database rather than an export file."""
    return path.lower().endswith(DATABASE_SUFFIXES)


def query_sources(mapping: Mapping) -> list[Mapping]:
    """The sources of a mapping that read a query (the mapping itself, when it does)."""
    return [source for source in (mapping.sources or (mapping,)) if source.query is not None]


class _Clean:
    """Arrow text is always UTF-8: no row needs the reader's byte check."""

    dirty = False


def read_queries(reader: RowReader, mapping: Mapping, databases: Sequence[str]) -> None:
    """Read every query source of `mapping` into the reader's timelines and counts."""
    sources = query_sources(mapping)
    if databases and not sources:
        raise SlalangError(
            f"{databases[0]}: a DuckDB database is read through a mapping source's `query`; "
            "give a mapping (--mapping) with one"
        )
    if len(databases) > 1:
        raise SlalangError(f"{databases[1]}: give one DuckDB database (or `duckdb:` per source)")
    for source in sources:
        database = source.duckdb or (databases[0] if databases else None)
        _read_query(reader, source, database)


def _read_query(reader: RowReader, source: Mapping, database: str | None) -> None:
    try:
        import duckdb
    except ImportError:
        raise SlalangError(
            f"{source.where('query')}: DuckDB sources need DuckDB: pip install 'slalang[duckdb]'"
        ) from None
    name = f"{database or 'duckdb'}[{source.name or 'query'}]"
    if database is not None and not Path(database).is_file():
        raise SlalangError(f"{name}: cannot read events: no such DuckDB database")
    try:
        connection = duckdb.connect(database or ":memory:", read_only=database is not None)
    except duckdb.Error as exc:
        raise SlalangError(f"{name}: cannot open the DuckDB database: {_first_line(exc)}") from None
    with connection:
        try:
            relation = connection.sql(source.query or "")
            if relation is None:
                raise SlalangError(f"{source.where('query')}: the query returns no rows")
            result = relation.to_arrow_reader(_BATCH)
        except duckdb.Error as exc:
            raise SlalangError(
                f"{source.where('query')}: the query failed: {_first_line(exc)}"
            ) from None
        header = list(result.schema.names)
        reader.use(source)
        reader.file = name
        layout = reader.layout(header, name)
        number = 0
        for batch in result:
            rows = batch_rows(batch, header)
            numbers = list(range(number + 1, number + 1 + len(rows)))
            number += len(rows)
            reader.read_rows(NumberedRows(rows, numbers), layout, _Clean())


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
