"""`slalang server` driven by a real LSP client (pytest-lsp) over the server's stdio.

Each test starts the server as a subprocess, opens documents from a small workspace (an
entry policy that imports a shared file), and checks what an editor would show.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

SHARED = """\
events form_submitted, sales_touch, sales_accepted, callback_requested
field segment: one of "smb", "enterprise"
field company_size: number
score fit {
  +20 when company_size >= 200
}
stage mql when fit >= 20
"""

ENTRY = """\
import "shared.sla"

agreement "Test SLA" {
  timezone "UTC"
  party marketing "Marketing"
  party sales "Sales"
}

let revenue_goal = 90_000
let mql_value = 1_600
let mqls_needed = ceil(revenue_goal / mql_value)

sla first_touch "Sales contacts every MQL" {
  owner sales
  start when entering mql
  stop on sales_touch, sales_accepted
  pause on callback_requested
  resume on form_submitted
  within 4 hours
}

target mql_volume { owner marketing  monthly: count(entering mql) >= mqls_needed }
"""

TYPO = ENTRY.replace("stop on sales_touch,", "stop on sales_tuch,")


def _workspace(root: Path) -> Path:
    (root / "shared.sla").write_text(SHARED, encoding="utf-8")
    (root / "policy.sla").write_text(ENTRY, encoding="utf-8")
    return root


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "slalang", "server"]),
)
async def client(lsp_client: LanguageClient, tmp_path: Path) -> AsyncIterator[None]:
    root = _workspace(tmp_path)
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(),
            root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="policies")],
        )
    )
    yield
    await lsp_client.shutdown_session()


def _open(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(
                uri=uri,
                language_id="slalang",
                version=1,
                text=path.read_text() if text is None else text,
            )
        )
    )
    return uri


async def _diagnostics(client: LanguageClient, uri: str) -> list[lsp.Diagnostic]:
    await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics.get(uri, []))


def _position(text: str, needle: str, offset: int = 0) -> lsp.Position:
    """The position of the first `needle` in `text` (plus `offset` characters)."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return lsp.Position(line, index - (text.rfind("\n", 0, index) + 1))


@pytest.mark.asyncio
async def test_typo_gets_a_diagnostic_with_its_code_and_range_then_clears(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = _open(client, tmp_path / "policy.sla", TYPO)
    found = await _diagnostics(client, uri)
    assert [d.code for d in found] == ["SLA201"]
    (typo,) = found
    start = _position(TYPO, "sales_tuch")
    assert typo.range == lsp.Range(start, lsp.Position(start.line, start.character + 10))
    assert "unknown event `sales_tuch`" in typo.message
    assert "did you mean `sales_touch`?" in typo.message
    assert typo.severity == lsp.DiagnosticSeverity.Error

    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [lsp.TextDocumentContentChangeWholeDocument(text=ENTRY)],
        )
    )
    assert await _diagnostics(client, uri) == []


@pytest.mark.asyncio
async def test_quick_fix_takes_the_suggestion(client: LanguageClient, tmp_path: Path) -> None:
    uri = _open(client, tmp_path / "policy.sla", TYPO)
    (typo,) = await _diagnostics(client, uri)
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            range=typo.range,
            context=lsp.CodeActionContext(diagnostics=[typo]),
        )
    )
    assert actions
    fix = actions[0]
    assert isinstance(fix, lsp.CodeAction) and fix.edit and fix.edit.changes
    assert list(fix.edit.changes[uri]) == [lsp.TextEdit(typo.range, "sales_touch")]


@pytest.mark.asyncio
async def test_formatting_returns_the_canonical_text(
    client: LanguageClient, tmp_path: Path
) -> None:
    from slalang.fmt import format_text

    messy = ENTRY.replace("let mql_value = 1_600", "let   mql_value=1_600")
    uri = _open(client, tmp_path / "policy.sla", messy)
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(
            lsp.TextDocumentIdentifier(uri), lsp.FormattingOptions(2, True)
        )
    )
    assert edits is not None and len(edits) == 1
    assert edits[0].range.start == lsp.Position(0, 0)
    assert edits[0].new_text == format_text(messy, str(tmp_path / "policy.sla"))
    assert "let mql_value = 1_600" in edits[0].new_text


@pytest.mark.asyncio
async def test_hover_shows_a_lets_folded_value_and_a_stages_criteria(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = _open(client, tmp_path / "policy.sla")
    hover = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri), _position(ENTRY, ">= mqls_needed", 4))
    )
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert "let `mqls_needed` = 57" in hover.contents.value
    assert "ceil(revenue_goal / mql_value)" in hover.contents.value

    hover = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri), _position(ENTRY, "entering mql", 10))
    )
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert "stage mql when fit >= 20" in hover.contents.value
    assert "shared.sla:7" in hover.contents.value


@pytest.mark.asyncio
async def test_definition_across_an_import_and_references(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = _open(client, tmp_path / "policy.sla")
    where = _position(ENTRY, "stop on sales_touch", 9)
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(lsp.TextDocumentIdentifier(uri), where)
    )
    assert isinstance(found, lsp.Location)
    shared_uri = (tmp_path / "shared.sla").as_uri()
    assert found.uri == shared_uri
    assert found.range.start == _position(SHARED, "sales_touch")

    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            position=where,
            context=lsp.ReferenceContext(include_declaration=True),
        )
    )
    assert refs is not None
    assert sorted((r.uri, r.range.start.line) for r in refs) == sorted(
        [(shared_uri, 0), (uri, _position(ENTRY, "stop on").line)]
    )


@pytest.mark.asyncio
async def test_references_include_pause_and_resume_lines(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = _open(client, tmp_path / "policy.sla")
    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            position=_position(ENTRY, "pause on callback_requested", 9),
            context=lsp.ReferenceContext(include_declaration=False),
        )
    )
    assert refs is not None
    assert [(r.uri, r.range.start.line) for r in refs] == [(uri, _position(ENTRY, "pause on").line)]


@pytest.mark.asyncio
async def test_references_from_a_shared_file_find_uses_in_its_importers(
    client: LanguageClient, tmp_path: Path
) -> None:
    shared_uri = _open(client, tmp_path / "shared.sla")
    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=lsp.TextDocumentIdentifier(shared_uri),
            position=_position(SHARED, "stage mql", 6),
            context=lsp.ReferenceContext(include_declaration=False),
        )
    )
    assert refs is not None
    policy_uri = (tmp_path / "policy.sla").as_uri()
    assert {(r.uri, r.range.start.line) for r in refs} == {
        (policy_uri, _position(ENTRY, "entering mql").line),
        (policy_uri, _position(ENTRY, "count(entering mql)").line),
    }


@pytest.mark.asyncio
async def test_completion_after_stop_on_lists_events(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = _open(client, tmp_path / "policy.sla")
    after = _position(ENTRY, "stop on ", 8)
    result = await client.text_document_completion_async(
        lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), after)
    )
    assert isinstance(result, lsp.CompletionList)
    labels = {item.label for item in result.items}
    assert labels == {"form_submitted", "sales_touch", "sales_accepted", "callback_requested"}

    result = await client.text_document_completion_async(
        lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), _position(ENTRY, "pause on ", 9))
    )
    assert isinstance(result, lsp.CompletionList)
    assert "callback_requested" in {item.label for item in result.items}


@pytest.mark.asyncio
async def test_completion_offers_a_fields_values_and_stages(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = ENTRY + 'stage sql when segment = "\n'
    uri = _open(client, tmp_path / "policy.sla", text)
    result = await client.text_document_completion_async(
        lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), _position(text, 'segment = "', 11))
    )
    assert isinstance(result, lsp.CompletionList)
    assert {i.label for i in result.items} == {"smb", "enterprise"}

    result = await client.text_document_completion_async(
        lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), _position(text, "entering ", 9))
    )
    assert isinstance(result, lsp.CompletionList)
    assert {i.label for i in result.items} == {"mql"}


@pytest.mark.asyncio
async def test_document_symbols_outline_the_file(client: LanguageClient, tmp_path: Path) -> None:
    uri = _open(client, tmp_path / "policy.sla")
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri))
    )
    assert symbols is not None
    names = [s.name for s in symbols]
    assert names == [
        "marketing",
        "sales",
        "revenue_goal",
        "mql_value",
        "mqls_needed",
        "first_touch",
        "mql_volume",
    ]


@pytest.mark.asyncio
async def test_rename_edits_every_file(client: LanguageClient, tmp_path: Path) -> None:
    uri = _open(client, tmp_path / "policy.sla")
    edit = await client.text_document_rename_async(
        lsp.RenameParams(
            lsp.TextDocumentIdentifier(uri), _position(ENTRY, "entering mql", 10), "qualified"
        )
    )
    assert edit is not None and edit.changes is not None
    shared_uri = (tmp_path / "shared.sla").as_uri()
    assert set(edit.changes) == {uri, shared_uri}
    assert len(edit.changes[uri]) == 2 and len(edit.changes[shared_uri]) == 1
    assert all(e.new_text == "qualified" for edits in edit.changes.values() for e in edits)


@pytest.mark.asyncio
async def test_malformed_documents_never_crash_the_server(
    client: LanguageClient, tmp_path: Path
) -> None:
    garbage = [
        "",
        "}",
        "sla {",
        'sla x "y" { within',
        "\x00\x01",
        "let x = " + "(" * 5000,
        "é" * 10,
    ]
    for number, text in enumerate(garbage):
        uri = _open(client, tmp_path / f"bad{number}.sla", text)
        await _diagnostics(client, uri)
        for call in (
            client.text_document_hover_async(
                lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(0, 1))
            ),
            client.text_document_completion_async(
                lsp.CompletionParams(lsp.TextDocumentIdentifier(uri), lsp.Position(0, 1))
            ),
            client.text_document_formatting_async(
                lsp.DocumentFormattingParams(
                    lsp.TextDocumentIdentifier(uri), lsp.FormattingOptions(2, True)
                )
            ),
            client.text_document_document_symbol_async(
                lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri))
            ),
        ):
            await call
    # still alive and still right
    uri = _open(client, tmp_path / "policy.sla", TYPO)
    assert [d.code for d in await _diagnostics(client, uri)] == ["SLA201"]


def _apply(text: str, edit: lsp.TextEdit) -> str:
    """TEXT with one single-line insertion or replacement applied."""
    lines = text.split("\n")
    row = lines[edit.range.start.line]
    start, end = edit.range.start.character, edit.range.end.character
    lines[edit.range.start.line] = row[:start] + edit.new_text + row[end:]
    return "\n".join(lines)


UNUSED = ENTRY.replace("let mql_value = 1_600", "let mql_value = 1_600\nlet spare = 3")


@pytest.mark.asyncio
async def test_suppression_quick_fix_silences_a_warning(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = _open(client, tmp_path / "policy.sla", UNUSED)
    (unused,) = await _diagnostics(client, uri)
    assert unused.code == "SLA219" and unused.severity == lsp.DiagnosticSeverity.Warning
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            range=unused.range,
            context=lsp.CodeActionContext(diagnostics=[unused]),
        )
    )
    assert actions is not None
    (ignore,) = [a for a in actions if isinstance(a, lsp.CodeAction) and "Ignore" in a.title]
    assert ignore.edit is not None and ignore.edit.changes is not None
    (edit,) = ignore.edit.changes[uri]
    fixed = _apply(UNUSED, edit)
    assert "let spare = 3  # slalang: ignore[SLA219]" in fixed
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [lsp.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    assert await _diagnostics(client, uri) == []


@pytest.mark.asyncio
async def test_configuration_ignore_applies_in_the_editor(
    client: LanguageClient, tmp_path: Path
) -> None:
    (tmp_path / "slalang.toml").write_text('ignore = ["SLA219"]\n', encoding="utf-8")
    uri = _open(client, tmp_path / "policy.sla", UNUSED)
    assert await _diagnostics(client, uri) == []
