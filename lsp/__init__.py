"""The pygls language server adapter (`pynix lsp`), built in its own issue.

It will stay a thin layer: handlers convert LSP types and call `nixlang.ide`,
which in turn uses `nixlang.syntax.parse_recover` and the resolver.
"""
