# Fixed points and overlays: the machinery behind nixpkgs' package set and
# lib.extend, used on small data so every step can be printed.
let
  lib = import ./lib;
  inherit (lib) fix extends composeExtensions composeManyExtensions makeExtensible;

  # A "rec" attrset as a function of its final self.
  base = self: {
    a = 1;
    b = self.a + 1;
    c = self.b * 10;
    greeting = "hello ${self.name}";
    name = "base";
    # Never forced: an overlay replaces it before anyone looks.
    broken = throw "base.broken must be overridden";
  };

  overlayA = final: prev: {
    a = prev.a + 100;
    name = "${prev.name}+A";
    broken = "fixed by A";
  };

  overlayB = final: prev: {
    c = prev.c + final.a;           # sees A's a through final
    name = "${prev.name}+B";
    history = (prev.history or [ ]) ++ [ "B saw c=${toString prev.c}" ];
  };

  overlayC = final: prev: {
    history = prev.history ++ [ "C saw name=${prev.name}" ];
    d = final.c - prev.c;
  };

  applied = fix (builtins.foldl' (lib.flip extends) base [ overlayA overlayB overlayC ]);
  composed = fix (extends (composeManyExtensions [ overlayA overlayB overlayC ]) base);
  composedPairwise = fix (extends (composeExtensions overlayA (composeExtensions overlayB overlayC)) base);

  pick = s: { inherit (s) a b c d name greeting history broken; };

  # makeExtensible: an object that can be extended again and again.
  counter = makeExtensible (self: {
    step = 1;
    start = 0;
    values = builtins.genList (i: self.start + i * self.step) 5;
    total = builtins.foldl' builtins.add 0 self.values;
  });
  counter2 = counter.extend (final: prev: { step = 3; });
  counter3 = counter2.extend (final: prev: { start = prev.start - 5; values = prev.values ++ [ 1000 ]; });

  # A fixed point over an open recursive function: memoised Fibonacci
  # where the memo table is a lazy list that refers to itself.
  fibs = fix (self: builtins.genList (n: if n < 2 then n else builtins.elemAt self (n - 1) + builtins.elemAt self (n - 2)) 60);

  # An open-recursive evaluator for a tiny expression tree, closed with fix
  # and then extended with a new node kind, without touching the original.
  evalBase = self: e:
    if e.op == "lit" then e.value
    else if e.op == "add" then self e.l + self e.r
    else if e.op == "mul" then self e.l * self e.r
    else throw "unknown op ${e.op}";
  evalNeg = super: self: e: if e.op == "neg" then 0 - self e.x else super self e;
  evalTrace = super: self: e:
    let v = super self e; in v;
  evaluator = fix (evalTrace (evalNeg evalBase));
  tree = {
    op = "add";
    l = { op = "mul"; l = { op = "lit"; value = 6; }; r = { op = "lit"; value = 7; }; };
    r = { op = "neg"; x = { op = "lit"; value = 2; }; };
  };

  # lib itself is extensible.
  lib2 = lib.extend (final: prev: {
    double = x: 2 * x;
    quadruple = x: final.double (final.double x);
    trivial = prev.trivial // { answer = 42; };
  });

  # converge: repeat until a fixed point of the function is reached.
  collatzish = lib.converge (n: if n <= 1 then 1 else if lib.mod n 2 == 0 then n / 2 else n) 96;
  closure = lib.converge (set: lib.unique (set ++ lib.concatMap (x: if x < 20 then [ (x * 2) (x + 3) ] else [ ]) set)) [ 1 ];
in
{
  applied = pick applied;
  sameComposed = pick applied == pick composed && pick composed == pick composedPairwise;
  counters = map (c: { inherit (c) step start values total; }) [ counter counter2 counter3 ];
  counterHasExtend = builtins.isFunction counter3.extend;
  fib = { f10 = builtins.elemAt fibs 10; f59 = builtins.elemAt fibs 59; };
  treeValue = evaluator tree;
  unknownOp = builtins.tryEval (evaluator { op = "div"; });
  lib2 = { q = lib2.quadruple 5; answer = lib2.trivial.answer; stillHasMin = lib2.min 3 4; oldLibLacksIt = lib ? double; };
  inherit collatzish;
  closure = builtins.sort builtins.lessThan closure;
  lazyBroken = builtins.tryEval (fix base).broken;
  lazyOk = (fix base).c;
}
