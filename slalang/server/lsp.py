"""`slalang server`: the Language Server Protocol over stdio, for any editor.

Built on pygls; every answer comes from the checker, the formatter and the symbol table
(`slalang.server.analysis`), never from a second parser, so the editor and `slalang check`
always agree. Diagnostics are recomputed on open and save at once and, while the user types,
once the typing pauses (`DEBOUNCE` seconds), so a long policy does not get re-checked on
every keystroke. Any failure inside a request is logged and answered with nothing: a
malformed document must never take the server down with it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import ParamSpec, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from slalang import __version__, ast
from slalang.config import find_config, load_config
from slalang.diagnostics import Diagnostic, Level, SlalangError
from slalang.fmt import format_text
from slalang.server.analysis import Analysis, Key, analyse
from slalang.server.completion import candidates, clause
from slalang.suppress import ALL, Selection
from slalang.syntax.parser import reserved_words

DEBOUNCE = 0.3
"""Seconds of quiet after a change before the document is checked again."""

WORKSPACE_LIMIT = 2_000
"""Most `.sla` files searched for references and renames: a bound, not a walk of a disk."""

_LEVELS = {
    Level.ERROR: lsp.DiagnosticSeverity.Error,
    Level.WARNING: lsp.DiagnosticSeverity.Warning,
    Level.INFO: lsp.DiagnosticSeverity.Information,
}
_SYMBOL_KINDS = {
    "event": lsp.SymbolKind.Event,
    "name": lsp.SymbolKind.Variable,
    "calendar": lsp.SymbolKind.Module,
    "stage": lsp.SymbolKind.EnumMember,
    "metric": lsp.SymbolKind.Constant,
    "party": lsp.SymbolKind.Object,
    "sla": lsp.SymbolKind.Interface,
    "target": lsp.SymbolKind.Struct,
}
_SUGGESTION = re.compile(r"did you mean `([^`]+)`\?")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def _docs_url() -> str | None:
    """The diagnostics page, from the package's `Documentation` project URL: a built docs
    site serves `diagnostics/`, a repository browser `diagnostics.md`."""
    try:
        urls = metadata.metadata("slalang").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = str(entry).partition(",")
        if label.strip().lower() == "documentation":
            base = url.strip().rstrip("/")
            page = "diagnostics.md" if "github.com" in base else "diagnostics/"
            return f"{base}/{page}"
    return None


class SlalangServer(LanguageServer):
    """The server and what it remembers between requests: the latest analysis of each open
    document that parsed (completion needs names while a line is half typed), and which
    files each document's diagnostics were published to (so stale ones get cleared)."""

    def __init__(self) -> None:
        super().__init__("slalang", __version__)
        self.analyses: dict[str, Analysis] = {}
        self.parsed: dict[str, Analysis] = {}
        self.published: dict[str, set[str]] = {}
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.docs_url = _docs_url()
        self.config_problem = ""

    # -- files -------------------------------------------------------------------------

    def root_for(self, path: Path) -> Path:
        """The policy root for imports: the workspace folder holding the file, else its own
        folder (the same confinement `slalang check` applies)."""
        for folder in self.workspace.folders.values():
            folder_path = Path(to_fs_path(folder.uri) or "")
            if folder_path.is_dir() and path.is_relative_to(folder_path):
                return folder_path
        root = self.workspace.root_path
        if root and path.is_relative_to(root):
            return Path(root)
        return path.parent

    def selection_for(self, path: Path) -> Selection:
        """The codes `slalang check` would report for PATH: its configuration file's
        `select`, `ignore` and `per-file-ignores` (a broken file is said once, then ignored)."""
        try:
            found = find_config(path.parent)
            if found is None:
                return ALL
            return Selection.from_settings(load_config(found).for_command("check"))
        except SlalangError as exc:
            if str(exc) != self.config_problem:
                self.config_problem = str(exc)
                self.window_show_message(
                    lsp.ShowMessageParams(lsp.MessageType.Warning, f"slalang: {exc}")
                )
            return ALL

    def overlay(self) -> dict[Path, str]:
        """The editor's open buffers by resolved path: imports read what the user sees."""
        found: dict[Path, str] = {}
        for uri, document in self.workspace.text_documents.items():
            path = to_fs_path(uri)
            if path:
                found[Path(path).resolve()] = document.source
        return found

    def analysis(self, uri: str) -> Analysis | None:
        """The document checked as it is now (cached until it changes)."""
        cached = self.analyses.get(uri)
        if cached is not None:
            return cached
        path = to_fs_path(uri)
        if not path:
            return None
        resolved = Path(path).resolve()
        document = self.workspace.get_text_document(uri)
        result = analyse(
            resolved,
            document.source,
            self.root_for(resolved),
            self.overlay(),
            self.selection_for(resolved),
        )
        self.analyses[uri] = result
        if result.program is not None:
            self.parsed[uri] = result
        return result

    def workspace_analyses(self, uri: str) -> Iterator[Analysis]:
        """This document, then every policy in its workspace: a name defined in a shared
        file is used by the policies that import it, which the shared file cannot know."""
        own = self.analysis(uri)
        if own is not None:
            yield own
        path = to_fs_path(uri)
        if not path:
            return
        root = self.root_for(Path(path).resolve())
        overlay = self.overlay()
        seen = {Path(path).resolve()}
        for count, other in enumerate(sorted(root.rglob("*.sla"))):
            if count >= WORKSPACE_LIMIT:
                break
            resolved = other.resolve()
            if resolved in seen or any(part.startswith(".") for part in other.parts):
                continue
            seen.add(resolved)
            try:
                text = overlay.get(resolved) or resolved.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            yield analyse(resolved, text, root, overlay, self.selection_for(resolved))


server = SlalangServer()


def _guarded(handler: Callable[P, R]) -> Callable[P, R | None]:
    """A handler that fails answers nothing and logs why: one odd document or one bug must
    cost the user one answer, not the server."""

    @functools.wraps(handler)  # pygls reads the wrapped signature to pass the server
    def run(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return handler(*args, **kwargs)
        except Exception:  # the server outlives any one request
            log.exception("slalang server: %s failed", getattr(handler, "__name__", "handler"))
            return None

    return run


# -- positions ---------------------------------------------------------------------------


def _units(text: str) -> int:
    """UTF-16 code units, the LSP's default position encoding."""
    return len(text.encode("utf-16-le")) // 2


def _line_text(analysis: Analysis | None, file: str, line: int) -> str:
    if analysis is None or analysis.program is None:
        return ""
    for module in analysis.program.modules:
        if module.path == file:
            lines = module.source.splitlines()
            return lines[line - 1] if 0 < line <= len(lines) else ""
    return ""


def _range(span: ast.Span, analysis: Analysis | None = None) -> lsp.Range:
    """A 1-based, end-exclusive span in characters as an LSP range in UTF-16 units."""
    start_text = _line_text(analysis, span.file, span.line)
    end_text = (
        start_text if span.end_line == span.line else _line_text(analysis, span.file, span.end_line)
    )
    start = _units(start_text[: span.column - 1]) if start_text else span.column - 1
    end = _units(end_text[: span.end_column - 1]) if end_text else span.end_column - 1
    return lsp.Range(
        lsp.Position(max(span.line - 1, 0), max(start, 0)),
        lsp.Position(max(span.end_line - 1, 0), max(end, 0)),
    )


def _column(document_lines: list[str], position: lsp.Position) -> int:
    """An LSP position's character (UTF-16) as a 0-based index into the line's characters."""
    if position.line >= len(document_lines):
        return position.character
    line = document_lines[position.line]
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line)


def _uri(file: str) -> str:
    return from_fs_path(file) or file


def _key_at(ls: SlalangServer, uri: str, position: lsp.Position) -> tuple[Analysis, Key] | None:
    analysis = ls.analysis(uri) or ls.parsed.get(uri)
    if analysis is None:
        return None
    lines = ls.workspace.get_text_document(uri).lines
    column = _column(list(lines), position) + 1
    key = analysis.at(str(analysis.path), position.line + 1, column)
    return (analysis, key) if key is not None else None


# -- diagnostics -------------------------------------------------------------------------


def _diagnostic(d: Diagnostic, analysis: Analysis, docs_url: str | None) -> lsp.Diagnostic:
    message = d.message if not d.label else f"{d.message} ({d.label})"
    if d.help:
        message += f"\nhelp: {d.help}"
    return lsp.Diagnostic(
        range=_range(d.span, analysis),
        message=message,
        severity=_LEVELS[d.level],
        code=d.code,
        code_description=(
            lsp.CodeDescription(href=f"{docs_url}#{d.code.lower()}") if docs_url else None
        ),
        source="slalang",
        data={"label": d.label},
    )


def publish(ls: SlalangServer, uri: str) -> None:
    """Check the document again and publish its diagnostics, grouped by file: a problem in
    an imported file is shown in that file, and files that had some and now have none are
    cleared."""
    ls.analyses.pop(uri, None)
    analysis = ls.analysis(uri)
    if analysis is None:
        return
    by_file: dict[str, list[lsp.Diagnostic]] = {uri: []}
    for d in analysis.diagnostics:
        file_uri = uri if d.span.file == str(analysis.path) else _uri(d.span.file)
        by_file.setdefault(file_uri, []).append(_diagnostic(d, analysis, ls.docs_url))
    for stale in ls.published.get(uri, set()) - set(by_file):
        by_file[stale] = []
    for file_uri, found in by_file.items():
        ls.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=file_uri, diagnostics=found)
        )
    ls.published[uri] = {u for u, found in by_file.items() if found}


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
@_guarded
def did_open(ls: SlalangServer, params: lsp.DidOpenTextDocumentParams) -> None:
    """Checked at once when opened."""
    publish(ls, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
@_guarded
def did_save(ls: SlalangServer, params: lsp.DidSaveTextDocumentParams) -> None:
    """Checked at once when saved (a saved import changes what its importers see)."""
    for uri in list(ls.analyses):
        ls.analyses.pop(uri, None)
    publish(ls, params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
@_guarded
def did_change(ls: SlalangServer, params: lsp.DidChangeTextDocumentParams) -> None:
    """Checked once typing pauses: each change cancels the check the previous one asked for."""
    uri = params.text_document.uri
    ls.analyses.clear()  # this buffer may be imported by other open documents
    waiting = ls.pending.pop(uri, None)
    if waiting is not None:
        waiting.cancel()
    loop = asyncio.get_running_loop()
    ls.pending[uri] = loop.call_later(DEBOUNCE, _guarded(publish), ls, uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
@_guarded
def did_close(ls: SlalangServer, params: lsp.DidCloseTextDocumentParams) -> None:
    """A closed document's diagnostics go away with it (the CLI still reports them)."""
    uri = params.text_document.uri
    ls.analyses.pop(uri, None)
    ls.parsed.pop(uri, None)
    for file_uri in ls.published.pop(uri, set()) | {uri}:
        ls.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=file_uri, diagnostics=[])
        )


# -- formatting --------------------------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
@_guarded
def formatting(
    ls: SlalangServer, params: lsp.DocumentFormattingParams
) -> list[lsp.TextEdit] | None:
    """The whole document in the canonical layout of `slalang fmt`; nothing when it does not
    parse (the diagnostics say why)."""
    document = ls.workspace.get_text_document(params.text_document.uri)
    try:
        formatted = format_text(document.source, document.path)
    except SlalangError:
        return None
    if formatted == document.source:
        return []
    lines = document.source.splitlines()
    end = lsp.Position(len(lines), 0)
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), formatted)]


# -- names ---------------------------------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
@_guarded
def hover(ls: SlalangServer, params: lsp.HoverParams) -> lsp.Hover | None:
    """What a name means: its declaration as written (a stage's criteria, an SLA's goals, a
    calendar's hours) and, for a let, its folded value."""
    found = _key_at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    analysis, key = found
    definition = analysis.definitions.get(key)
    if definition is None:
        return lsp.Hover(
            lsp.MarkupContent(lsp.MarkupKind.Markdown, f"unknown {key.kind} `{key.name}`")
        )
    node = definition.node
    span = getattr(node, "span", definition.ident.span)
    written = "" if isinstance(node, ast.Ident) else analysis.source(span)
    where = f"{Path(definition.ident.span.file).name}:{definition.ident.span.line}"
    text = f"**{definition.detail}** — {where}"
    if written:
        text += f"\n\n```slalang\n{_trim(written)}\n```"
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text))


def _trim(text: str, lines: int = 25) -> str:
    rows = text.splitlines()
    return "\n".join(rows[:lines] + (["  …"] if len(rows) > lines else []))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
@_guarded
def definition(ls: SlalangServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    """Where a name is declared, in whichever imported file that is."""
    found = _key_at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    analysis, key = found
    declared = analysis.definitions.get(key)
    if declared is None:
        return None
    return lsp.Location(_uri(declared.ident.span.file), _range(declared.ident.span, analysis))


def _place(span: ast.Span) -> tuple[str, int, int]:
    """Where a span starts: what tells one declaration (or use) from another."""
    return (span.file, span.line, span.column)


def _occurrences(
    ls: SlalangServer, uri: str, analysis: Analysis, key: Key
) -> dict[tuple[str, int, int], tuple[ast.Span, Analysis]]:
    """Every place the name is declared or used across the workspace, once each. Only
    analyses that see the same declaration count: two policies may both declare an event
    `demo`, and renaming one must not rename the other."""
    declared = analysis.definitions.get(key)
    home = _place(declared.ident.span) if declared else None
    found: dict[tuple[str, int, int], tuple[ast.Span, Analysis]] = {}
    for other in ls.workspace_analyses(uri):
        theirs = other.definitions.get(key)
        if (_place(theirs.ident.span) if theirs else None) != home:
            continue
        for span in other.occurrences(key):
            found.setdefault(_place(span), (span, other))
    return found


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
@_guarded
def references(ls: SlalangServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
    """Every use of a name (and its declaration when asked), across the workspace."""
    uri = params.text_document.uri
    found = _key_at(ls, uri, params.position)
    if found is None:
        return None
    analysis, key = found
    declared = analysis.definitions.get(key)
    places = _occurrences(ls, uri, analysis, key)
    return [
        lsp.Location(_uri(span.file), _range(span, owner))
        for (file, line, column), (span, owner) in sorted(places.items())
        if params.context.include_declaration
        or declared is None
        or (file, line, column) != _place(declared.ident.span)
    ]


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
@_guarded
def prepare_rename(ls: SlalangServer, params: lsp.PrepareRenameParams) -> lsp.Range | None:
    """Only a name the user declared can be renamed (not a keyword, not `always`)."""
    found = _key_at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    analysis, key = found
    if key not in analysis.definitions:
        return None
    column = (
        _column(
            list(ls.workspace.get_text_document(params.text_document.uri).lines), params.position
        )
        + 1
    )
    for span in analysis.occurrences(key):
        if (
            span.file == str(analysis.path)
            and span.line == params.position.line + 1
            and span.column <= column <= span.end_column
        ):
            return _range(span, analysis)
    return None


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
@_guarded
def rename(ls: SlalangServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    """The declaration and every use, in every file of the workspace that sees it."""
    new = params.new_name
    if not _NAME.match(new) or new in reserved_words():
        raise ValueError(f"`{new}` is not a name slalang accepts")
    uri = params.text_document.uri
    found = _key_at(ls, uri, params.position)
    if found is None:
        return None
    analysis, key = found
    if key not in analysis.definitions:
        return None
    changes: dict[str, list[lsp.TextEdit]] = {}
    for span, owner in _occurrences(ls, uri, analysis, key).values():
        changes.setdefault(_uri(span.file), []).append(lsp.TextEdit(_range(span, owner), new))
    return lsp.WorkspaceEdit(changes=changes)


# -- completion, outline, fixes ------------------------------------------------------------

_COMPLETION_KINDS = {kind.name: kind for kind in lsp.CompletionItemKind}


@server.feature(
    lsp.TEXT_DOCUMENT_COMPLETION,
    lsp.CompletionOptions(trigger_characters=[" ", "(", ",", '"']),
)
@_guarded
def completion(ls: SlalangServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
    """Names that fit where the cursor is: events after `on`, stages after `entering`,
    calendars after `using`, a field's `one of` values after `field =`, and so on."""
    uri = params.text_document.uri
    lines = list(ls.workspace.get_text_document(uri).lines)
    before = clause(lines, params.position.line, _column(lines, params.position))
    analysis = ls.analysis(uri)
    if analysis is None or analysis.program is None:
        analysis = ls.parsed.get(uri) or _without_line(ls, uri, params.position.line)
    items = [
        lsp.CompletionItem(
            label=c.label,
            kind=_COMPLETION_KINDS.get(c.kind, lsp.CompletionItemKind.Text),
            detail=c.detail or None,
            insert_text=c.insert,
            insert_text_format=lsp.InsertTextFormat.Snippet if c.insert else None,
        )
        for c in candidates(analysis, before)
    ]
    return lsp.CompletionList(is_incomplete=False, items=items)


def _without_line(ls: SlalangServer, uri: str, line: int) -> Analysis | None:
    """The document checked without the lines that stop it from parsing: the one being
    typed, then each line a syntax error points at (a few times at most). A half-written
    clause should not hide the names every other line declares."""
    path = to_fs_path(uri)
    if not path:
        return None
    lines = ls.workspace.get_text_document(uri).source.splitlines(keepends=True)
    resolved = Path(path).resolve()
    blank = line
    for _ in range(4):
        if 0 <= blank < len(lines):
            lines[blank] = "\n"
        result = analyse(
            resolved,
            "".join(lines),
            ls.root_for(resolved),
            ls.overlay(),
            ls.selection_for(resolved),
        )
        if result.program is not None:
            return result
        if not result.diagnostics:
            return None
        blank = result.diagnostics[0].span.line - 1
    return None


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@_guarded
def document_symbols(
    ls: SlalangServer, params: lsp.DocumentSymbolParams
) -> list[lsp.DocumentSymbol] | None:
    """The outline: what this file declares, in the order written."""
    analysis = ls.analysis(params.text_document.uri) or ls.parsed.get(params.text_document.uri)
    if analysis is None:
        return None
    here = str(analysis.path)
    symbols = []
    for definition in analysis.definitions.values():
        ident = definition.ident
        if ident.span.file != here:
            continue
        node = definition.node
        whole = getattr(node, "span", ident.span)
        symbols.append(
            lsp.DocumentSymbol(
                name=ident.name,
                kind=_SYMBOL_KINDS[definition.key.kind],
                range=_range(whole if whole.file == here else ident.span, analysis),
                selection_range=_range(ident.span, analysis),
                detail=definition.detail,
            )
        )
    return sorted(symbols, key=lambda s: (s.range.start.line, s.range.start.character))


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
)
@_guarded
def code_actions(ls: SlalangServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
    """For each slalang diagnostic in range: take the did-you-mean suggestion, or silence
    the code on this line with a `# slalang: ignore[CODE]` comment."""
    uri = params.text_document.uri
    lines = list(ls.workspace.get_text_document(uri).lines)
    actions: list[lsp.CodeAction] = []
    for d in params.context.diagnostics:
        if d.source != "slalang" or not isinstance(d.code, str):
            continue
        label = (d.data or {}).get("label") if isinstance(d.data, dict) else None
        suggestion = _SUGGESTION.search(label or d.message)
        if suggestion:
            actions.append(
                lsp.CodeAction(
                    title=f"Change to `{suggestion.group(1)}`",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[d],
                    is_preferred=True,
                    edit=lsp.WorkspaceEdit(
                        changes={uri: [lsp.TextEdit(d.range, suggestion.group(1))]}
                    ),
                )
            )
        row = d.range.start.line
        if row < len(lines) and d.severity != lsp.DiagnosticSeverity.Error:
            text = lines[row].rstrip("\r\n")
            end = lsp.Position(row, _units(text))
            actions.append(
                lsp.CodeAction(
                    title=f"Ignore {d.code} on this line",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[d],
                    edit=lsp.WorkspaceEdit(
                        changes={
                            uri: [
                                lsp.TextEdit(lsp.Range(end, end), f"  # slalang: ignore[{d.code}]")
                            ]
                        }
                    ),
                )
            )
    return actions


def run() -> None:
    """Serve one editor over stdin/stdout until it disconnects."""
    server.start_io()


__all__ = ["DEBOUNCE", "SlalangServer", "publish", "run", "server"]
