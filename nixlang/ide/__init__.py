"""Language features with no LSP types (DESIGN.md: syntax -> ide -> lsp).

Everything here takes an `Analysis` (the text of one document, parsed with
recovery, resolved and indexed) and an offset into that text, and returns
plain dataclasses with offsets. The `lsp/` adapter converts offsets to LSP
positions (UTF-16) and dataclasses to lsprotocol types; nothing here knows
about LSP.

    an = analyze(text, path)                 # or AnalysisCache().get(uri)
    diagnostics(an)                          # syntax, scope and lint diagnostics
    hover(an, offset)                        # Hover(start, end, markdown) or None
    definition(an, offset)                   # [Location(start, end, path)]
    references(an, offset)                   # [Location]
    navigation.workspace_references(an, off) # [Location], the workspace's other files too (callers, nixpkgs)
    document_symbols(an)                     # [Symbol] (a tree)
    folding_ranges(an)                       # [FoldRange] (0-based lines)
    completion(an, offset)                   # [CompletionItem]
    eval_diagnostics(text, path, timeout)    # evaluation errors, or None (budget)
    document_links(an)                       # [DocumentLink] (flake.nix inputs -> web pages)
    hover_preview(an, offset, wait, budget)  # the evaluated value under the cursor (values)
    prepare_rename(an, offset)               # RenameTarget, or RenameError saying why not
    rename(an, offset, new_name)             # [TextEdit], or RenameError (capture, bad name, ...)
    code_actions(an, start, end)             # [CodeAction] quick fixes for the diagnostics there
    selection_ranges(an, offsets)            # [[(start, end), ...]] innermost first
    semantic_tokens(an, start, end)          # [(start, end, type, modifiers)]
    inlay_hints(an, start, end)              # [InlayHint] parameter names, folded constants
    hints.hint_for(err, an)                  # the hint of an error (also `pynix eval`'s, via hints.render)

flake.nix / flake.lock documents get flake input features (see `flakes`);
module files get option completion, hover, definition and diagnostics
(`options`: an `OptionsService` the server keeps; `modules` reads a module
from its tree, `option_eval` is the worker's side).

Only `evaluation` imports the evaluator, and only when it runs.
"""
from .analysis import Analysis, AnalysisCache, analyze
from .completion import CompletionItem, completion
from .diagnostics import LINTS, Diagnostic, Related, diagnostics
from .evaluation import EvalOutcome, eval_diagnostics
from .runner import EvalRunner
from .flakes import DocumentLink, document_links
from .hover import Hover, hover
from .navigation import (FoldRange, Location, Symbol, definition, document_symbols, folding_ranges,
                         references)
from .static import warm_up
from .actions import CodeAction, code_actions
from .inlay import InlayHint, inlay_hints
from .rename import RenameError, RenameTarget, TextEdit, apply_edits, prepare_rename, rename
from .selection import selection_ranges
from .tokens import semantic_tokens
from .values import hover_preview

__all__ = ["Analysis", "AnalysisCache", "analyze", "CompletionItem", "completion", "LINTS", "Diagnostic",
           "Related", "diagnostics", "DocumentLink", "document_links", "EvalOutcome", "EvalRunner", "eval_diagnostics", "Hover", "hover",
           "FoldRange", "Location", "Symbol", "definition", "document_symbols", "folding_ranges",
           "references", "warm_up", "CodeAction", "code_actions", "InlayHint", "inlay_hints", "RenameError",
           "RenameTarget", "TextEdit", "apply_edits", "prepare_rename", "rename", "selection_ranges",
           "semantic_tokens", "hover_preview"]
