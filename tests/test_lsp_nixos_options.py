"""End to end, slow tier: NixOS's options in the real server, on ../shared's nixpkgs tree.

A NixOS configuration (tests/modules/nixos/configuration.nix, which imports
a module of its own declaring `services.myapp`) opened in a server whose `modules.nixpkgs`
is the shared nixpkgs: NixOS's ~21,000 options are evaluated once in the
background (minutes here; into a cache folder of this test), the
workspace's own options before them. Then completion offers nginx's
options and those of its virtual hosts (an `attrsOf submodule`), hover
shows where an option is declared in nixpkgs, and a misspelled option and
a type error are reported with the module system's words.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import NIXPKGS_TARBALLS, shared_nixpkgs
from lsp_support import complete_when_ready, init_params, open_uri, pos, wait_diagnostics

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not list(NIXPKGS_TARBALLS.glob("nixpkgs-*.tar.xz")),
                                 reason=f"the nixpkgs tarball is not in {NIXPKGS_TARBALLS} (../shared is absent)")]
aio = pytest.mark.asyncio(loop_scope="module")

# made by the server when it writes there (nothing is made when the slow tier is left out)
CACHE = os.path.join(tempfile.gettempdir(), f"pynix-test-options-cache-{os.getpid()}")
WORK = Path("/nonexistent")        # set by the `work` fixture
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "nixlang", "lsp"],
                            server_env={**os.environ, "PYNIX_OPTIONS_CACHE": CACHE})
PATIENCE = 1500.0        # NixOS's options take minutes on a loaded 2-core machine

DATA = Path(__file__).parent / "modules" / "nixos"
CONFIG = (DATA / "configuration.nix").read_text()


@pytest.fixture(scope="module", autouse=True)
def work(tmp_path_factory):
    global WORK
    WORK = tmp_path_factory.mktemp("lsp-nixos") / "nixos"
    shutil.copytree(DATA, WORK)
    yield WORK
    shutil.rmtree(CACHE, ignore_errors=True)


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, work):
    tree = shared_nixpkgs()
    params = init_params({"pynix": {"modules": {"nixpkgs": str(tree)}}}, hover=True, completion_docs=True,
                         diagnostics={"version_support": True})
    params.workspace_folders = [types.WorkspaceFolder(uri=WORK.as_uri(), name="nixos")]
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def opened(client, text: str) -> str:
    uri = (WORK / "configuration.nix").as_uri()
    if not hasattr(opened, "version"):
        opened.version = 1
        return open_uri(client, uri, text)
    opened.version += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=opened.version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    return uri


def marked(after: str, insert: str):
    i = CONFIG.index(after) + len(after)
    return pos(CONFIG[:i] + insert + CONFIG[i:])


def server_log(client: LanguageClient) -> str:
    return "\n".join(m.message for m in client.log_messages if "option" in m.message)


async def nginx_options(client: LanguageClient) -> list[str]:
    """The names completion offers in `services.nginx = { }`, once NixOS's options are
    known (the first time: their evaluation, minutes); fails at once, with the
    server's log, when they cannot be had."""
    text, p = marked("services.nginx = {", "\n    $0")
    uri = opened(client, text)
    # incomplete until NixOS's options are there (the workspace's come first)
    got = await complete_when_ready(client, uri, p, PATIENCE)
    assert "recommendedGzipSettings" in got, f"no NixOS options; the server said:\n{server_log(client)}"
    return got


@aio
async def test_nixos_option_completion(client: LanguageClient):
    got = await nginx_options(client)
    assert {"enable", "virtualHosts", "recommendedGzipSettings", "package"} <= set(got)
    assert list(Path(CACHE).glob("nixos-*.json")), "NixOS's options are cached on disk"
    text, p = marked('"example.org" = {', "\n      $0")
    uri = opened(client, text)
    assert {"root", "locations", "forceSSL", "serverAliases"} <= set(await complete_when_ready(client, uri, p))
    text, p = marked("services.myapp.enable = true;", "\n  services.myapp.$0")
    uri = opened(client, text)
    assert await complete_when_ready(client, uri, p) == ["enable"]


@aio
async def test_nixos_hover_and_diagnostics(client: LanguageClient):
    await nginx_options(client)
    uri = opened(client, CONFIG)
    ds = await wait_diagnostics(client, uri, lambda ds: any("does not exist" in d.message for d in ds)
                                and any("is not of type" in d.message for d in ds), 120)
    msgs = sorted(d.message.split("\n")[0] for d in ds if d.code == "E204")
    assert msgs == [
        "A definition for option `networking.hostName' is not of type `string matching the pattern "
        "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$'. Definition values:",
        "The option `services.nginx.enabel' does not exist.",
    ]
    enabel = next(d for d in ds if "enabel" in d.message)
    assert "Did you mean `services.nginx.enable'" in enabel.message
    line = CONFIG[:CONFIG.index("root =")].count("\n")
    h = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=CONFIG.splitlines()[line].index("root") + 1)))
    md = h.contents.value
    assert "services.nginx.virtualHosts.\"example.org\".root" in md
    assert "<nixpkgs/nixos/modules/services/web-servers/nginx/vhost-options.nix>" in md
