# Language idioms found all over nixpkgs: scoping with `with` / `let` /
# `inherit`, dynamic attributes, `or`, `?` on paths, functors, default
# arguments and @-patterns, assert, string escapes and operators.
let
  lib = import ./lib;

  # `with` never shadows lexical bindings; inner `with` wins over outer.
  scoping =
    let x = "let"; in
    with { x = "with"; y = "outer-with"; z = "outer-z"; };
    with { y = "inner-with"; };
    { inherit x y z; };

  # inherit (expr) evaluates expr lazily and once per attribute.
  source = { a = 1; b = 2; c = throw "c is never inherited"; };
  inherited = { inherit (source) a b; inherit scoping; };

  # Dynamic attribute names, also nested and interpolated.
  key = "dyn";
  dynamic = {
    ${key} = 1;
    "${key}-2" = 2;
    nested.${key}.leaf = 3;
    ${if true then "cond" else "never"} = 4;
  };

  # `or` defaults and `?` on attribute paths.
  defaults = {
    present = dynamic.nested.dyn.leaf or 0;
    missing = dynamic.nested.nope.leaf or "fallback";
    dynamicKey = dynamic.${key} or 0;
    has = [ (dynamic ? nested.dyn.leaf) (dynamic ? nested.nope) (dynamic ? ${key}) ("x" ? y) ];
  };

  # Functions with formals, defaults referring to other formals, @-patterns.
  mkGreeting = { name, greeting ? "Hello", punctuation ? if greeting == "Hello" then "!" else ".", ... }@args:
    "${greeting}, ${name}${punctuation} (${toString (builtins.length (builtins.attrNames args))} args)";
  greetings = [
    (mkGreeting { name = "Ada"; })
    (mkGreeting { name = "Bob"; greeting = "Hi"; })
    (mkGreeting { name = "Cy"; extra = true; punctuation = "?"; })
  ];
  argsInfo = builtins.functionArgs mkGreeting;

  # Functors: attrsets that can be called, carrying state.
  counter = {
    count = 0;
    __functor = self: n: self // { count = self.count + n; };
  };
  counted = ((counter 5) 10) 27;
  functorArgs = lib.functionArgs (lib.setFunctionArgs ({ a, b }: a + b) { a = false; b = true; });
  functorIsFunction = [ (builtins.isFunction counter) (lib.isFunction counter) ];

  # assert with a message via throwIfNot.
  safeDiv = a: b: assert b != 0; a / b;
  checked = lib.throwIfNot true "unused message" "passed";

  # Integer arithmetic: division truncates towards zero; mod as C's %.
  arithmetic = {
    divs = map (p: builtins.div (builtins.elemAt p 0) (builtins.elemAt p 1)) [ [ 7 2 ] [ (-7) 2 ] [ 7 (-2) ] [ (-7) (-2) ] ];
    mods = map (p: lib.mod (builtins.elemAt p 0) (builtins.elemAt p 1)) [ [ 7 3 ] [ (-7) 3 ] [ 7 (-3) ] ];
    precedence = [ (1 + 2 * 3) ((1 + 2) * 3) (10 - 2 - 3) (2 * 3 / 4) (- 2 - - 3) ];
    bits = [ (builtins.bitAnd 12 10) (builtins.bitOr 12 10) (builtins.bitXor 12 10) ];
    large = 9007199254740993 + 1;
    divByZero = (builtins.tryEval (safeDiv 1 0)).success;
    comparisons = [ (1 < 2) ("a" < "b") ("B" < "a") ([ 1 2 ] < [ 1 3 ]) ([ 1 ] < [ 1 0 ]) (1 == 1.0) ({ a = 1; } == { a = 1; }) ([ 1 ] != [ 1 ]) ];
    logic = [ (true -> false) (false -> false) (!true || true && false) ];
  };

  # Strings: escapes, indented strings, interpolation of various things.
  strings = {
    escapes = "tab\tnewline\nquote\"backslash\\dollar\${x}";
    indented = ''
      first line
        keeps relative indentation
      ''${escaped} interpolation and ''' quotes
      ${toString 42} and ${lib.concatStringsSep "," [ "a" "b" ]}
    '';
    indentedNoTrailing = ''  only'';
    concatenated = "a" + "b" + toString 3 + toString [ 1 2 ] + toString null + toString true + toString false;
    coerced = "${"nested ${"interpolation"}"}";
    lengths = map builtins.stringLength [ "" "abc" "é" "${"x"}" ];
    substrings = [ (builtins.substring 1 3 "hello") (builtins.substring 3 100 "hello") (builtins.substring 10 2 "hello") ];
    replaced = builtins.replaceStrings [ "a" "" ] [ "A" "-" ] "banana";
    hashes = map (builtins.hashString "md5") [ "" "nix" ];
  };

  # Attrset operations: update is right-biased and shallow.
  updates = {
    shallow = { a = { x = 1; }; b = 2; } // { a = { y = 2; }; };
    chain = { a = 1; } // { b = 2; } // { a = 3; };
    removed = removeAttrs { a = 1; b = 2; c = 3; } [ "b" "zzz" ];
    intersect = builtins.intersectAttrs { a = null; c = null; } { a = 1; b = 2; c = 3; };
    catAttrs = builtins.catAttrs "x" [ { x = 1; } { y = 2; } { x = 3; } ];
    getAttr = builtins.getAttr "b" { a = 1; b = 2; };
    recSet = rec { a = 1; b = a + 1; c = { d = b * 2; }; };
    letInherit = let inherit (builtins) length; in length [ 1 2 3 ];
    mapped = builtins.mapAttrs (n: v: "${n}=${toString v}") { x = 1; y = 2; };
  };

  types = map builtins.typeOf [ 1 "s" true null [ ] { } (x: x) 1.5 ];
in
{
  inherit scoping inherited dynamic defaults greetings argsInfo functorArgs
    functorIsFunction checked arithmetic strings updates types;
  counted = counted.count;
}
