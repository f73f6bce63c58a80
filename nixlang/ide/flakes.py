"""Flake inputs: what `flake.lock` pins for the inputs a `flake.nix` declares.

For a `flake.nix` with a `flake.lock` next to it (lock version 7):

- `input_at(an, offset)`: the input under the cursor, in `inputs.<name>...`
  definitions, `inputs.<name>` selections on the `outputs` argument, and the
  formals of the `outputs` function;
- `flake_hover` / `flake_definition`: what the lock pins (type, owner/repo or
  url, rev, ref, date, narHash, the `source` store path computed from the
  narHash and whether it exists), `follows` resolved; definition jumps to
  the input's `flake.nix` in the store when present, else to its node in
  the lock;
- `flake_diagnostics`: F001 input missing from the lock, F002 lock no longer
  matching the declared url, F003 non-literal value inside `inputs`;
- `document_links`: github/gitlab/sourcehut inputs -> their web page at the
  locked rev;
- `flake_completion`: input names inside the `outputs` argument set;
- `lock_hover`: inside `flake.lock`, which `flake.nix` input(s) a node serves.

Plain dataclasses and offsets, no LSP types.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import stat
from dataclasses import dataclass, field

from ..syntax import ast as A
from .analysis import DEF, FORMAL, SELECT, Analysis
from .markdown import code

CODES = {
    "F001": ("input missing from flake.lock", "run `nix flake lock` (or `nix flake update <input>`) so the "
                                              "lock file pins this input"),
    "F002": ("flake.lock out of date", "the url in flake.nix changed since the lock was written; run "
                                       "`nix flake lock` to re-lock this input"),
    "F003": ("non-literal flake input", "Nix reads `inputs` without evaluating it: only strings, booleans "
                                        "and attribute sets of those are allowed (no `let`, variables, "
                                        "interpolation or function calls)"),
}

_MAX_DEPTH = 64


def is_flake_nix(an: Analysis) -> bool:
    return bool(an.path) and os.path.basename(an.path) == "flake.nix"


def is_flake_lock(an: Analysis) -> bool:
    return bool(an.path) and os.path.basename(an.path) == "flake.lock"


# -- the lock file -----------------------------------------------------------------------------

@dataclass
class Lock:
    path: str | None
    text: str
    nodes: dict
    root: str
    version: object
    key_spans: dict = field(default_factory=dict)   # node id -> (start, end) of `"id"` in the nodes object

    def node(self, nid: str | None) -> dict:
        n = self.nodes.get(nid) if nid is not None else None
        return n if isinstance(n, dict) else {}

    def inputs_of(self, nid: str) -> dict:
        ins = self.node(nid).get("inputs")
        return ins if isinstance(ins, dict) else {}

    def resolve_ref(self, ref, depth: int = 0) -> str | None:
        """A node id, or a follows path (list of input names from the root) -> node id."""
        if isinstance(ref, str):
            return ref if ref in self.nodes else None
        if isinstance(ref, list):
            return self.resolve_path(ref, depth + 1)
        return None

    def resolve_path(self, names, depth: int = 0) -> str | None:
        """The node an input path (["rust-overlay", "nixpkgs"]) reaches from the root."""
        if depth > _MAX_DEPTH:
            return None
        cur = self.root
        for name in names:
            ref = self.inputs_of(cur).get(name)
            if ref is None:
                return None
            cur = self.resolve_ref(ref, depth)
            if cur is None:
                return None
        return cur

    def serving(self, limit: int = 200) -> dict:
        """node id -> [input paths (tuples of names) that reach it], breadth first from the root."""
        out: dict = {}
        queue = [(self.root, ())]
        seen = set()
        while queue and len(seen) < limit:
            nid, path = queue.pop(0)
            for name, ref in sorted(self.inputs_of(nid).items()):
                p = path + (name,)
                if p in seen:
                    continue
                seen.add(p)
                target = self.resolve_ref(ref)
                if target is None:
                    continue
                out.setdefault(target, []).append(p)
                if isinstance(ref, str) and len(p) < 8:     # follows point at nodes reached elsewhere
                    queue.append((target, p))
        return out


def parse_lock(text: str, path: str | None = None) -> Lock | None:
    """A flake.lock, or None when it is not JSON of the expected shape."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        return None
    root = data.get("root", "root")
    if not isinstance(root, str):
        return None
    return Lock(path, text, data["nodes"], root, data.get("version"), _node_key_spans(text))


_STR = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _json_strings(text: str):
    """(start, end, value, depth, is_key, parent_key) of every string in a JSON text."""
    depth, i, n = 0, 0, len(text)
    keys: list = []          # the key that opened each nesting level
    last_key = None
    while i < n:
        c = text[i]
        if c == '"':
            m = _STR.match(text, i)
            if m is None:
                return
            try:
                value = json.loads(m.group(0))
            except ValueError:
                value = m.group(1)
            j = m.end()
            while j < n and text[j] in " \t\r\n":
                j += 1
            is_key = j < n and text[j] == ":"
            yield m.start(), m.end(), value, depth, is_key, (keys[-1] if keys else None)
            if is_key:
                last_key = value
            i = m.end()
            continue
        if c in "{[":
            depth += 1
            keys.append(last_key)
            last_key = None
        elif c in "}]":
            depth -= 1
            if keys:
                keys.pop()
            last_key = None
        i += 1


def _node_key_spans(text: str) -> dict:
    out = {}
    for s, e, value, depth, is_key, parent in _json_strings(text):
        if is_key and depth == 2 and parent == "nodes" and value not in out:
            out[value] = (s, e)
    return out


def lock_for(an: Analysis) -> Lock | None:
    """The flake.lock next to a flake.nix (an open buffer shadows the disk)."""
    if not an.path:
        return None
    lp = os.path.join(os.path.dirname(an.path), "flake.lock")
    text = an.workspace.text_of(lp) if an.workspace is not None else _read(lp)
    if text is None:
        return None
    return parse_lock(text, lp)


def _read(path: str) -> str | None:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None               # a named pipe would block in open()
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except OSError:
        return None


# -- what the lock pins ------------------------------------------------------------------------

def store_path(node: dict) -> str | None:
    """The store path of a locked input: the `source` fixed-output path of its narHash."""
    locked = node.get("locked") if isinstance(node.get("locked"), dict) else {}
    if locked.get("type") == "file":
        return None         # flat-hashed file: its store path is not in the lock
    nar = locked.get("narHash")
    if not isinstance(nar, str):
        return None
    from ..store import Hash, make_fixed_output_path
    try:
        return make_fixed_output_path("nar", Hash.parse_sri(nar), "source")
    except Exception:
        return None


def _utc(ts) -> str | None:
    if not isinstance(ts, int) or isinstance(ts, bool):
        return None
    try:
        return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return None


def _where_from(d: dict) -> str | None:
    if not d:
        return None
    t = d.get("type")
    if t in ("github", "gitlab", "sourcehut") and d.get("owner") and d.get("repo"):
        host = f"{d['host']}:" if d.get("host") else ""
        return f"{host}{d['owner']}/{d['repo']}"
    if d.get("url"):
        return str(d["url"])
    if d.get("path"):
        return str(d["path"])
    if d.get("id"):
        return f"registry id {d['id']}"
    return None


def node_markdown(lock: Lock, nid: str) -> str:
    node = lock.node(nid)
    locked = node.get("locked") if isinstance(node.get("locked"), dict) else {}
    original = node.get("original") if isinstance(node.get("original"), dict) else {}
    lines = []
    t = locked.get("type") or original.get("type")
    if t:
        lines.append(f"- type: {code(str(t))}" + (" (not a flake)" if node.get("flake") is False else ""))
    where = _where_from(locked) or _where_from(original)
    if where:
        label = "repository" if t in ("github", "gitlab", "sourcehut") else \
            ("path" if t == "path" else ("id" if t == "indirect" else "url"))
        lines.append(f"- {label}: {code(where)}")
    if locked.get("rev"):
        lines.append(f"- rev: {code(str(locked['rev']))}")
    ref = locked.get("ref") or original.get("ref")
    if ref:
        lines.append(f"- ref: {code(str(ref))}")
    date = _utc(locked.get("lastModified"))
    if date and locked.get("lastModified"):
        lines.append(f"- last modified: {date}")
    if locked.get("narHash"):
        lines.append(f"- narHash: {code(str(locked['narHash']))}")
    sp = store_path(node)
    if sp:
        there = "present on this machine" if os.path.exists(sp) else "not present on this machine"
        lines.append(f"- store path: {code(sp)} ({there})")
    elif locked.get("type") == "file":
        lines.append("- store path: not computable from the lock alone (a flat-hashed file)")
    sub = lock.inputs_of(nid)
    if sub:
        lines.append("- inputs:")
        for name, ref in sorted(sub.items()):
            lines.append("  - " + _ref_text(lock, name, ref))
    return "\n".join(lines)


def _ref_text(lock: Lock, name: str, ref) -> str:
    target = lock.resolve_ref(ref)
    tgt = f"node {code(str(target))}" if target else "**unresolved**"
    if isinstance(ref, list):
        via = code("/".join(map(str, ref))) if ref else "(the root flake)"
        return f"{code(str(name))} follows {via} → {tgt}"
    return f"{code(str(name))} → {tgt}"


# -- the flake.nix side ------------------------------------------------------------------------

def _top(an: Analysis) -> A.Attrs | None:
    return an.ast if type(an.ast) is A.Attrs else None


def declared_inputs(an: Analysis) -> dict:
    """name -> AttrDef of `inputs.<name>` (in source order)."""
    top = _top(an)
    if top is None:
        return {}
    d = top.attrs.get("inputs")
    if d is None or type(d.value) is not A.Attrs:
        return {}
    return dict(d.value.attrs)


def outputs_lambda(an: Analysis) -> A.Lambda | None:
    top = _top(an)
    if top is None:
        return None
    d = top.attrs.get("outputs")
    if d is None or type(d.value) is not A.Lambda:
        return None
    return d.value


def all_input_names(an: Analysis) -> list[str]:
    """Declared inputs, then outputs formals (implicit registry inputs), without `self`."""
    names = list(declared_inputs(an))
    lam = outputs_lambda(an)
    for f in (lam.formals or ()) if lam is not None else ():
        if f.name != "self" and f.name not in names:
            names.append(f.name)
    return names


@dataclass
class InputRef:
    start: int
    end: int
    path: tuple          # input names from the root: ("nixpkgs",) or ("rust-overlay", "nixpkgs")


def input_at(an: Analysis, offset: int) -> InputRef | None:
    o = an.occurrence_at(offset)
    if o is None:
        return None
    lam = outputs_lambda(an)
    if o.kind == DEF:
        owner = an.owner.get(id(o.node))
        if owner is None or owner.where != "attr" or not owner.path or owner.path[0] != "inputs":
            return None
        top = _top(an)
        # only definitions inside the top-level `inputs` (not `outputs.inputs...`)
        if top is None or top.attrs.get("inputs") is None:
            return None
        p = owner.path[1:]
        names = []          # inputs.a.inputs.b.inputs.c -> (a, b, c)
        i = 0
        while i < len(p):
            names.append(p[i])
            if i + 1 < len(p) and p[i + 1] == "inputs" and i + 2 < len(p):
                i += 2
                continue
            break
        # the cursor must be on an input name: the last name of `names` is the occurrence
        if i != len(p) - 1:
            return None
        return InputRef(o.start, o.end, tuple(names))
    if o.kind == FORMAL and lam is not None and o.extra is lam:
        if o.node.name == "self":
            return None
        return InputRef(o.start, o.end, (o.node.name,))
    if o.kind == SELECT and lam is not None:
        sel, i = o.extra
        e = sel.expr
        if type(e) is A.Var and e.binding is lam and lam.arg is not None and i == 0:
            if o.node.name and o.node.name != "self":
                return InputRef(o.start, o.end, (o.node.name,))
        # `self.inputs.x` is rarely written; `inputs.x.inputs.y` from the `@` argument:
        if type(e) is A.Var and e.binding is lam and lam.arg is not None and i >= 2 and i % 2 == 0:
            names = [n.name for n in sel.path[:i + 1]]
            if all(names[k] == "inputs" for k in range(1, i, 2)) and all(names):
                return InputRef(o.start, o.end, tuple(names[0::2]))
    return None


def _input_node(lock: Lock, path: tuple) -> tuple[str | None, object]:
    """(node id, the raw reference of the last step) for an input path."""
    parent = lock.resolve_path(path[:-1]) if len(path) > 1 else lock.root
    if parent is None:
        return None, None
    ref = lock.inputs_of(parent).get(path[-1])
    return (lock.resolve_ref(ref) if ref is not None else None), ref


@dataclass
class FlakeHover:
    start: int
    end: int
    markdown: str


def flake_hover(an: Analysis, offset: int) -> FlakeHover | None:
    if not is_flake_nix(an):
        return None
    ref = input_at(an, offset)
    if ref is None:
        return None
    label = "/".join(ref.path)
    head = f"**flake input {code(label)}**"
    lock = lock_for(an)
    if lock is None:
        return FlakeHover(ref.start, ref.end, head + "\n\nno `flake.lock` next to this `flake.nix` "
                                                      "(run `nix flake lock`)")
    nid, raw = _input_node(lock, ref.path)
    if nid is None:
        return FlakeHover(ref.start, ref.end, head + "\n\n**not in `flake.lock`** (run `nix flake lock`)")
    if isinstance(raw, list):
        head += f"\n\nfollows {code('/'.join(map(str, raw))) if raw else '(the root flake)'} → node {code(str(nid))}"
    else:
        head += f" → lock node {code(str(nid))}"
    body = node_markdown(lock, nid)
    return FlakeHover(ref.start, ref.end, head + ("\n\n" + body if body else ""))


@dataclass(frozen=True)
class FlakeLocation:
    start: int
    end: int
    path: str


def flake_definition(an: Analysis, offset: int) -> list[FlakeLocation] | None:
    """None: not on an input (let normal navigation answer)."""
    if not is_flake_nix(an):
        return None
    ref = input_at(an, offset)
    if ref is None:
        return None
    lock = lock_for(an)
    if lock is None:
        return []
    nid, _raw = _input_node(lock, ref.path)
    if nid is None:
        return []
    sp = store_path(lock.node(nid))
    if sp and os.path.isfile(os.path.join(sp, "flake.nix")):
        return [FlakeLocation(0, 0, os.path.join(sp, "flake.nix"))]
    span = lock.key_spans.get(nid)
    if span is None:
        return []
    return [FlakeLocation(span[0], span[1], lock.path)]


# -- diagnostics -------------------------------------------------------------------------------

@dataclass
class FlakeDiagnostic:
    start: int
    end: int
    severity: str
    code: str
    message: str


_GIT_LIKE = ("github", "gitlab", "sourcehut")


def parse_flake_url(url: str) -> dict | None:
    """The attributes a flake reference stands for, as far as the lock's `original` records them."""
    base, _, query = url.partition("?")
    params = {}
    for kv in query.split("&") if query else ():
        k, _, v = kv.partition("=")
        params[k] = v
    m = re.match(r"^(github|gitlab|sourcehut):([^/]+)/([^/]+)(?:/(.+))?$", base)
    if m:
        d = {"type": m.group(1), "owner": m.group(2), "repo": m.group(3)}
        third = m.group(4)
        if third:
            d["rev" if re.fullmatch(r"[0-9a-f]{40}", third) else "ref"] = third
        for k in ("ref", "rev", "host"):
            if k in params:
                d[k] = params[k]
        return d
    if base.startswith(("path:", "./", "../", "/")) or base in (".", ".."):
        return {"type": "path", "path": base[5:] if base.startswith("path:") else base}
    m = re.match(r"^(?:flake:)?([A-Za-z][A-Za-z0-9_-]*)(?:/([^/]+))?(?:/([0-9a-f]{40}))?$", base)
    if m and ":" not in base.replace("flake:", "", 1):
        d = {"type": "indirect", "id": m.group(1)}
        if m.group(2):
            d["rev" if re.fullmatch(r"[0-9a-f]{40}", m.group(2)) else "ref"] = m.group(2)
        return d
    m = re.match(r"^(git|tarball|file|hg)\+(.*)$", base)
    scheme_type = m.group(1) if m else None
    bare = m.group(2) if m else base
    if scheme_type is None:
        if re.match(r"^https?://", bare):
            scheme_type = "tarball" if re.search(r"\.(zip|tar|tgz|tar\.gz|tar\.xz|tar\.bz2|tar\.zst)$", bare) \
                else "file"
        else:
            return None
    d = {"type": "git" if scheme_type == "git" else scheme_type, "url": bare}
    for k in ("ref", "rev"):
        if k in params:
            d[k] = params[k]
    return d


def url_mismatch(declared: str, original: dict) -> str | None:
    """Why a lock node's `original` no longer matches the declared url, or None."""
    want = parse_flake_url(declared)
    if want is None or not original:
        return None
    ot = original.get("type")
    if want["type"] in _GIT_LIKE or ot in _GIT_LIKE:
        if want["type"] != ot:
            return f"the lock has a `{ot}` input, flake.nix declares `{want['type']}`"
        for k in ("owner", "repo", "ref", "rev"):
            if want.get(k) != original.get(k):
                return f"{k} is `{want.get(k) or '(none)'}` in flake.nix but `{original.get(k) or '(none)'}` " \
                       f"in flake.lock"
        return None
    if want["type"] == "path" and ot == "path":
        op = str(original.get("path", ""))
        if op.startswith("/nix/store/") and not want["path"].startswith("/nix/store/"):
            return None     # older Nix recorded relative paths as the copied store path
        if os.path.normpath(op) != os.path.normpath(want["path"]):
            return f"path is `{want['path']}` in flake.nix but `{op}` in flake.lock"
        return None
    if want["type"] == "indirect" or ot == "indirect":
        if want["type"] != ot:
            return f"the lock has a `{ot}` input, flake.nix declares `{want['type']}`"
        for k in ("id", "ref", "rev"):
            if want.get(k) != original.get(k):
                return f"{k} is `{want.get(k) or '(none)'}` in flake.nix but `{original.get(k) or '(none)'}` " \
                       f"in flake.lock"
        return None
    ourl = original.get("url")
    if ourl is None:
        return None
    obase = str(ourl).split("?")[0]
    if obase != want["url"]:
        return f"url is `{want['url']}` in flake.nix but `{obase}` in flake.lock"
    for k in ("ref", "rev"):
        if k in want and want[k] != original.get(k):
            return f"{k} is `{want[k]}` in flake.nix but `{original.get(k) or '(none)'}` in flake.lock"
    return None


def _literal_problem(node) -> object | None:
    """The first non-literal node inside an `inputs` value, or None."""
    stack = [node]
    while stack:
        n = stack.pop()
        t = type(n)
        if t is A.Str:
            continue
        if t is A.Var and n.name in ("true", "false") and n.binding is None and not n.from_with:
            continue
        if t is A.Attrs and not n.rec and not n.dynamic and not n.inherit_from:
            for d in n.attrs.values():
                if d.kind != A.PLAIN:
                    return n
                stack.append(d.value)
            continue
        return n
    return None


def _what(node) -> str:
    t = type(node)
    if t is A.Let:
        return "a `let` expression"
    if t is A.Var:
        return f"the variable `{node.name}`"
    if t is A.ConcatStrings:
        return "an interpolated string"
    if t is A.Attrs:
        return "a `rec` set, `inherit` or dynamic attribute" if (node.rec or node.inherit_from or node.dynamic) \
            else "an attribute set with `inherit`"
    return f"a {t.__name__.lower()} expression"


def _str_value(node) -> str | None:
    return node.value if type(node) is A.Str else None


def flake_diagnostics(an: Analysis) -> list[FlakeDiagnostic]:
    if is_flake_lock(an):
        return _lock_diagnostics(an)
    if not is_flake_nix(an):
        return []
    out: list[FlakeDiagnostic] = []
    top = _top(an)
    ins = top.attrs.get("inputs") if top is not None else None
    if ins is not None:
        bad = _literal_problem(ins.value)
        if bad is not None:
            span = bad.span
            out.append(FlakeDiagnostic(span.start, max(span.end, span.start + 1), "error", "F003",
                                       f"flake inputs must be literals, not {_what(bad)}: "
                                       "Nix reads `inputs` without evaluating it"))
    lock = lock_for(an)
    if lock is None:
        return out
    root_inputs = lock.inputs_of(lock.root)
    decl = declared_inputs(an)
    lam = outputs_lambda(an)
    formals = {f.name: f for f in (lam.formals or ())} if lam is not None else {}
    for name in all_input_names(an):
        if name in decl:
            d = decl[name]
            ns = d.name_span or d.span
        else:
            ns = formals[name].span
        if name not in root_inputs:
            out.append(FlakeDiagnostic(ns.start, ns.end, "warning", "F001",
                                       f"input `{name}` is not in flake.lock; run `nix flake lock` to add it"))
            continue
        if name not in decl or type(decl[name].value) is not A.Attrs:
            continue
        u = decl[name].value.attrs.get("url")
        url = _str_value(u.value) if u is not None else None
        if url is None:
            continue
        nid = lock.resolve_ref(root_inputs[name])
        original = lock.node(nid).get("original")
        why = url_mismatch(url, original if isinstance(original, dict) else {})
        if why:
            out.append(FlakeDiagnostic(u.value.span.start, u.value.span.end, "warning", "F002",
                                       f"flake.lock no longer matches input `{name}`: {why}; "
                                       "run `nix flake lock`"))
    return out


def _lock_diagnostics(an: Analysis) -> list[FlakeDiagnostic]:
    lock = parse_lock(an.text, an.path)
    if lock is None:
        try:
            json.loads(an.text)
            return [FlakeDiagnostic(0, min(1, len(an.text)), "error", "F004",
                                    "not a flake lock file: expected an object with `nodes`")]
        except ValueError as e:
            pos = getattr(e, "pos", 0) or 0
            return [FlakeDiagnostic(pos, min(pos + 1, len(an.text)), "error", "F004",
                                    f"flake.lock is not valid JSON: {getattr(e, 'msg', e)}")]
    if lock.version != 7:
        return [FlakeDiagnostic(0, min(1, len(an.text)), "information", "F005",
                                f"lock file version {lock.version}; pynix reads version 7")]
    return []


# -- document links ------------------------------------------------------------------------------

@dataclass
class DocumentLink:
    start: int
    end: int
    target: str
    tooltip: str = ""


def web_url(locked: dict, original: dict | None = None) -> str | None:
    t = locked.get("type")
    owner, repo = locked.get("owner"), locked.get("repo")
    if t not in _GIT_LIKE or not owner or not repo:
        return None
    rev = locked.get("rev") or locked.get("ref") or (original or {}).get("ref")
    if t == "github":
        host = locked.get("host") or "github.com"
        return f"https://{host}/{owner}/{repo}" + (f"/tree/{rev}" if rev else "")
    if t == "gitlab":
        host = locked.get("host") or "gitlab.com"
        return f"https://{host}/{owner}/{repo}" + (f"/-/tree/{rev}" if rev else "")
    host = locked.get("host") or "git.sr.ht"
    owner = owner if owner.startswith("~") else "~" + owner
    return f"https://{host}/{owner}/{repo}" + (f"/tree/{rev}" if rev else "")


def document_links(an: Analysis) -> list[DocumentLink]:
    if not is_flake_nix(an):
        return []
    lock = lock_for(an)
    out = []
    for name, d in declared_inputs(an).items():
        if type(d.value) is not A.Attrs:
            continue
        u = d.value.attrs.get("url")
        url = _str_value(u.value) if u is not None else None
        if url is None:
            continue
        nid = lock.resolve_ref(lock.inputs_of(lock.root).get(name)) if lock is not None else None
        node = lock.node(nid) if lock is not None else {}
        locked = node.get("locked") if isinstance(node.get("locked"), dict) else None
        target, tip = None, ""
        if locked:
            target = web_url(locked, node.get("original") if isinstance(node.get("original"), dict) else None)
            tip = f"{name} at the locked rev" if locked.get("rev") else name
        if target is None:
            want = parse_flake_url(url)
            if want and want["type"] in _GIT_LIKE:
                target = web_url(want)
                tip = f"{name} (not locked)"
        if target:
            s, e = u.value.span.start, u.value.span.end
            if e - s >= 2 and an.text[s] == '"' and an.text[e - 1] == '"':
                s, e = s + 1, e - 1
            out.append(DocumentLink(s, e, target, tip))
    return out


# -- completion ------------------------------------------------------------------------------------

@dataclass
class FlakeCompletion:
    label: str
    detail: str = ""
    documentation: str = ""


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_'\-]*")


def _outputs_formals_region(an: Analysis) -> tuple[int, int] | None:
    """(start, end) offsets inside the `{ ... }` of `outputs = { ... }:`."""
    lam = outputs_lambda(an)
    if lam is not None and lam.formals is not None:
        start = an.text.find("{", lam.span.start)
        if start < 0:
            return None
        pos = start + 1
        for f in lam.formals:
            pos = max(pos, f.span.end, f.default.span.end if f.default is not None else 0)
        end = an.text.find("}", pos)
        return (start + 1, end if end >= 0 else len(an.text))
    # a half-typed argument set the parser could not read: find it in the text
    m = re.search(r"\boutputs\s*=\s*(?:[A-Za-z_][\w'-]*\s*@\s*)?\{", an.text)
    if m is None:
        return None
    end = an.text.find("}", m.end())
    return (m.end(), end if end >= 0 else len(an.text))


def flake_completion(an: Analysis, offset: int) -> list[FlakeCompletion] | None:
    """Input names inside the `outputs` argument set; None elsewhere."""
    if not is_flake_nix(an):
        return None
    region = _outputs_formals_region(an)
    if region is None or not (region[0] <= offset <= region[1]):
        return None
    before = an.text[region[0]:offset]
    if "?" in before.rsplit(",", 1)[-1]:
        return None     # in a default value
    # the name being typed is not "already written"
    typed = re.search(r"[A-Za-z0-9_'\-]*$", before).group(0)
    written = set(_IDENT.findall(an.text[region[0]:offset - len(typed)]))
    written |= set(_IDENT.findall(an.text[offset:region[1]]))
    lock = lock_for(an)
    names = all_input_names(an)
    if lock is not None:
        names += [n for n in lock.inputs_of(lock.root) if n not in names]
    known = set(declared_inputs(an)) | (set(lock.inputs_of(lock.root)) if lock is not None else set())
    out = []
    for name in ["self"] + names:
        if name in written and name != typed:
            continue
        if name == typed and name not in known and name != "self":
            continue        # only the half-typed formal itself
        detail, doc = "", ""
        if name == "self":
            detail = "this flake"
        elif lock is not None:
            nid = lock.resolve_ref(lock.inputs_of(lock.root).get(name))
            if nid is not None:
                node = lock.node(nid)
                locked = node.get("locked") if isinstance(node.get("locked"), dict) else {}
                where = _where_from(locked) or ""
                rev = str(locked.get("rev", ""))[:7]
                detail = f"{locked.get('type', '')} {where}" + (f" @ {rev}" if rev else "")
                doc = node_markdown(lock, nid)
            else:
                detail = "not in flake.lock"
        out.append(FlakeCompletion(name, detail.strip(), doc))
    return out


# -- inside flake.lock ---------------------------------------------------------------------------

def lock_hover(an: Analysis, offset: int) -> FlakeHover | None:
    """On a node id in flake.lock (a key of `nodes`, or a reference in `inputs`): which
    flake.nix input(s) it serves."""
    if not is_flake_lock(an):
        return None
    lock = parse_lock(an.text, an.path)
    if lock is None:
        return None
    hit = None
    for s, e, value, depth, is_key, parent in _json_strings(an.text):
        if s <= offset < e or (e == offset and hit is None and s < offset):
            hit = (s, e, value, depth, is_key, parent)
            if s <= offset < e:
                break
        if s > offset:
            break
    if hit is None:
        return None
    s, e, value, depth, is_key, parent = hit
    nid = None
    if is_key and depth == 2 and parent == "nodes":
        nid = value
    elif not is_key and parent == "inputs" and value in lock.nodes:
        nid = value
    if nid is None or nid not in lock.nodes:
        return None
    paths = lock.serving().get(nid, [])
    flake_nix = os.path.join(os.path.dirname(an.path), "flake.nix") if an.path else None
    direct_decl = set()
    if flake_nix:
        text = an.workspace.text_of(flake_nix) if an.workspace is not None else _read(flake_nix)
        if text is not None:
            from .analysis import analyze
            fan = analyze(text, flake_nix)
            direct_decl = set(all_input_names(fan))
    lines = [f"**lock node {code(str(nid))}**"]
    if nid == lock.root:
        lines.append("the root: the flake of `flake.nix` itself")
    elif not paths:
        lines.append("no input of `flake.nix` reaches this node (unused: `nix flake lock` would drop it)")
    else:
        lines.append("serves:")
        for p in paths:
            label = "/".join(p)
            if len(p) == 1:
                tail = " — declared in `flake.nix`" if p[0] in direct_decl else " — a root input"
            else:
                tail = f" — input {code(str(p[-1]))} of {code('/'.join(map(str, p[:-1])))}"
            lines.append(f"- {code(label)}{tail}")
    body = node_markdown(lock, nid)
    if body:
        lines.append("")
        lines.append(body)
    return FlakeHover(s, e, "\n".join(lines[:1]) + "\n\n" + "\n".join(lines[1:]))
