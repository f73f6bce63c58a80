"""Navigation and docs across a project's files, end to end: the real server on tests/workspace.

The project (see its README) stitches a lib together `callLibs`-style and a
package set with `callPackage`; a `{ lib, ... }:` file nobody calls gets the
workspace's own lib (the server runs in a home of its own: no nixpkgs is
found). Each row of the tables is one request and what it must answer.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import assert_no_handler_failed, hermetic_server, init_params, open_uri, until, wait_diagnostics

aio = pytest.mark.asyncio(loop_scope="module")

WS = Path(__file__).parent / "workspace"


@pytest_lsp.fixture(scope="module", config=hermetic_server())
async def client(lsp_client: LanguageClient):
    params = init_params({"pynix": {"evaluation": {"enable": True, "timeout": 20, "delay": 0.05}}},
                         hover=True, completion_docs=True, document_changes=True)
    params.workspace_folders = [types.WorkspaceFolder(uri=WS.as_uri(), name="workspace")]
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


VERSIONS: dict = {}


def open_file(client: LanguageClient, rel: str, text: str | None = None) -> tuple[str, str]:
    """Open the file (as `text` when given), or change it to that text when it is open."""
    path = WS / rel
    text = path.read_text() if text is None else text
    uri = path.as_uri()
    if uri not in VERSIONS:
        VERSIONS[uri] = 1
        return open_uri(client, uri, text), text
    VERSIONS[uri] += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=VERSIONS[uri]),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    return uri, text


def position(text: str, needle: str, delta: int = 0) -> types.Position:
    i = text.index(needle) + delta
    line = text.count("\n", 0, i)
    return types.Position(line=line, character=i - (text.rfind("\n", 0, i) + 1))


def where(loc) -> tuple[str, int, int]:
    """(file relative to the workspace, 1-based line, column) of a location."""
    path = Path(loc.uri.removeprefix("file://"))
    return str(path.relative_to(WS)), loc.range.start.line + 1, loc.range.start.character


# (file, text before the cursor, characters into it, where the definition is, a fragment of the hover)
DEFINITIONS = [
    # `import ./lib { }`, then `inherit (self.strings) greet` in lib/default.nix, to strings.nix
    ("default.nix", "lib.greet", 5, ("lib/strings.nix", 6, 2), "Say hello to `name`."),
    # `inherit (self.strings) greet shout;`: not the inherit line, the definition
    ("lib/default.nix", "greet shout", 1, ("lib/strings.nix", 6, 2), "Say hello to `name`."),
    # `{ lib }:` called by `callLibs ./strings.nix` (`file: import file { lib = self; }`)
    ("lib/strings.nix", "lib.strings.greet", 13, ("lib/strings.nix", 6, 2), "Say hello"),
    ("lib/lists.nix", "lib.greet", 5, ("lib/strings.nix", 6, 2), "Say hello"),
    # callPackage: `lib` is nobody's argument here, so the workspace's lib
    ("pkgs/hello.nix", "lib.greet", 5, ("lib/strings.nix", 6, 2), "Say hello"),
    ("pkgs/greeter.nix", "lib.shout", 5, ("lib/strings.nix", 11, 2), "Greet `name`, loudly."),
    # callPackage: `hello` is the package beside it in the set, called on ./hello.nix
    ("pkgs/greeter.nix", "hello.message", 7, ("pkgs/hello.nix", 4, 2), "message"),
    # on the formal itself: where the callers give it
    ("pkgs/greeter.nix", "hello,", 1, ("pkgs/default.nix", 10, 4), "given by the callers: `default.nix` line 10"),
    ("lib/strings.nix", "{ lib }", 3, ("lib/default.nix", 3, 33), "given by the callers: `default.nix` line 3"),
    # a `{ lib, ... }:` file nobody calls: the workspace's lib/default.nix
    ("tools/report.nix", "lib.count", 5, ("lib/lists.nix", 6, 2), "How many elements"),
]


@aio
@pytest.mark.parametrize("rel,needle,delta,target,fragment", DEFINITIONS,
                         ids=[f"{r[0]}:{r[1]}" for r in DEFINITIONS])
async def test_definition_and_hover_across_files(client: LanguageClient, rel, needle, delta, target, fragment):
    uri, text = open_file(client, rel)
    p = position(text, needle, delta)
    got = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert [where(l) for l in got or []] == [target]
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=p))
    assert h is not None and fragment in h.contents.value


# (file, the text with `lib.` typed, the names offered)
COMPLETIONS = [
    ("tools/report.nix", "  summary = lib.count [ 1 2 3 ];", "  summary = lib.", {"count", "greet", "shout", "strings"}),
    ("pkgs/hello.nix", '  message = lib.greet "hello";', "  message = lib.", {"count", "greet", "lists"}),
    ("lib/lists.nix", "lib.greet", "lib.strings.", {"greet", "shout"}),
]


@aio
@pytest.mark.parametrize("rel,old,new,expected", COMPLETIONS, ids=[c[0] for c in COMPLETIONS])
async def test_lib_completion_in_files_that_get_lib(client: LanguageClient, rel, old, new, expected):
    text = (WS / rel).read_text()
    uri, text = open_file(client, rel, text.replace(old, new))
    got = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, new, len(new))))
    items = {i.label: i for i in (got.items if got else [])}
    assert expected <= set(items)
    docs = items["greet"].documentation if "greet" in items else None
    if docs is not None:
        assert "Say hello" in (docs.value if hasattr(docs, "value") else docs)
    open_file(client, rel)          # back to the text on disk for the other tests


@aio
async def test_references_across_files(client: LanguageClient):
    uri, text = open_file(client, "lib/strings.nix")
    got = await client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, "greet =", 1),
        context=types.ReferenceContext(include_declaration=True)))
    files = sorted(where(l)[:2] for l in got or [])
    assert files == [("default.nix", 7), ("lib/default.nix", 7), ("lib/lists.nix", 6), ("lib/strings.nix", 6),
                     ("lib/strings.nix", 11), ("pkgs/hello.nix", 4)]


@aio
async def test_rename_a_formal_renames_it_at_the_callers(client: LanguageClient):
    uri, text = open_file(client, "pkgs/default.nix")
    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, "{ lib }", 2),
        new_name="mylib"))
    changes = {Path(c.text_document.uri.removeprefix("file://")).relative_to(WS).as_posix():
               sorted(e.new_text for e in c.edits) for c in edit.document_changes}
    assert changes == {"pkgs/default.nix": ["lib = mylib;", "mylib"], "default.nix": ["mylib = lib;"]}


# (file, the formal, the new name, a fragment of the refusal)
REFUSED = [
    ("pkgs/hello.nix", "{ lib }", "lib2", "callPackage"),             # filled from a package set by name
    ("lib/strings.nix", "{ lib }", "lib2", "passes the same set"),      # callLibs' one set for every file
    ("pkgs/greeter.nix", "punctuation ?", "hello", "already defined"),  # a capture
]


@aio
@pytest.mark.parametrize("rel,needle,new,fragment", REFUSED, ids=[r[0] for r in REFUSED])
async def test_rename_refusals(client: LanguageClient, rel, needle, new, fragment):
    uri, text = open_file(client, rel)
    with pytest.raises(Exception) as e:
        await client.text_document_rename_async(types.RenameParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position(text, needle, 3 if needle.startswith("{") else 1), new_name=new))
    assert fragment in str(e.value)


FILES = sorted(p.relative_to(WS).as_posix() for p in WS.rglob("*.nix"))


@aio
@pytest.mark.parametrize("rel", FILES)
async def test_no_false_diagnostics(client: LanguageClient, rel):
    uri, _ = open_file(client, rel)
    logged = f"pynix: evaluated {WS / rel}: "
    await until(lambda: any(m.message.startswith(logged) for m in client.log_messages), timeout=120,
                what=f"the evaluation of {rel}")
    ds = await wait_diagnostics(client, uri)
    assert [d.message for d in ds] == []
    assert_no_handler_failed(client)


def test_the_lib_completion_benchmark_runs():
    """`benchmarks/lsp_bench.py --lib` on this workspace: it answers, and says how fast (no timing checked)."""
    import subprocess
    import sys
    bench = Path(__file__).parent.parent / "benchmarks" / "lsp_bench.py"
    out = subprocess.run([sys.executable, str(bench), "--lib", str(WS), "--lib-requests", "3"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "5 items an answer" in out.stdout and "`lib.` completion right after an edit" in out.stdout
