"""End to end, with evaluation: the real `python -m nixlang lsp` process driven by pytest-lsp.

The client initializes the way the VS Code extension does (settings section
`pynix` shaped `{ server, eval: {budgetSeconds}, hover: {values}, trace }`)
and supports `window.workDoneProgress`. Covered: values in hovers, attributes
found by evaluation in completion, formal names in a call's argument set,
settings changes, and progress for slow evaluations.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import SERVER, assert_no_handler_failed, init_params, open_doc, pos, until

FIXTURES: Path = Path("/nonexistent")     # set by the `work` fixture: a temporary folder

aio = pytest.mark.asyncio(loop_scope="module")

# what the extension sends (vscode-extension/src/extension.ts, currentSettings); the
# budget is far above what the slow evaluations below need (a few seconds on a
# laptop), so that a loaded machine still finishes them within it
EXTENSION_SETTINGS = {"server": {"path": "", "args": []}, "eval": {"budgetSeconds": 120},
                      "hover": {"values": True}, "trace": {"server": "off"}}

# about three seconds of work on a laptop, then an error (so the end is visible)
SLOW = ("let l = builtins.genList (x: x) 1600000;\n"
        "    n = builtins.foldl' (a: b: a + b) 0 l;\n"
        "in { total = n + \"!\"; }\n")


@pytest.fixture(scope="module", autouse=True)
def work(tmp_path_factory):
    global FIXTURES
    FIXTURES = tmp_path_factory.mktemp("lsp-values")
    (FIXTURES / "lib.nix").write_text("builtins.listToAttrs (map (n: { name = n; value = x: x; }) "
                                      "[ \"double\" \"triple\" ])\n")
    (FIXTURES / "pkg.nix").write_text("{ name, version ? \"1.0\", ... }: { inherit name version; }\n")
    return FIXTURES


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):
    # progress shows after 0.4 s (not 1 s): SLOW (~3 s here) stays slow enough on faster machines
    params = init_params({"pynix": {**EXTENSION_SETTINGS, "progress": {"after": 0.4}}}, hover=True,
                         diagnostics={"version_support": True}, progress=True, configuration=True, utf16=False)
    lsp_client.set_configuration(EXTENSION_SETTINGS, section="pynix")
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def hover_text(client: LanguageClient, uri: str, p) -> str:
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    return h.contents.value if h is not None else ""


async def complete(client: LanguageClient, uri: str, p) -> list:
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    return result.items


def progress_titled(client: LanguageClient, fragment: str) -> list:
    """The progress reports of every token whose begin title contains `fragment`."""
    out = []
    for reports in client.progress_reports.values():
        if reports and isinstance(reports[0], types.WorkDoneProgressBegin) and fragment in reports[0].title:
            out.append(reports)
    return out


@aio
async def test_hover_shows_the_value(client: LanguageClient):
    text, p = pos("let pkgs = { hello = 1; world = 2; }; in pk$0gs.hello\n")
    uri = open_doc(client, FIXTURES, text)
    md = await hover_text(client, uri, p)
    assert "let binding" in md
    assert "**value** (evaluated):\n```nix\n{ hello = 1; world = 2; }\n```" in md
    text, p = pos("{ version ? \"1.\" + \"0\" }: { v$0 = version; }\n")
    uri = open_doc(client, FIXTURES, text)
    md = await hover_text(client, uri, p)
    assert "**value**" not in md            # depends on the function's argument
    text, p = pos("{ vers$0ion ? \"1.\" + \"0\" }: version\n")
    uri = open_doc(client, FIXTURES, text)
    assert '**default value** (evaluated):\n```nix\n"1.0"\n```' in await hover_text(client, uri, p)


@aio
async def test_hover_value_of_an_imported_file(client: LanguageClient):
    text, p = pos("let lib = import ./lib.nix; in l$0ib\n")
    uri = open_doc(client, FIXTURES, text, "importer.nix")
    md = await hover_text(client, uri, p)
    assert "{ double = «lambda»; triple = «lambda»; }" in md


@aio
async def test_completion_of_evaluated_attributes(client: LanguageClient):
    text, p = pos("let lib = import ./lib.nix; in lib.$0")
    uri = open_doc(client, FIXTURES, text, "completer.nix")
    items = await complete(client, uri, p)
    assert [i.label for i in items] == ["double", "triple"]
    assert all(i.kind == types.CompletionItemKind.Function for i in items)


@aio
async def test_completion_of_formal_names(client: LanguageClient):
    text, p = pos("import ./pkg.nix {\n  name = \"x\";\n  $0\n}\n")
    uri = open_doc(client, FIXTURES, text, "caller.nix")
    items = await complete(client, uri, p)
    assert [i.label for i in items] == ["version", "inherit"]
    assert items[0].detail == 'optional argument, default: "1.0"'


@aio
async def test_quick_evaluations_show_no_progress(client: LanguageClient):
    uri = open_doc(client, FIXTURES, "{ a = 1 + \"x\"; }\n", "quick.nix")
    await until(lambda: any(d.code == "E200" for d in client.diagnostics.get(uri, [])), what="eval diagnostic")
    await asyncio.sleep(1.5)
    assert progress_titled(client, "quick.nix") == []


@aio
async def test_progress_for_a_slow_evaluation(client: LanguageClient):
    uri = open_doc(client, FIXTURES, SLOW, "slow.nix")
    ds = await until(lambda: [d for d in client.diagnostics.get(uri, []) if d.code == "E200"],
                     what="the slow file's evaluation error")
    reports = await until(lambda: [r for r in progress_titled(client, "slow.nix")
                                   if isinstance(r[-1], types.WorkDoneProgressEnd)], what="progress end")
    assert len(reports) == 1
    kinds = [type(r) for r in reports[0]]
    assert kinds == [types.WorkDoneProgressBegin, types.WorkDoneProgressEnd]
    assert reports[0][0].title == "pynix: evaluating " + uri.rsplit("/", 1)[1]


@aio
async def test_hover_value_finishes_in_the_background_with_progress(client: LanguageClient):
    text, p = pos("let l = builtins.genList (x: x) 1600000;\n    n = builtins.foldl' (a: b: a + b) 0 l;\nin n$0\n")
    uri = open_doc(client, FIXTURES, text, "slowvalue.nix")
    before = len(progress_titled(client, "evaluating a value"))
    first = await hover_text(client, uri, p)
    assert "(not evaluated: took too long)" in first
    await until(lambda: [r for r in progress_titled(client, "evaluating a value")[before:]
                         if isinstance(r[-1], types.WorkDoneProgressEnd)], what="the value's progress")
    again = await hover_text(client, uri, p)
    assert "**value** (evaluated):\n```nix\n1279999200000\n```" in again


@aio
async def test_settings_in_the_extensions_shape(client: LanguageClient):
    text, p = pos("let a = { x = 1; }; in [ a$0 a.x.y ]\n")
    uri = open_doc(client, FIXTURES, text, "settings.nix")
    await until(lambda: any(d.code.startswith("E2") for d in client.diagnostics.get(uri, [])),
                what="the eval diagnostic with eval.budgetSeconds > 0")
    assert "**value** (evaluated)" in await hover_text(client, uri, p)
    off = {"server": {"path": "", "args": []}, "eval": {"budgetSeconds": 0}, "hover": {"values": False},
           "trace": {"server": "off"}}
    client.set_configuration(off, section="pynix")
    try:
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        # re-published without the evaluation error, and hovers without values
        await until(lambda: list(client.diagnostics.get(uri, [None])) == [], what="diagnostics without evaluation")
        md = await hover_text(client, uri, p)
        assert "let binding" in md and "**value**" not in md
        # a newly opened file is not evaluated either
        uri2 = open_doc(client, FIXTURES, "{ a = 1 + \"x\"; }\n", "noeval.nix")
        await until(lambda: client.diagnostics.get(uri2) is not None, what="static diagnostics")
        await asyncio.sleep(1.0)
        assert list(client.diagnostics.get(uri2)) == []
        # the same settings pushed in the notification itself
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"pynix": EXTENSION_SETTINGS}))
        await until(lambda: client.diagnostics.get(uri2), what="evaluation back on")
        assert "**value** (evaluated)" in await hover_text(client, uri, p)
    finally:
        client.set_configuration(EXTENSION_SETTINGS, section="pynix")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    assert_no_handler_failed(client)


# -- settings (no server needed) ---------------------------------------------------------------

SETTINGS = [
    # (settings sent, expected (eval_enabled, eval_timeout, hover_values, hover_timeout))
    (EXTENSION_SETTINGS, (True, 120.0, True, 0.5)),
    ({"eval": {"budgetSeconds": 0}, "hover": {"values": False}}, (False, 2.0, False, 0.5)),
    ({"eval.budgetSeconds": 3.5, "hover.timeout": 1}, (True, 3.5, True, 1.0)),
    # what the extension's toServerSettings sends: its own keys and the old ones, agreeing
    ({"eval": {"budgetSeconds": 7}, "evaluation": {"enable": True, "timeout": 7}}, (True, 7.0, True, 0.5)),
    # the old keys alone
    ({"evaluation": {"enable": False, "timeout": 9}}, (False, 9.0, True, 0.5)),
    # budgetSeconds wins over the old keys
    ({"eval": {"budgetSeconds": 0}, "evaluation": {"enable": True}}, (False, 2.0, True, 0.5)),
    # wrong types and ranges are ignored
    ({"eval": {"budgetSeconds": "5"}, "hover": {"values": "no", "timeout": -1}}, (True, 2.0, True, 0.5)),
    ({"eval": {"budgetSeconds": 10_000}, "hover": None}, (True, 2.0, True, 0.5)),
    ("not a dict", (True, 2.0, True, 0.5)),
]


@pytest.mark.parametrize("data,want", SETTINGS)
def test_settings_update(data, want):
    from lsp.server import Settings
    s = Settings()
    s.update(data)
    assert (s.eval_enabled, s.eval_timeout, s.hover_values, s.hover_timeout) == want
