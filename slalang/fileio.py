"""Files in and out for every command: a file parsed whole is read only when it is a
regular file, and output is written atomically, so a failed run never leaves a
half-written plan, report or formatted policy behind (RUNNER §1)."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from slalang.diagnostics import SlalangError


class NotARegularFile(OSError):
    """A path that names a device, a pipe or a socket where a whole file is parsed."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(errno.EINVAL, "not a regular file (a device, pipe or socket)", path)


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a file that is parsed whole (a policy, mapping, metrics file, policy
    test or plan). Anything but a regular file raises NotARegularFile, an OSError, before a
    byte is read: `/dev/zero` never ends, and `/dev/stdin` or a pipe would be read with no
    bound. Callers word OSErrors by their `strerror` already."""
    with open(path, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise NotARegularFile(path)
        return handle.read()


def read_text(path: str | os.PathLike[str], encoding: str = "utf-8") -> str:
    """`read_bytes` decoded; a UnicodeDecodeError for text that is not in `encoding`."""
    return read_bytes(path).decode(encoding)


@dataclass(frozen=True, slots=True)
class Stored:
    """A piece of output that is UTF-8 text in a file (report entries a worker process
    wrote): copied into the output by the kernel (`os.sendfile`), never read into this
    process, where the output takes UTF-8 bytes."""

    path: str


Piece = str | bytes | memoryview | Stored


def write_atomic(path: Path, data: str | Iterable[Piece]) -> None:
    """Write `data` (text, or text in pieces written as they come, so a report streamed
    out of an engine is never whole in memory) to a temporary file beside `path`, then
    rename it into place: a run that fails half-way leaves the old file as it was.

    Only a regular file (or nothing) is ever replaced: `-o /dev/null`, a FIFO or a terminal
    is written to directly. Renaming over them would swap a device or a pipe someone reads
    for a plain file (as root, `/dev/null` itself), and none of them can be half-written
    in the way a report file can.
    """
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None  # nothing there yet (or a bad directory, which mkstemp names)
    except OSError as exc:  # a name too long, a loop of links, …
        raise cannot_write(path, exc) from None
    if mode is not None and not stat.S_ISREG(mode):
        with writing_to(path), open(path, "w", encoding="utf-8", newline="") as handle:
            write_pieces(handle, data)
        return
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except (FileNotFoundError, NotADirectoryError) as exc:
        if directory.is_dir():  # one that holds no files of ours (/proc)
            raise cannot_write(path, exc) from None
        raise SlalangError(
            f"{path}: cannot write: the directory `{directory}` does not exist"
        ) from None
    except PermissionError:
        raise SlalangError(
            f"{path}: cannot write: no permission to write in `{directory}`"
        ) from None
    except OSError as exc:  # a read-only file system, a name too long, …
        raise cannot_write(path, exc) from None
    try:
        with writing_to(path), os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            write_pieces(handle, data)
        os.chmod(tmp, stat.S_IMODE(mode) if mode is not None else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_CANNOT_WRITE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS)


@contextlib.contextmanager
def writing_to(output: Path | str) -> Iterator[None]:
    """Output that the disk refuses (full, over quota, read-only, failing: `-o /dev/full`)
    stops the run with one line naming the `output`. Other errors raised while writing
    come from making the pieces, not from the output, and pass as they are."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _CANNOT_WRITE:
            raise
        raise cannot_write(output, exc) from None


def cannot_write(output: Path | str, exc: OSError) -> SlalangError:
    """The one line for output the system refused: `OUTPUT: cannot write: REASON`."""
    return SlalangError(f"{output}: cannot write: {exc.strerror or exc}")


def write_pieces(handle: TextIO, data: str | Iterable[Piece]) -> None:
    """`data` written to `handle`, pieces joined into writes of about a megabyte (a report
    comes in pieces of one entry, and a system call each would be slow). A piece of UTF-8
    bytes (an engine's entries, held as UTF-8) goes to the handle's binary buffer as it
    is when the handle writes UTF-8 without translating line ends, else decoded; so does
    a `Stored` file's text, copied by the kernel."""
    if isinstance(data, str):
        handle.write(data)
        return
    binary = _utf8_buffer(handle)
    held: list[str] = []
    size = 0
    for piece in data:
        if not isinstance(piece, str):
            if binary is None:
                piece = decoded(piece)
            else:
                handle.write("".join(held))
                held, size = [], 0
                handle.flush()
                if isinstance(piece, Stored):
                    _send(piece.path, binary)
                else:
                    binary.write(piece)
                continue
        held.append(piece)
        size += len(piece)
        if size >= 1 << 20:
            handle.write("".join(held))
            held, size = [], 0
    handle.write("".join(held))


def decoded(piece: bytes | memoryview | Stored) -> str:
    """The text of a piece of UTF-8 output."""
    if not isinstance(piece, Stored):
        return str(piece, "utf-8")
    with open(piece.path, encoding="utf-8", newline="") as source:
        return source.read()


def _send(path: str, sink: BinaryIO) -> None:
    """The file at `path` appended to `sink` by the kernel, or copied where it cannot."""
    sink.flush()
    with open(path, "rb") as source:
        size = os.fstat(source.fileno()).st_size
        sent = 0
        try:
            while sent < size:
                done = os.sendfile(sink.fileno(), source.fileno(), sent, size - sent)
                if not done:
                    break
                sent += done
        except OSError:
            if sent:
                raise
            shutil.copyfileobj(source, sink)  # a sink sendfile cannot write to


def _utf8_buffer(handle: TextIO) -> BinaryIO | None:
    """The binary buffer under a text handle that writes UTF-8 and leaves line ends alone
    (every file slalang writes, and standard output where the locale is UTF-8 on POSIX)."""
    encoding = (getattr(handle, "encoding", None) or "").lower().replace("_", "-")
    if encoding not in ("utf-8", "utf8") or os.linesep != "\n":
        return None
    return getattr(handle, "buffer", None)
