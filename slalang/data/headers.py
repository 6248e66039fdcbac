"""Finding the columns a mapping names in an export's header, exactly or loosely.

CRMs and spreadsheets respell column names between exports and tools (`Lead ID`,
`lead_id`, `LeadId`, `lead-id`), and a mapping written for one spelling should read the
others rather than stop the run with "missing column". So a name is looked up exactly
first; only when no header cell is exactly it, the cell that is the same name with case,
spaces, `_` and `-` set aside is taken, and the reader says once which cell it took. Two
cells that are both that loose match are an error naming both: guessing between them
would read one column's data as another's. Nothing else is guessed (no synonyms: `Event
Type` is not `event`).

Every reader resolves columns through `Header` (CSV, Parquet and DuckDB query results by
their header, Spark by its frame's columns through the same reader) or, for JSON Lines,
whose objects carry their own keys, through `loose_keys`: one rule for every input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from slalang.diagnostics import SlalangError

_SET_ASIDE = re.compile(r"[\s_\-]+")


def loose(name: str) -> str:
    """A column name with case, spaces, `_` and `-` set aside: `Lead ID` → `leadid`."""
    return _SET_ASIDE.sub("", name).casefold()


def _ambiguous(place: str, wanted: str, first: str, second: str) -> SlalangError:
    return SlalangError(
        f"{place}: the columns `{first}` and `{second}` both match `{wanted}` once case, "
        f"spaces, `_` and `-` are set aside; name the one to read exactly in the mapping"
    )


class Header:
    """One input's column names, where each name a mapping asks for sits.

    `loosely` maps each name found only loosely to the cell taken, for the reader to say
    which of them it read.
    """

    def __init__(self, cells: Sequence[str], place: str) -> None:
        self.cells = list(cells)
        self.place = place
        self.exact: dict[str, int] = {}
        for index, cell in enumerate(self.cells):
            self.exact.setdefault(cell, index)
        self._loose: dict[str, list[int]] | None = None
        self.loosely: dict[str, str] = {}

    def find(self, wanted: str) -> int:
        """The index of the column `wanted`, exactly else loosely; -1 when there is none."""
        index = self.exact.get(wanted)
        if index is not None:
            return index
        if self._loose is None:
            self._loose = {}
            for position, cell in enumerate(self.cells):
                self._loose.setdefault(loose(cell), []).append(position)
        found = self._loose.get(loose(wanted), [])
        if not found or not loose(wanted):
            return -1
        cells = list(dict.fromkeys(self.cells[i] for i in found))
        if len(cells) > 1:
            raise _ambiguous(self.place, wanted, cells[0], cells[1])
        self.loosely[wanted] = cells[0]
        return found[0]


def loose_keys(
    wanted: Sequence[str], keys: Iterable[str], place: str
) -> tuple[list[str], list[tuple[str, str]]]:
    """For a JSON object's `keys`: the key to read for each name in `wanted` (the name
    itself when no key matches, so the lookup finds nothing) and the loose matches made
    (name, key), by the same rule as `Header.find`."""
    header = Header(list(keys), place)
    names = [header.cells[i] if (i := header.find(name)) >= 0 else name for name in wanted]
    return names, list(header.loosely.items())
