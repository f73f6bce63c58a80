"""The browser playground: pynix on Pyodide, for workshops with nothing to install.

    pynix playground build DIR          a self-contained static site (site.py)
    pynix playground serve [--port N] [DIR]   serve it on localhost (server.py)

`session` is what runs in the browser: the page's Web Worker loads Pyodide,
installs the pynix and lark wheels the build made, and calls it. The page
itself (web/) is plain JavaScript: a CodeMirror 6 editor bundled at build
time with esbuild, from npm packages pinned in web/package-lock.json.

The playground is an adapter over nixlang, like the CLI: it adds no Nix
semantics of its own.
"""
