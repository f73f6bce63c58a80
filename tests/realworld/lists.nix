# List utilities on a small "course enrolment" data set, plus checks that the
# Nix-written algorithms agree with the builtins they imitate.
let
  lib = import ./lib;
  inherit (lib) foldr foldl imap0 imap1 flatten unique zipLists zipListsWith sortOn groupBy
    groupBy' partition take drop sublist last init reverseList count findFirst intersperse
    mergeSort toposort range replicate optional optionals subtractLists mutuallyExclusive;

  students = [
    { name = "ada"; year = 2; courses = [ "math" "cs" ]; score = 91; }
    { name = "bob"; year = 1; courses = [ "cs" ]; score = 72; }
    { name = "cyd"; year = 3; courses = [ "art" "math" "cs" ]; score = 85; }
    { name = "dee"; year = 1; courses = [ ]; score = 60; }
    { name = "eve"; year = 2; courses = [ "art" ]; score = 91; }
    { name = "fay"; year = 3; courses = [ "math" ]; score = 78; }
  ];

  # Pseudo-random numbers (a linear congruential generator).
  lcg = seed: n: builtins.genList (i: lib.mod (seed * (i + 1) * 7919 + 104729) 1009) n;
  randoms = lcg 17 40;

  # The package graph for toposort: attrs of name -> dependencies.
  deps = {
    app = [ "libweb" "libdb" "liblog" ];
    libweb = [ "libhttp" "liblog" ];
    libhttp = [ "libc" "libssl" ];
    libssl = [ "libc" ];
    libdb = [ "libc" "liblog" ];
    liblog = [ "libc" ];
    libc = [ ];
  };
  dependsOn = a: b: builtins.elem a (deps.${b} or [ ]);
  cyclic = deps // { libc = [ "app" ]; };
  dependsOnCyclic = a: b: builtins.elem a (cyclic.${b} or [ ]);

  # Lazy infinite-ish list: only the first elements are ever looked at.
  naturals = builtins.genList (i: if i > 50 then throw "too far: ${toString i}" else i) 100000;
in
{
  names = map (s: s.name) students;
  byYear = lib.mapAttrs (y: ss: map (s: s.name) ss) (groupBy (s: toString s.year) students);
  scoreSumByYear = groupBy' (acc: s: acc + s.score) 0 (s: "y${toString s.year}") students;
  allCourses = unique (flatten (map (s: s.courses) students));
  sortedByScore = map (s: s.name) (sortOn (s: 0 - s.score) students);
  builtinSorted = map (s: "${s.name}:${toString s.score}") (builtins.sort (a: b: a.score > b.score) students);
  passFail = lib.mapAttrs (_: map (s: s.name)) (partition (s: s.score >= 75) students);
  builtinPartition = builtins.partition (x: lib.mod x 3 == 0) (range 1 12);
  folds = {
    right = foldr (x: acc: "(${toString x} ${acc})") "nil" [ 1 2 3 ];
    left = foldl (acc: x: "(${acc} ${toString x})") "nil" [ 1 2 3 ];
    strict = builtins.foldl' (acc: x: acc * 2 + x) 0 [ 1 0 1 1 ];
    # foldr is lazy in its accumulator: the throw at the end is never reached.
    lazyAny = foldr (x: acc: x > 2 || acc) (throw "unreachable") [ 1 2 3 4 ];
  };
  indexed = imap0 (i: s: "${toString i}=${s.name}") (take 3 students);
  indexed1 = imap1 (i: x: i * x) [ 10 20 30 ];
  zipped = zipLists [ 1 2 3 ] [ "a" "b" ];
  zippedWith = zipListsWith (a: b: a + b) (range 1 5) (range 10 20);
  slices = {
    take = take 2 [ 1 2 3 ];
    takeMore = take 10 [ 1 2 ];
    drop = drop 2 [ 1 2 3 ];
    sub = sublist 1 3 (range 0 9);
    subOut = sublist 20 3 (range 0 9);
    last = last [ 1 2 3 ];
    init = init [ 1 2 3 ];
    lastEmpty = builtins.tryEval (last [ ]);
    reversed = reverseList [ "x" "y" "z" ];
  };
  counting = {
    highScorers = count (s: s.score > 80) students;
    firstArt = (findFirst (s: builtins.elem "art" s.courses) null students).name;
    noneFound = findFirst (s: s.year > 5) "nobody" students;
    commas = lib.concatStrings (intersperse ", " [ "a" "b" "c" ]);
    replicated = replicate 3 "ab";
    opts = optional true 1 ++ optional false 2 ++ optionals true [ 3 4 ] ++ optionals false [ 5 ];
    subtracted = subtractLists [ 2 4 ] (range 1 6);
    exclusive = [ (mutuallyExclusive [ 1 2 ] [ 3 4 ]) (mutuallyExclusive [ 1 2 ] [ 2 3 ]) ];
  };
  sorting = {
    input = randoms;
    mergeSorted = mergeSort (a: b: a < b) randoms;
    agrees = mergeSort (a: b: a < b) randoms == builtins.sort (a: b: a < b) randoms;
    stableByParity = mergeSort (a: b: lib.mod a 2 < lib.mod b 2) (take 10 randoms);
    stableBuiltin = builtins.sort (a: b: lib.mod a 2 < lib.mod b 2) (take 10 randoms);
    strings = builtins.sort builtins.lessThan [ "b" "B" "a" "" "ab" "aa" "A" ];
    lists = builtins.sort builtins.lessThan [ [ 2 ] [ 1 3 ] [ 1 ] [ ] [ 1 2 ] ];
  };
  topo = {
    ordered = toposort dependsOn (builtins.attrNames deps);
    cycle = toposort dependsOnCyclic (builtins.attrNames cyclic);
  };
  laziness = {
    prefix = take 5 naturals;
    length = builtins.length naturals;
    at50 = builtins.elemAt naturals 50;
    beyond = builtins.tryEval (builtins.elemAt naturals 51);
    mapped = builtins.length (map (x: throw "never") (range 1 3));
    anyShortCircuit = builtins.any (x: x == 3) naturals;
    allShortCircuit = builtins.all (x: x < 3) naturals;
  };
  concatMapped = builtins.concatMap (s: map (c: "${s.name}/${c}") s.courses) students;
  listToAttrsFirstWins = builtins.listToAttrs [ { name = "a"; value = 1; } { name = "b"; value = 2; } { name = "a"; value = 3; } ];
  generic = builtins.genericClosure {
    startSet = [ { key = "app"; } ];
    operator = item: map (d: { key = d; from = item.key; }) deps.${item.key};
  };
}
