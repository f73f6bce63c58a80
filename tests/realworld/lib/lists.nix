{ lib }:
let
  inherit (builtins) length elemAt head tail genList foldl' filter concatLists elem;
in
rec {
  # Right fold, written with an index so it stays lazy in the tail.
  foldr = op: nul: list:
    let
      len = length list;
      go = n: if n == len then nul else op (elemAt list n) (go (n + 1));
    in
    go 0;

  # Left fold that is lazy in the accumulator (unlike builtins.foldl').
  foldl = op: nul: list:
    let
      go = n: if n == -1 then nul else op (go (n - 1)) (elemAt list n);
    in
    go (length list - 1);

  imap0 = f: list: genList (n: f n (elemAt list n)) (length list);
  imap1 = f: list: genList (n: f (n + 1) (elemAt list n)) (length list);

  range = first: last:
    if first > last then [ ] else genList (n: first + n) (last - first + 1);

  replicate = n: x: genList (_: x) n;

  concatMap = f: list: concatLists (map f list);

  flatten = x: if builtins.isList x then concatMap flatten x else [ x ];

  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: xs: if cond then xs else [ ];

  unique = foldl' (acc: e: if elem e acc then acc else acc ++ [ e ]) [ ];

  subtractLists = e: filter (x: !(elem x e));

  mutuallyExclusive = a: b: length a == 0 || !(builtins.any (x: elem x a) b);

  zipListsWith = f: fst: snd:
    genList (n: f (elemAt fst n) (elemAt snd n)) (lib.trivial.min (length fst) (length snd));

  zipLists = zipListsWith (fst: snd: { inherit fst snd; });

  # Sort by a key computed once per element; stable for equal keys.
  sortOn = f: list:
    map (p: p.x)
      (builtins.sort (a: b: a.k < b.k || (a.k == b.k && a.i < b.i))
        (imap0 (i: x: { inherit i x; k = f x; }) list));

  groupBy' = op: nul: pred: foldl' (r: e:
    let key = pred e; in
    r // { ${key} = op (r.${key} or nul) e; }) { };

  groupBy = pred: groupBy' (acc: e: acc ++ [ e ]) [ ] pred;

  partition = pred: foldr (h: t:
    if pred h
    then { right = [ h ] ++ t.right; wrong = t.wrong; }
    else { right = t.right; wrong = [ h ] ++ t.wrong; }) { right = [ ]; wrong = [ ]; };

  sublist = start: count: list:
    let len = length list; in
    genList (n: elemAt list (n + start))
      (if start >= len then 0
       else if start + count > len then len - start
       else count);

  take = count: sublist 0 count;
  drop = count: list: sublist count (length list) list;

  last = list:
    assert lib.trivial.throwIfNot (list != [ ]) "lists.last: list must not be empty" true;
    elemAt list (length list - 1);

  init = list:
    assert list != [ ];
    take (length list - 1) list;

  reverseList = xs: let l = length xs; in genList (n: elemAt xs (l - n - 1)) l;

  count = pred: foldl' (c: x: if pred x then c + 1 else c) 0;

  findFirst = pred: default: list:
    let found = filter pred list; in
    if found == [ ] then default else head found;

  intersperse = sep: list:
    if list == [ ] then [ ] else tail (concatMap (x: [ sep x ]) list);

  # A merge sort in Nix, to compare with builtins.sort.
  mergeSort = lt: list:
    let
      len = length list;
      merge = xs: ys:
        if xs == [ ] then ys
        else if ys == [ ] then xs
        else if lt (head ys) (head xs) then [ (head ys) ] ++ merge xs (tail ys)
        else [ (head xs) ] ++ merge (tail xs) ys;
      half = len / 2;
    in
    if len < 2 then list
    else merge (mergeSort lt (take half list)) (mergeSort lt (drop half list));

  # Depth-first topological sort; `before a b` means a must come before b.
  # Returns { result = [...]; } or { cycle = [...]; loops = [...]; }.
  toposort = before: list:
    let
      visit = state: x:
        if elem x state.done then state
        else if elem x state.path then state // { cycle = state.cycle or (state.path ++ [ x ]); }
        else
          let
            preds = filter (y: y != x && before y x) list;
            inner = foldl' visit (state // { path = state.path ++ [ x ]; }) preds;
          in
          inner // { path = state.path; done = inner.done ++ [ x ]; };
      final = foldl' visit { done = [ ]; path = [ ]; } list;
    in
    if final ? cycle then { inherit (final) cycle; } else { result = final.done; };
}
