"""Syntax layer: lexer, grammar-driven parser, AST and the `--parse` printer."""
