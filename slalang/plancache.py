"""Plans of policies the checker passed clean, kept in slalang's cache between runs.

Every command that runs a policy (`evaluate`, `explain`, `data check`, `compile`, ...)
first parses it, checks it and compiles it: 0.1 s of parsing and checking on the seed
policy, on top of importing the parser, before the first event is read (a sixth of the
README's command, 7 % of a million events). A policy file changes far less often than it
is run, so the plan of a policy the checker found nothing to say about is kept, and the
next run with the same files, options and slalang loads it instead.

An entry is named by a digest of what the check and the compilation depend on besides the
files' content: slalang's own files (their names, sizes and modification times, so an
edited checkout is never served an old plan), the parser's and the holidays library's,
the Python version, the working directory (diagnostics and imports name files relative
to it), the path and root as given, and the codes selected or ignored. It holds every
policy file read (imports included): its name as shown, the file it resolved to, the
SHA-256 of its bytes and its text. A run uses the entry only when each of those names
still resolves to the same file with the same bytes; anything else (a file edited, added
to an import, removed, a symlink pointed elsewhere, an entry that cannot be read) is a
miss, and the policy is loaded as ever. A policy with warnings is never kept, so its
warnings are shown on every run. See `slalang.caches` for where the cache lives.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

from slalang.api import Policy
from slalang.caches import cache_root, keep
from slalang.plan.codec import digest
from slalang.suppress import Selection

_FORMAT = "1"
_ENTRIES = 64
"""Entries kept at most: the oldest are removed when a new one is written (each edit of a
policy, or of slalang itself, makes a new entry and leaves the old one unused)."""


@functools.cache
def _code() -> list[object]:
    """What the plan depends on besides the policy files and the options: slalang's files
    (name, size, modification time; 2 ms for 130 files, where hashing them would cost more
    than the cache saves), the grammar of a source checkout, the parser and holidays
    libraries' files, and the Python version. Walked once per process: a miss names the
    entry twice, to look for it and to keep it."""
    package = Path(__file__).parent
    found: list[object] = [_FORMAT, list(sys.version_info[:3])]
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".lark", ".json")):
                found.append(_stat(os.path.join(folder, name)))
    found.append(_stat(str(package.parent / "grammar" / "slalang.lark")))
    for library in ("lark", "holidays"):
        spec = importlib.util.find_spec(library)
        found.append(_stat(spec.origin) if spec is not None and spec.origin else library)
    return found


def _stat(path: str) -> list[object]:
    try:
        status = os.stat(path)
    except OSError:
        return [path]
    return [path, status.st_size, status.st_mtime_ns]


def _entry(path: str, root: Path | None, chosen: Selection) -> Path:
    """The cache file of a policy run with these options by this slalang."""
    key = [
        _code(),
        os.getcwd(),
        path,
        os.path.abspath(path),
        None if root is None else os.path.abspath(root),
        list(chosen.select),
        list(chosen.ignore),
        sorted((glob, list(codes)) for glob, codes in chosen.per_file.items()),
    ]
    digest = hashlib.sha256(json.dumps(key).encode("utf-8")).hexdigest()[:32]
    return cache_root() / "plans" / f"{digest}.json"


def load(path: str, root: Path | None, chosen: Selection) -> Policy | None:
    """The policy at `path` from its cache entry, or None when there is no valid entry (a
    plan whose digest does not match its content, as a damaged file's would not, is none)."""
    try:
        kept = json.loads(_entry(path, root, chosen).read_text(encoding="utf-8"))
        modules = [(shown, text) for shown, _, _, text in kept["modules"]]
        for shown, resolved, sha, _ in kept["modules"]:
            if str(Path(shown).resolve()) != resolved:
                return None
            if hashlib.sha256(Path(resolved).read_bytes()).hexdigest() != sha:
                return None
        plan = kept["plan"]
        if not isinstance(plan, dict) or plan.get("digest") != digest(plan):
            return None
    except (OSError, RuntimeError, ValueError, KeyError, TypeError):
        return None
    return Policy(path, plan=plan, selection=chosen, modules=modules)


def store(policy: Policy, path: str, root: Path | None, chosen: Selection) -> Policy:
    """Keep the plan of `policy` (the checker found nothing in it) and return the policy
    to run: one holding the plan as JSON gives it back, so that the run that keeps an
    entry and every run that uses it see the same plan. Nothing is kept when a file read
    cannot be found again by its shown name with the same text (a name that resolves
    through a symlink the loader did not follow the same way)."""
    modules = []
    try:
        entry = _entry(path, root, chosen)
        for shown, text in policy.sources.items():
            resolved = Path(shown).resolve()
            data = resolved.read_bytes()
            if data.decode("utf-8", "replace") != text:
                return policy
            modules.append([shown, str(resolved), hashlib.sha256(data).hexdigest(), text])
    except (OSError, RuntimeError):  # the working directory gone, a symlink loop
        return policy
    plan = json.loads(json.dumps(policy.plan))
    if keep(entry, json.dumps({"modules": modules, "plan": plan}, ensure_ascii=False)):
        _prune(entry.parent)
    return Policy(path, plan=plan, selection=chosen, modules=list(policy.sources.items()))


def _prune(folder: Path) -> None:
    """Remove all but the `_ENTRIES` most recently written entries."""
    with contextlib.suppress(OSError):
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
        for old in entries[:-_ENTRIES]:
            with contextlib.suppress(OSError):
                old.unlink()
