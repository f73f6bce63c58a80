# Lesson 11: errors on purpose
#
# Functions check their arguments and fail with a message of their own:
# `throw "message"` fails with that message, and `assert CONDITION; BODY`
# fails when the condition is false. Both are lazy like everything else:
# they only fire when their value is needed.
#
# Every pynix error has a code, and `pynix explain CODE` explains it with a
# broken and a fixed example (`pynix explain --list` lists them all).
# `pynix eval FILE` prints the code under Nix's message.
let
  # validate an argument with assert (E206 when it fails) ...
  half = n: assert builtins.isInt n; n / 2;

  # ... or with throw and a message of your own (E204)
  port = p:
    if p < 1 || p > 65535 then throw "port ${toString p} is out of range" else p;

  # builtins.tryEval catches `throw` and failed asserts, and gives
  # { success; value; }. value is false when it failed.
  try = x: builtins.tryEval x;
in
{
  ok = try (port 8080);
  tooBig = try (port 70000);
  notANumber = try (half "ten");

  # it cannot catch `abort` or mistakes such as a missing attribute or a
  # wrong type: those stop evaluation, as they should. Only the parts of a
  # program that were written to fail on purpose can be caught.
  halfOfTen = (try (half 10)).value;
}
# Try: in the result, replace `try (half "ten")` by `half "ten"` (no
# tryEval), evaluate this file with `pynix eval`, and read what
# `pynix explain E206` says about it.
#
# => { halfOfTen = 5; notANumber = { success = false; value = false; }; ok = { success = true; value = 8080; }; tooBig = { success = false; value = false; }; }
