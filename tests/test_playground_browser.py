"""The playground in a real browser: Debian's chromium, headless, driven by
Playwright (from PyPI; no browser download).

The site is built once with `pynix playground build` (npm, esbuild, Pyodide
compiling the bytecode: needs Node.js and npm) and served by `pynix
playground serve`'s server. Then, as a workshop attendee would: type an
expression and run it; make an error and read its code and explanation;
open a lesson and run it; share a link and open it; start a runaway
evaluation, stop it and go on. Without chromium, Playwright or npm these
tests skip, saying why, except in CI (CI=true), where they fail:
`.ci/setup-chromium` installs chromium there.

Load and speed are measured by benchmarks/playground_bench.py, not asserted
here (no timed assertions): the waits below are only there so that a broken
page fails instead of hanging.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from conftest import ROOT
from nixlang.errors.catalogue import explanation
from nixlang.playground import server, site

CHROMIUM = "/usr/lib/chromium/chromium"
# the lessons the playground offers: those that need no nixpkgs
LESSONS = [p for p in sorted((ROOT / "examples" / "lessons").glob("[0-9][0-9]-*.nix"))
           if "<nixpkgs" not in p.read_text(encoding="utf-8")]
LOAD_MS = 180_000         # generous: CI's machine is shared; a page that never loads still fails
RUNAWAY = "let f = n: if n == 0 then 0 else f (n - 1) + f (n - 1); in f 60"


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"chromium is not installed at {CHROMIUM} (.ci/setup-chromium installs it)"
    if shutil.which("npm") is None or shutil.which("node") is None:
        return "Node.js and npm are not installed (the build needs them)"
    return None


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory):
    missing = _unavailable()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {missing}")
        pytest.skip(missing)
    out = tmp_path_factory.mktemp("playground") / "site"
    site.build(out, log=lambda line: None)
    return out


def _serve(directory: Path, isolated: bool = True):
    srv = server.make_server(directory, 0, quiet=True, isolated=isolated)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.fixture(scope="module")
def url(site_dir):
    srv = _serve(site_dir)
    yield server.url_of(srv)
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def browser(site_dir):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield b
        b.close()


def open_page(browser, address):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(address)
    page.wait_for_function("window.pynix !== undefined", timeout=LOAD_MS)
    page.evaluate("window.pynix.ready")
    page.errors = errors
    return page


@pytest.fixture(scope="module")
def page(browser, url):
    """One page for the tests that do not need a fresh one (loading Pyodide is the slow part)."""
    p = open_page(browser, url)
    yield p
    assert not p.errors, p.errors
    p.close()


def type_code(page, text):
    page.click("#editor .cm-content")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def run_and_read(page, how="click"):
    page.evaluate("document.querySelector('#output').dataset.state = ''")
    if how == "click":
        page.click("#run")
    else:
        page.click("#editor .cm-content")
        page.keyboard.press("Control+Enter")
    page.wait_for_function("document.querySelector('#output').dataset.state !== ''", timeout=LOAD_MS)
    return page.inner_text("#output")


def test_the_page_has_its_ids_and_a_codemirror_editor(page):
    assert page.locator("#editor .cm-editor").count() == 1
    assert page.locator("#run").count() == 1 and page.locator("#output").count() == 1
    assert page.evaluate("window.crossOriginIsolated")        # the server's headers


@pytest.mark.parametrize("how", ["click", "keyboard"])
def test_type_an_expression_run_it_and_read_the_value(page, how):
    type_code(page, 'let greet = name: "Hello, ${name}!"; in { a = greet "Nix"; b = 6 * 7; }')
    out = run_and_read(page, how)
    assert page.get_attribute("#output", "data-state") == "ok"
    assert out.splitlines()[0] == '{ a = "Hello, Nix!"; b = 42; }'


def test_an_error_shows_its_code_hint_and_explanation(page):
    type_code(page, 'let port = 70000; in if port > 65535 then throw "port out of range" else port')
    out = run_and_read(page)
    assert page.get_attribute("#output", "data-state") == "error"
    assert "error: port out of range" in out and "[E204]" in out
    e = explanation("E204")
    assert page.inner_text("#output .explanation h3") == f"E204: {e.title}"
    assert e.broken.strip().splitlines()[0] in page.inner_text("#output .explanation")


def test_diagnostics_appear_as_you_type(page):
    type_code(page, "let unused = 1; in missing + 1")
    page.wait_for_selector(".cm-lintRange-error", timeout=LOAD_MS)
    page.wait_for_selector(".cm-lintRange-warning", timeout=LOAD_MS)
    marks = page.evaluate("""() => { const v = window.pynix.view;
        return [...v.dom.querySelectorAll('.cm-lintRange-error')].map(e => e.textContent); }""")
    assert marks == ["missing"]
    codes = {d["code"] for d in page.evaluate("window.pynix.diagnostics('let unused = 1; in missing + 1')")}
    assert codes == {"E013", "W001"}


def test_the_laziness_ast_and_derivation_views(page):
    type_code(page, 'let a = 1 + 1; b = throw "never"; in a * 2')
    page.click('[data-tab="laziness"]')
    page.wait_for_selector("#laziness pre.trace", timeout=LOAD_MS)
    trace = page.inner_text("#laziness pre.trace")
    assert "create thunk #1 a" in trace and "never forced (laziness: their code never ran): #2 b" in trace
    page.click('[data-tab="ast"]')
    page.wait_for_selector("#ast pre.parse", timeout=LOAD_MS)
    assert page.inner_text("#ast pre.parse") == "(let a = (1 + 1); b = (throw \"never\"); in (__mul a 2))"
    page.click('#ast .tree .type >> text=Let')
    assert page.evaluate("window.pynix.view.state.selection.main.from") == 0
    page.click('[data-tab="output"]')
    r = page.evaluate("""window.pynix.evaluate('derivation { name = "hi"; builder = "/bin/sh"; system = "x86_64-linux"; }')""")
    assert r["ok"] and re.fullmatch(r"«derivation /nix/store/[0-9a-z]{32}-hi\.drv»", r["value"])
    type_code(page, 'derivation { name = "hi"; builder = "/bin/sh"; system = "x86_64-linux"; }')
    run_and_read(page)
    page.click('[data-tab="drv"]')
    assert page.inner_text("#drv .drv-path") == r["value"][len("«derivation "):-1]
    assert page.inner_text("#drv .drv-json").lstrip().startswith("{")
    assert page.text_content("#drv .drv-aterm").startswith('Derive([("out","/nix/store/')
    page.click('[data-tab="output"]')


def test_the_embedding_api(page):
    ok = page.evaluate("window.pynix.evaluate('[ 1 (2 + 3) ]')")
    assert {k: ok[k] for k in ("ok", "value", "error", "code")} == \
        {"ok": True, "value": "[ 1 5 ]", "error": None, "code": None}
    bad = page.evaluate("window.pynix.evaluate('{ }.x')")
    assert bad["ok"] is False and bad["value"] is None and bad["code"] == "E202"
    assert bad["error"].startswith("error:") and "attribute 'x' missing" in bad["error"]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_a_lesson_runs_from_the_sidebar(page, lesson):
    stated = lesson.read_text().rstrip("\n").splitlines()[-1][len("# => "):]
    page.evaluate("document.querySelector('#output').dataset.state = ''")
    page.click(f'#lesson-list li[data-id="{lesson.stem}"] a')
    page.wait_for_function("document.querySelector('#output').dataset.state !== ''", timeout=LOAD_MS)
    assert page.inner_text("#output pre.value") == stated
    assert page.inner_text("#exercise .expected") == stated
    # title, exercise (when the lesson has one), value: elements only, no stray "null" text
    assert page.evaluate("[...document.querySelector('#exercise').childNodes].every(n => n.nodeType === 1)")
    assert (page.locator("#exercise .try").count() == 1) == ("# Try:" in lesson.read_text())
    assert page.evaluate("window.pynix.getCode()") == lesson.read_text()


def test_a_share_link_restores_the_code(browser, page):
    code = '# a shared snippet: ünïcödé and ${"interpolation"}\n{ answer = 6 * 7; }\n'
    type_code(page, code)
    page.click("#share")
    link = page.input_value("#share-url")
    assert "#code=" in link and page.url == link
    other = open_page(browser, link)
    try:
        assert other.evaluate("window.pynix.getCode()") == code
        assert run_and_read(other).splitlines()[0] == "{ answer = 42; }"
    finally:
        other.close()


def _stop_a_runaway(page):
    type_code(page, RUNAWAY)
    page.evaluate("document.querySelector('#output').dataset.state = ''")
    page.click("#run")
    page.wait_for_function("window.pynix.busy", timeout=LOAD_MS)
    # the page answers while Python works
    assert page.evaluate("1 + 1") == 2
    page.click("#stop")
    page.wait_for_function("document.querySelector('#output').dataset.state !== ''", timeout=LOAD_MS)
    assert "error: interrupted by the user" in page.inner_text("#output")
    type_code(page, "[ (1 + 1) ]")
    assert run_and_read(page).splitlines()[0] == "[ 2 ]"


def test_a_runaway_evaluation_is_stopped_and_the_page_stays_responsive(page):
    restarts = page.evaluate("window.pynix.restarts")
    _stop_a_runaway(page)
    # with cross-origin isolation, Python was interrupted: no new runtime needed
    assert page.evaluate("window.pynix.restarts") == restarts


def test_the_time_budget_stops_an_evaluation(page):
    page.select_option("#budget", "5")
    try:
        type_code(page, RUNAWAY)
        out = run_and_read(page)
        assert "took longer than its time budget (5 s)" in out
        assert page.evaluate("window.pynix.evaluate('3 * 3')")["value"] == "9"
    finally:
        page.select_option("#budget", "10")


def test_without_isolation_stop_restarts_the_runtime(browser, site_dir):
    # a static host without the headers: no SharedArrayBuffer, so Stop ends the
    # worker and starts a new one
    srv = _serve(site_dir, isolated=False)
    try:
        p = open_page(browser, server.url_of(srv))
        try:
            assert not p.evaluate("window.crossOriginIsolated")
            _stop_a_runaway(p)
            assert p.evaluate("window.pynix.restarts") == 1
        finally:
            p.close()
    finally:
        srv.shutdown()
        srv.server_close()


def test_a_recursion_deeper_than_the_browsers_stack_is_an_error_not_a_dead_page(page):
    # deep_force recurses once per nesting level, through code the browser's
    # small stack may not hold: either the value, or Nix's stack overflow
    # with the runtime restarted; the page goes on in both cases
    r = page.evaluate("window.pynix.evaluate('let f = n: if n == 0 then [] else [ (f (n - 1)) ]; in f 9000')")
    assert r["ok"] or (r["code"] == "E210" and "stack overflow" in r["error"]), r
    assert page.evaluate("window.pynix.evaluate('2 + 2')")["value"] == "4"
