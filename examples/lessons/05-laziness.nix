# Lesson 5: laziness
#
# Nix computes a value only when something needs it, and then only once.
# Until then the value is a "thunk": a note saying how to compute it. This
# is why the errors below never happen: nothing asks for those values.
let
  # an error that would stop everything, if it were ever evaluated
  boom = throw "this value is never needed";

  # a list may hold a failing element; its length does not look inside
  mixed = [ 1 boom 3 ];

  # an attribute set may hold one too; other attributes still work
  config = { name = "server"; port = boom; };

  # Laziness allows infinite structures: every `next` is only computed
  # when selected, so this "stream" of all natural numbers is fine.
  naturalsFrom = n: { value = n; next = naturalsFrom (n + 1); };
  naturals = naturalsFrom 0;

  # `if` evaluates only the branch it takes
  safeDivide = a: b: if b == 0 then 0 else a / b;

  # builtins.tryEval evaluates a value and catches a `throw` (but not
  # `abort`). It shows that `boom` would fail if we asked for it.
  attempt = builtins.tryEval boom;
in
{
  length = builtins.length mixed;
  name = config.name;
  third = naturals.next.next.next.value;
  divided = safeDivide 10 0;
  caught = attempt.success;

  # `a && b` does not look at b when a is false
  shortCircuit = false && boom;
}
# `pynix instantiate --eval --strict` evaluates the whole result deeply,
# but `mixed`, `config.port` and `naturals` are not part of the result, so
# they stay unevaluated.
#
# Try: add `port = config.port;` to the result and see the error appear.
#
# => { caught = false; divided = 0; length = 3; name = "server"; shortCircuit = false; third = 3; }
