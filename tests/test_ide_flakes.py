"""Flake input features (`nixlang.ide.flakes`) through the `ide` entry points.

Two sets of data: small synthetic flake.nix / flake.lock pairs written to
tmp_path (always run), and the real pairs in ../shared/flake-examples
(skipped when that folder is missing).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SHARED

from nixlang import ide
from nixlang.ide import analyze, flakes

ROOT = Path(__file__).resolve().parents[1]
FLAKES = SHARED / "flake-examples"
needs_examples = pytest.mark.skipif(not FLAKES.is_dir(), reason=f"{FLAKES} (real flake examples) is missing")

REV1 = "5ed481943351e9fd354aeb557679624224de38d5"
REV2 = "47759faaddf38fadaf172151ca9df8adae9c0b2e"
REV3 = "91dee681dd1c478d6040a00835d73c0f4a4c5c29"
REV4 = "0123456789abcdef0123456789abcdef01234567"

SYN_NIX = """{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    rust-overlay.url = "github:oxalica/rust-overlay";
    rust-overlay.inputs.nixpkgs.follows = "nixpkgs";
    nmd = { url = "gitlab:rycee/nmd"; flake = false; };
    srht = { url = "sourcehut:~alice/tool"; };
    moved.url = "github:someone/else";
    tarb.url = "https://example.org/src.tar.gz";
    notlocked.url = "github:a/b";
  };
  outputs = inputs@{ self, nixpkgs, rust-overlay, nmd, srht, moved, tarb, notlocked, implicit }:
    { x = inputs.nixpkgs; y = inputs.rust-overlay.inputs.nixpkgs; };
}
"""


def _gh(owner, repo, rev, ts, nar, ref=None, t="github"):
    orig = {"owner": owner, "repo": repo, "type": t}
    if ref:
        orig["ref"] = ref
    return {"locked": {"lastModified": ts, "narHash": nar, "owner": owner, "repo": repo, "rev": rev, "type": t},
            "original": orig}


SYN_LOCK = {
    "nodes": {
        "nixpkgs_2": _gh("NixOS", "nixpkgs", REV1, 1674211260,
                         "sha256-xU6Rv9sgnwaWK7tgCPadV6HhI2Y/fl4lKxJoG2+m9qs=", "nixos-unstable"),
        "rust-overlay": dict(_gh("oxalica", "rust-overlay", REV2, 0,
                                 "sha256-DK+AmC9SQ9hmOFNIMu1l05gJtsmKyYsfJnuFtt1TnAU="),
                             inputs={"nixpkgs": ["nixpkgs"]}),
        "nmd": dict(_gh("rycee", "nmd", REV3, 1654807200, "sha256-RNLq09vfj21TyYuUCeD6BNTNC6Ew8bLhQULZytN4Xx8=",
                        t="gitlab"), flake=False),
        "srht": _gh("~alice", "tool", REV4, 1654807200, "sha256-RNLq09vfj21TyYuUCeD6BNTNC6Ew8bLhQULZytN4Xx8=",
                    t="sourcehut"),
        "moved": _gh("someone", "old", REV4, 1654807200, "sha256-RNLq09vfj21TyYuUCeD6BNTNC6Ew8bLhQULZytN4Xx8="),
        "tarb": {"locked": {"narHash": "sha256-RNLq09vfj21TyYuUCeD6BNTNC6Ew8bLhQULZytN4Xx8=", "type": "tarball",
                            "url": "https://example.org/src.tar.gz"},
                 "original": {"type": "tarball", "url": "https://example.org/other.tar.gz"}},
        "implicit": {"locked": {"narHash": "sha256-RNLq09vfj21TyYuUCeD6BNTNC6Ew8bLhQULZytN4Xx8=",
                                "type": "file", "url": "https://example.org/f"},
                     "original": {"id": "implicit", "type": "indirect"}},
        "root": {"inputs": {"nixpkgs": "nixpkgs_2", "rust-overlay": "rust-overlay", "nmd": "nmd",
                            "srht": "srht", "moved": "moved", "tarb": "tarb", "implicit": "implicit"}},
    },
    "root": "root",
    "version": 7,
}


@pytest.fixture
def syn(tmp_path):
    nix = tmp_path / "flake.nix"
    nix.write_text(SYN_NIX)
    lock_text = json.dumps(SYN_LOCK, indent=2, sort_keys=True) + "\n"
    (tmp_path / "flake.lock").write_text(lock_text)
    return analyze(SYN_NIX, str(nix)), lock_text, tmp_path


def at(text: str, needle: str, nth: int = 0, delta: int = 1) -> int:
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    return i + delta


# -- hover ---------------------------------------------------------------------------------------

SYN_HOVER = [
    # (needle, nth occurrence, fragments)
    ("nixpkgs.url", 0, ["flake input `nixpkgs`", "lock node `nixpkgs_2`", "type: `github`",
                        "`NixOS/nixpkgs`", f"rev: `{REV1}`", "ref: `nixos-unstable`",
                        "last modified: 2023-01-20 10:41:00 UTC",
                        "narHash: `sha256-xU6Rv9sgnwaWK7tgCPadV6HhI2Y/fl4lKxJoG2+m9qs=`",
                        "/nix/store/hap5a6iw5rccl21adfxh5b3lk2c8qnmj-source", "present on this machine"]),
    ("rust-overlay.url", 0, ["flake input `rust-overlay`", f"rev: `{REV2}`",
                             "`nixpkgs` follows `nixpkgs` → node `nixpkgs_2`"]),
    # `rust-overlay.inputs.nixpkgs.follows`: the nested input, resolved
    ("nixpkgs.follows", 0, ["flake input `rust-overlay/nixpkgs`", "follows `nixpkgs` → node `nixpkgs_2`",
                            f"rev: `{REV1}`"]),
    ("nmd = {", 0, ["flake input `nmd`", "type: `gitlab` (not a flake)", "`rycee/nmd`",
                    "2022-06-09 20:40:00 UTC"]),
    ("notlocked.url", 0, ["flake input `notlocked`", "**not in `flake.lock`**"]),
    # outputs formals
    (" nixpkgs, rust", 0, ["flake input `nixpkgs`", "lock node `nixpkgs_2`"]),
    ("implicit }", 0, ["flake input `implicit`", "type: `file`", "not computable from the lock alone"]),
    # inputs.<name> on the `@` argument, and a nested inputs.<a>.inputs.<b>
    ("inputs.nixpkgs;", 0, ["flake input `nixpkgs`", f"rev: `{REV1}`"]),
    ("nixpkgs; };", 0, ["flake input `rust-overlay/nixpkgs`", "node `nixpkgs_2`"]),
]


@pytest.mark.parametrize("needle,nth,fragments", SYN_HOVER, ids=[h[0] for h in SYN_HOVER])
def test_hover_synthetic(syn, needle, nth, fragments):
    an, _lock, _dir = syn
    off = at(SYN_NIX, needle, nth, delta=2 if needle.startswith(" ") else 1)
    if needle == "nixpkgs; };":
        off = at(SYN_NIX, "inputs.nixpkgs; };", 0, delta=8)
    if needle == "inputs.nixpkgs;":
        off += 7
    h = ide.hover(an, off)
    assert h is not None, needle
    for f in fragments:
        assert f in h.markdown, (f, h.markdown)


def test_hover_not_on_self_or_other_names(syn):
    an, _lock, _dir = syn
    h = ide.hover(an, at(SYN_NIX, "self"))
    assert h is None or "flake input" not in h.markdown
    h = ide.hover(an, at(SYN_NIX, "url"))
    assert h is None or "flake input" not in h.markdown


def test_other_files_untouched(tmp_path):
    (tmp_path / "flake.lock").write_text(json.dumps(SYN_LOCK))
    other = tmp_path / "default.nix"
    other.write_text(SYN_NIX)
    an = analyze(SYN_NIX, str(other))
    h = ide.hover(an, at(SYN_NIX, "nixpkgs.url"))
    assert h is not None and "flake input" not in h.markdown
    assert not [d for d in ide.diagnostics(an) if d.code.startswith("F")]
    assert ide.document_links(an) == []
    assert all(l.path is None for l in ide.definition(an, at(SYN_NIX, " nixpkgs, rust", delta=2)))


def test_no_lock(tmp_path):
    nix = tmp_path / "flake.nix"
    nix.write_text(SYN_NIX)
    an = analyze(SYN_NIX, str(nix))
    h = ide.hover(an, at(SYN_NIX, "nixpkgs.url"))
    assert "no `flake.lock`" in h.markdown
    assert ide.definition(an, at(SYN_NIX, "nixpkgs.url")) == []


# -- definition ------------------------------------------------------------------------------------

SYN_DEF = [
    ("nixpkgs.url", 0, "nixpkgs_2"),
    (" nixpkgs, rust", 0, "nixpkgs_2"),
    ("inputs.nixpkgs;", 0, "nixpkgs_2"),
    ("rust-overlay.url", 0, "rust-overlay"),
    ("nixpkgs.follows", 0, "nixpkgs_2"),
    ("tarb, notlocked", 0, "tarb"),
]


@pytest.mark.parametrize("needle,nth,node", SYN_DEF, ids=[d[0] for d in SYN_DEF])
def test_definition_synthetic(syn, needle, nth, node):
    an, lock_text, d = syn
    off = at(SYN_NIX, needle, nth, delta=2 if needle.startswith(" ") else 1)
    if needle == "inputs.nixpkgs;":
        off += 7
    locs = ide.definition(an, off)
    start = lock_text.index(f'"{node}": {{')
    assert locs == [ide.Location(start, start + len(node) + 2, str(d / "flake.lock"))]


def test_definition_not_in_lock(syn):
    an, _lock, _d = syn
    assert ide.definition(an, at(SYN_NIX, "notlocked.url")) == []


def test_definition_store_flake_when_present(syn, monkeypatch):
    an, _lock, d = syn
    store = d / "fake-store-source"
    store.mkdir()
    (store / "flake.nix").write_text("{ outputs = _: { }; }\n")
    monkeypatch.setattr(flakes, "store_path", lambda node: str(store))
    assert ide.definition(an, at(SYN_NIX, "nixpkgs.url")) == [ide.Location(0, 0, str(store / "flake.nix"))]
    h = ide.hover(an, at(SYN_NIX, "nixpkgs.url"))
    assert f"`{store}` (present on this machine)" in h.markdown


def test_lock_node_key_not_confused_with_references():
    text = json.dumps({"nodes": {"root": {"inputs": {"a": "a"}}, "a": {"inputs": {"x": "root"}}},
                      "root": "root", "version": 7}, indent=1)
    lock = flakes.parse_lock(text)
    s, e = lock.key_spans["a"]
    assert text[s:e] == '"a"' and text[e:e + 3] == ": {"
    assert text[lock.key_spans["root"][0]:].startswith('"root": {')


# -- diagnostics -----------------------------------------------------------------------------------

def _flake_diags(an):
    return [(d.code, an.text[d.start:d.end]) for d in ide.diagnostics(an) if d.code.startswith("F")]


def test_diagnostics_synthetic(syn):
    an, _lock, _d = syn
    got = _flake_diags(an)
    assert ("F001", "notlocked") in got
    assert ("F002", '"github:someone/else"') in got           # repo else -> old
    assert ("F002", '"https://example.org/src.tar.gz"') in got  # tarball url changed
    # nixpkgs (ref matches), rust-overlay, nmd, srht match their lock nodes
    assert len([c for c, _ in got if c == "F002"]) == 2
    assert len([c for c, _ in got if c == "F001"]) == 1
    assert not [c for c, _ in got if c == "F003"]
    msgs = {d.code: d.message for d in ide.diagnostics(an) if d.code.startswith("F")}
    assert "run `nix flake lock`" in msgs["F001"]


NON_LITERAL = [
    ('inputs.a.url = let u = "github:a/b"; in u;', "F003", 'let u = "github:a/b"; in u'),
    ('inputs.a.url = someVar;', "F003", "someVar"),
    ('inputs.a.url = "github:${"a"}/b";', "F003", 'github:${"a"}/b'),
    ('inputs.a.flake = builtins.false;', "F003", "builtins.false"),
    ('inputs.a = rec { url = "github:a/b"; };', "F003", 'rec { url = "github:a/b"; }'),
    ('inputs.a = { url = "github:a/b"; flake = false; inputs.n.follows = "x"; };', None, None),
]


@pytest.mark.parametrize("src,code,text", NON_LITERAL, ids=[n[0] for n in NON_LITERAL])
def test_non_literal_inputs(tmp_path, src, code, text):
    body = "{ " + src + " outputs = { self, a }: { }; }"
    p = tmp_path / "flake.nix"
    p.write_text(body)
    lock = {"nodes": {"a": _gh("a", "b", REV4, 1, "sha256-RNLq09vfj21TyYuUCeD6BNTNC6Ew8bLhQULZytN4Xx8="),
                      "root": {"inputs": {"a": "a"}}}, "root": "root", "version": 7}
    (tmp_path / "flake.lock").write_text(json.dumps(lock))
    got = _flake_diags(analyze(body, str(p)))
    if code is None:
        assert got == []
    else:
        assert got == [(code, text)]


URLS = [
    ("github:NixOS/nixpkgs", {"type": "github", "owner": "NixOS", "repo": "nixpkgs"}, None),
    ("github:NixOS/nixpkgs/nixos-22.05", {"type": "github", "owner": "NixOS", "repo": "nixpkgs"}, "ref"),
    ("github:NixOS/nixpkgs?ref=x", {"type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "x"}, None),
    (f"github:NixOS/nixpkgs/{REV1}", {"type": "github", "owner": "NixOS", "repo": "nixpkgs", "rev": REV1}, None),
    ("github:NixOS/nix", {"type": "github", "owner": "NixOS", "repo": "nixpkgs"}, "repo"),
    ("git+https://x.org/r.git", {"type": "git", "url": "https://x.org/r.git"}, None),
    ("git+https://x.org/r.git?ref=main", {"type": "git", "url": "https://x.org/r.git"}, "ref"),
    ("nixpkgs", {"type": "indirect", "id": "nixpkgs"}, None),
    ("nixpkgs/nixos-23.05", {"type": "indirect", "id": "nixpkgs"}, "ref"),
    ("./sub", {"type": "path", "path": "./sub"}, None),
    ("./..", {"type": "path", "path": "/nix/store/bdzif6mvmzrhl01j20a1926c6jfq9szl-source"}, None),
    ("github:a/b", {"type": "gitlab", "owner": "a", "repo": "b"}, "`gitlab`"),
]


@pytest.mark.parametrize("url,original,why", URLS, ids=[u[0] + "-" + str(u[2]) for u in URLS])
def test_url_mismatch(url, original, why):
    got = flakes.url_mismatch(url, original)
    if why is None:
        assert got is None
    else:
        assert got is not None and why in got


def test_lock_file_diagnostics(tmp_path):
    p = tmp_path / "flake.lock"
    bad = '{"nodes": {'
    an = analyze(bad, str(p))
    assert [d.code for d in ide.diagnostics(an)] == ["F004"]
    good = json.dumps(SYN_LOCK)
    assert ide.diagnostics(analyze(good, str(p))) == []     # JSON is not judged as Nix


# -- links ---------------------------------------------------------------------------------------

def test_links_synthetic(syn):
    an, _lock, _d = syn
    links = {an.text[l.start:l.end]: l.target for l in ide.document_links(an)}
    assert links == {
        "github:NixOS/nixpkgs/nixos-unstable": f"https://github.com/NixOS/nixpkgs/tree/{REV1}",
        "github:oxalica/rust-overlay": f"https://github.com/oxalica/rust-overlay/tree/{REV2}",
        "gitlab:rycee/nmd": f"https://gitlab.com/rycee/nmd/-/tree/{REV3}",
        "sourcehut:~alice/tool": f"https://git.sr.ht/~alice/tool/tree/{REV4}",
        "github:someone/else": f"https://github.com/someone/old/tree/{REV4}",
        "github:a/b": "https://github.com/a/b",      # not locked: the repository itself
    }


# -- completion ----------------------------------------------------------------------------------

def test_completion_in_outputs_args(tmp_path):
    text = '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs";\n  inputs.foo.url = "github:a/foo";\n' \
           '  outputs = { self, ni }: { };\n}\n'
    p = tmp_path / "flake.nix"
    p.write_text(text)
    lock = {"nodes": {"nixpkgs_2": _gh("NixOS", "nixpkgs", REV1, 1, "sha256-RNLq09vfj21TyYuUCeD6BNTNC6Ew8bLhQULZytN4Xx8="),
                      "extra": _gh("x", "y", REV4, 1, "sha256-RNLq09vfj21TyYuUCeD6BNTNC6Ew8bLhQULZytN4Xx8="),
                      "root": {"inputs": {"nixpkgs": "nixpkgs_2", "extra": "extra"}}},
            "root": "root", "version": 7}
    (tmp_path / "flake.lock").write_text(json.dumps(lock))
    an = analyze(text, str(p))
    items = ide.completion(an, at(text, "ni }", delta=2))
    labels = [c.label for c in items]
    assert labels == ["nixpkgs", "foo", "extra"]          # `self` is written already
    nix = next(c for c in items if c.label == "nixpkgs")
    assert "NixOS/nixpkgs" in nix.detail and REV1[:7] in nix.detail and REV1 in nix.documentation
    assert next(c for c in items if c.label == "foo").detail == "not in flake.lock"
    # outside the argument set: ordinary completion
    body = ide.completion(an, at(text, "{ };", delta=2))
    assert "foo" not in [c.label for c in body] and "builtins" in [c.label for c in body]


def test_completion_half_typed(tmp_path):
    text = '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs";\n  outputs = { self, '
    p = tmp_path / "flake.nix"
    p.write_text(text)
    an = analyze(text, str(p))
    assert [c.label for c in ide.completion(an, len(text))] == ["nixpkgs"]


# -- inside flake.lock ------------------------------------------------------------------------------

def test_lock_hover_synthetic(syn):
    _an, lock_text, d = syn
    lan = analyze(lock_text, str(d / "flake.lock"))
    h = ide.hover(lan, lock_text.index('"nixpkgs_2": {') + 3)
    assert h is not None
    for f in ["lock node `nixpkgs_2`", "`nixpkgs` — declared in `flake.nix`",
              "`rust-overlay/nixpkgs` — input `nixpkgs` of `rust-overlay`", f"rev: `{REV1}`"]:
        assert f in h.markdown, (f, h.markdown)
    # a reference in the root's inputs
    h = ide.hover(lan, lock_text.index('"nixpkgs": "nixpkgs_2"') + 14)
    assert h is not None and "lock node `nixpkgs_2`" in h.markdown
    # not a node id: no hover
    assert ide.hover(lan, lock_text.index('"narHash"') + 2) is None
    assert ide.definition(lan, 5) == []


# -- the real examples ---------------------------------------------------------------------------

def _real(name):
    p = FLAKES / name / "flake.nix"
    return analyze(p.read_text(), str(p)), (FLAKES / name / "flake.lock").read_text()


REAL_HOVER = [
    ("nil-test-flake", "nixpkgs.url", 0, ["lock node `nixpkgs`", "`NixOS/nixpkgs`", f"rev: `{REV1}`",
                                          "2023-01-20 10:41:00 UTC",
                                          "/nix/store/hap5a6iw5rccl21adfxh5b3lk2c8qnmj-source"]),
    ("nil-test-flake", "nix = {", 0, ["lock node `nix`", "(not a flake)", "ref: `2.13.3`",
                                      "rev: `4acc684ef7b3117c6d6ac12837398a0008a53d85`",
                                      "/nix/store/5598lqiaw5qjgn661w74q2a6kivgiksa-source"]),
    ("nil-test-flake", "non-flake-file = {", 0, ["type: `file`", "url: `https://raw.githubusercontent.com",
                                                 "not computable from the lock alone"]),
    ("nil-test-flake", "nixpkgs, ...", 0, ["flake input `nixpkgs`", "lock node `nixpkgs`"]),
    ("nil-dev", "nixpkgs.follows", 0, ["flake input `rust-overlay/nixpkgs`", "follows `nixpkgs` → node `nixpkgs`"]),
    ("nil-dev", "rust-overlay,", 0, ["`oxalica/rust-overlay`", "`nixpkgs` follows `nixpkgs` → node `nixpkgs`"]),
    ("nixvim-tests-2022", "nixvim.url", 0, ["type: `path`", "/nix/store/bdzif6mvmzrhl01j20a1926c6jfq9szl-source",
                                            "`nixpkgs` → node `nixpkgs_2`", "`nmdSrc` → node `nmdSrc`"]),
    ("nixvim-tests-2022", "nixpkgs, flake", 0, ["lock node `nixpkgs`", "type: `github`"]),
]


@needs_examples
@pytest.mark.parametrize("name,needle,nth,fragments", REAL_HOVER, ids=[f"{h[0]}:{h[1]}" for h in REAL_HOVER])
def test_hover_real(name, needle, nth, fragments):
    an, _lock = _real(name)
    h = ide.hover(an, at(an.text, needle, nth))
    assert h is not None
    for f in fragments:
        assert f in h.markdown, (f, h.markdown)


REAL_DEF = [
    ("nil-test-flake", "nixpkgs.url", "nixpkgs"),
    ("nil-test-flake", "nix = {", "nix"),
    ("nil-test-flake", "nixpkgs, ...", "nixpkgs"),
    ("nil-dev", "rust-overlay.url", "rust-overlay"),
    ("nil-dev", "nixpkgs.follows", "nixpkgs"),
    ("nixvim-tests-2022", "nixpkgs, flake", "nixpkgs"),
]


@needs_examples
@pytest.mark.parametrize("name,needle,node", REAL_DEF, ids=[f"{d[0]}:{d[1]}" for d in REAL_DEF])
def test_definition_real(name, needle, node):
    an, lock_text = _real(name)
    sp = flakes.store_path(flakes.parse_lock(lock_text).node(node))
    if sp and (Path(sp) / "flake.nix").is_file():
        pytest.skip(f"{sp} is present here: definition goes to the store")
    start = lock_text.index(f'"{node}": {{')
    assert ide.definition(an, at(an.text, needle)) == [
        ide.Location(start, start + len(node) + 2, str(FLAKES / name / "flake.lock"))]


@needs_examples
@pytest.mark.parametrize("name", ["nil-test-flake", "nil-dev", "nixvim-tests-2022"])
def test_real_examples_have_no_flake_diagnostics(name):
    an, _lock = _real(name)
    assert _flake_diags(an) == []


@needs_examples
def test_real_store_paths():
    lock = flakes.parse_lock((FLAKES / "nixvim-tests-2022" / "flake.lock").read_text())
    node = lock.node("nixvim")
    assert flakes.store_path(node) == node["locked"]["path"]
    assert lock.resolve_path(["nixvim", "nixpkgs"]) == "nixpkgs_2"
    assert lock.serving()["nmdSrc"] == [("nixvim", "nmdSrc")]


@needs_examples
def test_real_links():
    an, _lock = _real("nil-test-flake")
    assert [(an.text[l.start:l.end], l.target) for l in ide.document_links(an)] == [
        (f"github:NixOS/nixpkgs/{REV1}", f"https://github.com/NixOS/nixpkgs/tree/{REV1}"),
        ("github:NixOS/nix/2.13.3", "https://github.com/NixOS/nix/tree/4acc684ef7b3117c6d6ac12837398a0008a53d85"),
    ]


@needs_examples
def test_real_lock_hover():
    p = FLAKES / "nixvim-tests-2022" / "flake.lock"
    text = p.read_text()
    lan = analyze(text, str(p))
    h = ide.hover(lan, text.index('"nmdSrc": {') + 2)
    assert "`nixvim/nmdSrc` — input `nmdSrc` of `nixvim`" in h.markdown
    h = ide.hover(lan, text.index('"nixpkgs": {') + 2)
    assert "`nixpkgs` — declared in `flake.nix`" in h.markdown
    p = FLAKES / "flake-checker-path-sub" / "flake.lock"
    text = p.read_text()
    h = ide.hover(analyze(text, str(p)), text.index('"sub": {') + 2)
    assert "`sub` — a root input" in h.markdown and "path: `./sub`" in h.markdown
