"""write_atomic: regular files are replaced atomically, anything else is written in place."""

from __future__ import annotations

import errno
import io
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from slalang.diagnostics import SlalangError
from slalang.fileio import Stored, write_atomic, write_pieces


def test_a_regular_file_is_replaced_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o600)
    write_atomic(target, "new ü\n")
    assert target.read_bytes() == "new ü\n".encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_new_file_is_created_readable(tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    write_atomic(target, "x")
    assert target.read_text(encoding="utf-8") == "x"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_dev_null_stays_a_device() -> None:
    null = Path("/dev/null")
    write_atomic(null, "discarded")
    assert stat.S_ISCHR(null.stat().st_mode)


def test_a_fifo_is_written_through_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, "through the pipe\n")
    reader.join(timeout=10)
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "\udc80")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize(
    ("where", "said"),
    [
        ("missing/report.json", "the directory `{tmp}/missing` does not exist"),
        ("x" * 300 + ".json", "File name too long"),
        ("x" * 245 + ".json", "File name too long"),  # the temporary file's name only
    ],
)
def test_a_place_no_file_can_be_made_is_one_line(tmp_path: Path, where: str, said: str) -> None:
    """Where the temporary file beside the output cannot be made: a missing directory, or
    the system's own reason (a read-only file system, a name over 255 bytes)."""
    target = tmp_path / where
    with pytest.raises(SlalangError) as raised:
        write_atomic(target, "x")
    assert str(raised.value) == f"{target}: cannot write: {said.format(tmp=tmp_path)}"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_directory_that_takes_no_files_gives_the_system_s_reason() -> None:
    """/proc is there but makes no files: the directory exists, so the system's reason is
    given, not "does not exist"."""
    with pytest.raises(SlalangError, match=r"^/proc/report\.json: cannot write: No such file"):
        write_atomic(Path("/proc/report.json"), "x")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full (Linux's full disk)")
def test_a_full_device_is_one_line() -> None:
    with pytest.raises(SlalangError, match=r"^/dev/full: cannot write: No space left on device$"):
        write_atomic(Path("/dev/full"), ["x" * (1 << 21), b"y"])


PIECES = ["{\n", "ü ", "x" * (1 << 20), " ", "é".encode(), memoryview(b" ok "), "end\n"]
WHOLE = "".join(p if isinstance(p, str) else str(p, "utf-8") for p in PIECES)


def test_pieces_of_text_and_utf8_bytes_are_written_in_order(tmp_path: Path) -> None:
    """Bytes pieces go to the file's binary buffer as they are, after the text before
    them (held text is flushed first, also past a megabyte)."""
    target = tmp_path / "report.json"
    write_atomic(target, iter(PIECES))
    assert target.read_bytes() == WHOLE.encode()


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_bytes_pieces_are_decoded_for_a_handle_of_another_encoding(encoding: str) -> None:
    """Standard output in a locale that is not UTF-8: the bytes are text like the rest."""
    raw = io.BytesIO()
    handle = io.TextIOWrapper(raw, encoding=encoding, newline="")
    write_pieces(handle, iter(PIECES))
    handle.flush()
    assert raw.getvalue() == WHOLE.encode(encoding)


@pytest.fixture
def stored(tmp_path: Path) -> tuple[list[Any], str]:
    """Pieces with two stored files among them (a worker's entries), and their text."""
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_bytes("stored ü ".encode() * 50_000)
    second.write_bytes(b"")
    pieces = ["{\n", Stored(str(first)), "é".encode(), Stored(str(second)), "end\n"]
    text = "{\n" + "stored ü " * 50_000 + "é" + "end\n"
    return pieces, text


def test_stored_pieces_are_copied_into_a_file_a_pipe_or_decoded(
    stored: tuple[list[Any], str], tmp_path: Path
) -> None:
    """A stored file's bytes go in its place: by the kernel into a file or a pipe, the
    text before it flushed first; decoded for a handle of another encoding."""
    pieces, text = stored
    target = tmp_path / "report.json"
    write_atomic(target, iter(pieces))
    assert target.read_bytes() == text.encode()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, iter(pieces))
    reader.join(timeout=10)
    assert received == [text.encode()]
    raw = io.BytesIO()
    handle = io.TextIOWrapper(raw, encoding="utf-16", newline="")
    write_pieces(handle, iter(pieces))
    handle.flush()
    assert raw.getvalue() == text.encode("utf-16")


def test_a_stored_piece_is_copied_where_the_kernel_cannot_send_it(
    stored: tuple[list[Any], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any) -> int:
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(os, "sendfile", refuse)
    pieces, text = stored
    target = tmp_path / "report.json"
    write_atomic(target, iter(pieces))
    assert target.read_bytes() == text.encode()
