"""The grammar's shape: the only LALR conflicts are the intended ones.

Bison resolves Nix's operator grammar with precedence declarations; our Lark
grammar spells precedence out level by level. One construct cannot be
stratified without conflicts: a `!` operand after a tighter operator
(`a * !b + c` is `a * !(b + c)`), where the `!` operand must swallow every
tighter operator. Lark resolves those shift/reduce conflicts as shift, which
is exactly Bison's choice. This test pins the conflict set so that a grammar
change cannot add an unintended one silently.
"""
from __future__ import annotations

import logging

from lark import Lark, logger

from nixlang.syntax.lexer import LarkNixLexer
from nixlang.syntax.parser import grammar_text

TIGHTER_THAN_NOT = {"PLUS", "MINUS", "STAR", "SLASH", "CONCAT", "QUESTION"}
ALLOWED_REDUCE = {"op_not", "op_add", "op_mul", "op_concat", "op_has"}


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record.getMessage())


def test_only_intended_conflicts():
    h = _Collect()
    old = logger.level
    logger.addHandler(h)
    logger.setLevel(logging.DEBUG)
    try:
        Lark(grammar_text(), parser="lalr", lexer=LarkNixLexer, debug=True)
    finally:
        logger.removeHandler(h)
        logger.setLevel(old)
    conflicts = []
    for i, msg in enumerate(h.records):
        if msg.startswith("Shift/Reduce conflict for terminal"):
            term = msg.split("terminal ")[1].split(":")[0]
            rule = h.records[i + 1].strip(" *<>")
            conflicts.append((term, rule.split(" :")[0].strip()))
    assert conflicts, "expected the op_bang conflicts to be present"
    for term, origin in conflicts:
        assert term in TIGHTER_THAN_NOT, (term, origin)
        assert origin in ALLOWED_REDUCE, (term, origin)
    assert not any("Reduce/Reduce" in m for m in h.records)
