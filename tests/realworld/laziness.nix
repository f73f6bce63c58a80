# Laziness as real code relies on it: streams (infinite lists as nested
# attrsets), knot-tying, memo tables that refer to themselves, attributes
# that throw unless forced, and short-circuiting boolean operators.
let
  lib = import ./lib;

  # Streams: { head; tail; } with a lazily built tail, never ending.
  cons = head: tail: { inherit head tail; };
  iterate = f: x: cons x (iterate f (f x));
  nats = iterate (n: n + 1) 0;
  takeS = n: s: if n == 0 then [ ] else [ s.head ] ++ takeS (n - 1) s.tail;
  dropS = n: s: if n == 0 then s else dropS (n - 1) s.tail;
  mapS = f: s: cons (f s.head) (mapS f s.tail);
  filterS = p: s: if p s.head then cons s.head (filterS p s.tail) else filterS p s.tail;
  zipWithS = f: a: b: cons (f a.head b.head) (zipWithS f a.tail b.tail);
  takeWhileS = p: s: if p s.head then [ s.head ] ++ takeWhileS p s.tail else [ ];

  # The sieve of Eratosthenes on an infinite stream.
  sieve = s: cons s.head (sieve (filterS (x: lib.mod x s.head != 0) s.tail));
  primes = sieve (iterate (n: n + 1) 2);

  # Fibonacci as a stream defined in terms of itself.
  fibs = cons 0 (cons 1 (zipWithS (a: b: a + b) fibs fibs.tail));

  # Hamming numbers: merge of three scaled copies of the stream itself.
  mergeS = a: b:
    if a.head < b.head then cons a.head (mergeS a.tail b)
    else if b.head < a.head then cons b.head (mergeS a b.tail)
    else cons a.head (mergeS a.tail b.tail);
  hamming = cons 1 (mergeS (mapS (x: x * 2) hamming) (mergeS (mapS (x: x * 3) hamming) (mapS (x: x * 5) hamming)));

  # Knot-tying: a ring of nodes that point at each other.
  ring = let
    a = { name = "a"; next = b; prev = c; };
    b = { name = "b"; next = c; prev = a; };
    c = { name = "c"; next = a; prev = b; };
  in a;
  walk = n: node: if n == 0 then [ ] else [ node.name ] ++ walk (n - 1) node.next;

  # A memo table as a lazy attrset: each entry computed at most once, on demand.
  collatzLen = n: if n == 1 then 1 else 1 + memo.${toString (if lib.mod n 2 == 0 then n / 2 else 3 * n + 1)} or (collatzLen (if lib.mod n 2 == 0 then n / 2 else 3 * n + 1));
  memo = builtins.listToAttrs (map (n: lib.nameValuePair (toString n) (collatzLen n)) (lib.range 1 200));
  longest = builtins.foldl' (best: n: if memo.${toString n} > best.len then { inherit n; len = memo.${toString n}; } else best) { n = 0; len = 0; } (lib.range 1 200);

  # Attributes that throw when forced; everything below avoids them.
  minefield = {
    safe = 1;
    boom = throw "boom";
    nested = { alsoSafe = 2; deeper = abort "abort is not catchable but never reached"; };
    list = [ 1 (throw "element") 3 ];
  };

  # A lazy "database": a huge generated set where only looked-up keys are built.
  bigSet = builtins.listToAttrs (builtins.genList (i: lib.nameValuePair "k${toString i}" (
    if i == 7777 then throw "poisoned" else i * i)) 20000);

  # Self-referential let with forward references and a `rec` set.
  selfRef = rec {
    x = y + 1;
    y = z * 2;
    z = 20;
    list = [ x y z ];
    total = builtins.foldl' builtins.add 0 list;
  };

  # Bool operators short-circuit; the right side is not evaluated.
  shortCircuit = {
    and = false && throw "no";
    or = true || throw "no";
    impl = false -> throw "no";
    ifElse = if true then "then" else throw "no";
  };

  # seq / deepSeq force exactly what they say.
  forcing = {
    seqShallow = (builtins.tryEval (builtins.seq minefield "ok")).value;
    seqList = (builtins.tryEval (builtins.seq minefield.list "ok")).success;
    deepSeqList = (builtins.tryEval (builtins.deepSeq minefield.list "ok")).success;
    deepSeqSafe = (builtins.tryEval (builtins.deepSeq minefield.nested.alsoSafe "ok")).success;
    lengthOfThrowing = builtins.length minefield.list;
    elemsAround = [ (builtins.head minefield.list) (builtins.elemAt minefield.list 2) ];
    attrNamesDontForce = builtins.attrNames minefield;
    hasAttr = minefield ? boom;
    boom = builtins.tryEval minefield.boom;
    withOr = minefield.missing or "default";
    mapValuesLazily = builtins.attrNames (builtins.mapAttrs (n: v: v + 1) minefield);
    removeAttrsLazily = builtins.attrNames (removeAttrs minefield [ "boom" ]);
    updateLazily = (minefield // { boom = "defused"; }).boom;
  };

  # tryEval only catches throw and assert failures.
  tryEvals = {
    thrown = builtins.tryEval (throw "x");
    assertion = builtins.tryEval (assert 1 == 2; "unreachable");
    fine = builtins.tryEval (lib.take 3 (takeS 5 nats));
    nestedOuterOk = builtins.tryEval { inner = throw "lazy inside"; };
    deepFails = builtins.tryEval (builtins.deepSeq { inner = throw "forced"; } 1);
  };
in
{
  nats = takeS 10 nats;
  evens = takeS 5 (filterS (x: lib.mod x 2 == 0) (dropS 100 nats));
  primes = takeS 25 primes;
  primesUnder60 = takeWhileS (p: p < 60) primes;
  fibs = takeS 20 fibs;
  fib80 = (dropS 80 fibs).head;
  hamming = takeS 20 hamming;
  ring = { forward = walk 7 ring; back = ring.prev.prev.name; same = ring.next.next.next.name == ring.name; };
  collatz = { inherit longest; of27 = memo."27"; };
  bigSet = {
    size = builtins.length (builtins.attrNames bigSet);
    sample = [ bigSet.k0 bigSet.k12 bigSet.k19999 ];
    poisoned = (builtins.tryEval bigSet.k7777).success;
  };
  inherit selfRef shortCircuit forcing;
  tryEvals = removeAttrs tryEvals [ "nestedOuterOk" ] // {
    nestedOuterOk = tryEvals.nestedOuterOk.success;
  };
  safe = minefield.safe + minefield.nested.alsoSafe;
}
