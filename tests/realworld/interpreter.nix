# An interpreter for a tiny expression language, written in Nix: a regex
# tokenizer (builtins.split), a recursive-descent parser threading its
# position through attrsets, environments as attrsets, closures, recursion
# through a fixed point, and error reporting via throw + tryEval.
#
#   expr   := 'let' IDENT '=' expr 'in' expr | 'if' expr 'then' expr 'else' expr
#           | 'fun' IDENT '->' expr | cmp
#   cmp    := sum (('<' | '==') sum)?
#   sum    := prod (('+' | '-') prod)*
#   prod   := app (('*' | '/') app)*
#   app    := atom atom*
#   atom   := NUMBER | IDENT | '(' expr ')'
let
  lib = import ./lib;
  inherit (builtins) split filter isList isString elemAt length head tail match
    fromJSON substring stringLength concatStringsSep;

  keywords = [ "let" "in" "if" "then" "else" "fun" ];

  tokenize = src:
    let
      parts = split "([0-9]+|[A-Za-z_][A-Za-z0-9_]*|->|==|[-+*/()<=])" src;
      junk = filter (p: isString p && match "[[:space:]]*" p == null) parts;
      toks = map (m:
        let t = head m; in
        if match "[0-9]+" t != null then { kind = "num"; value = fromJSON t; }
        else if builtins.elem t keywords then { kind = "kw"; value = t; }
        else if match "[A-Za-z_].*" t != null then { kind = "ident"; value = t; }
        else { kind = "op"; value = t; }) (filter isList parts);
    in
    if junk != [ ] then throw "tokenize: unexpected input '${lib.trim (head junk)}'"
    else toks ++ [ { kind = "eof"; value = "<eof>"; } ];

  # Parser state: { toks; pos; }. Every parse function returns { node; pos; }.
  parse = src:
    let
      toks = tokenize src;
      n = length toks;
      peek = pos: elemAt toks (lib.min pos (n - 1));
      is = pos: kind: value: let t = peek pos; in t.kind == kind && t.value == value;
      expect = pos: kind: value:
        if is pos kind value then pos + 1
        else throw "parse error at token ${toString pos}: expected '${value}', got '${toString (peek pos).value}'";

      expr = pos:
        if is pos "kw" "let" then
          let
            name = peek (pos + 1);
            bound = expr (expect (pos + 2) "op" "=");
            body = expr (expect bound.pos "kw" "in");
          in
          if name.kind != "ident" then throw "parse error: let needs a name"
          else { node = { t = "let"; name = name.value; value = bound.node; body = body.node; }; inherit (body) pos; }
        else if is pos "kw" "if" then
          let
            c = expr (pos + 1);
            a = expr (expect c.pos "kw" "then");
            b = expr (expect a.pos "kw" "else");
          in
          { node = { t = "if"; cond = c.node; then' = a.node; else' = b.node; }; inherit (b) pos; }
        else if is pos "kw" "fun" then
          let body = expr (expect (pos + 2) "op" "->"); in
          { node = { t = "fun"; param = (peek (pos + 1)).value; body = body.node; }; inherit (body) pos; }
        else cmp pos;

      binLoop = ops: sub: pos:
        let
          first = sub pos;
          go = acc:
            let t = peek acc.pos; in
            if t.kind == "op" && builtins.elem t.value ops then
              let rhs = sub (acc.pos + 1); in
              go { node = { t = "bin"; op = t.value; l = acc.node; r = rhs.node; }; inherit (rhs) pos; }
            else acc;
        in
        go first;

      cmp = pos:
        let l = sum pos; t = peek l.pos; in
        if t.kind == "op" && (t.value == "<" || t.value == "==") then
          let r = sum (l.pos + 1); in { node = { t = "bin"; op = t.value; l = l.node; r = r.node; }; inherit (r) pos; }
        else l;
      sum = binLoop [ "+" "-" ] prod;
      prod = binLoop [ "*" "/" ] app;

      startsAtom = pos: let t = peek pos; in t.kind == "num" || t.kind == "ident" || is pos "op" "(";
      app = pos:
        let
          f = atom pos;
          go = acc:
            if startsAtom acc.pos then
              let a = atom acc.pos; in go { node = { t = "app"; f = acc.node; arg = a.node; }; inherit (a) pos; }
            else acc;
        in
        go f;

      atom = pos:
        let t = peek pos; in
        if t.kind == "num" then { node = { t = "num"; inherit (t) value; }; pos = pos + 1; }
        else if t.kind == "ident" then { node = { t = "var"; name = t.value; }; pos = pos + 1; }
        else if is pos "op" "(" then
          let e = expr (pos + 1); in { inherit (e) node; pos = expect e.pos "op" ")"; }
        else throw "parse error at token ${toString pos}: unexpected '${toString t.value}'";

      result = expr 0;
    in
    if result.pos != n - 1
    then throw "parse error: trailing input at token ${toString result.pos}"
    else result.node;

  # Values: ints, bools, and closures { env; param; body; }.
  # `let` is recursive: the bound value sees itself, via a lazy attrset.
  eval = env: node:
    if node.t == "num" then node.value
    else if node.t == "var" then env.${node.name} or (throw "unbound variable '${node.name}'")
    else if node.t == "let" then
      let env' = env // { ${node.name} = eval env' node.value; }; in eval env' node.body
    else if node.t == "if" then
      let c = eval env node.cond; in
      if !(builtins.isBool c) then throw "if: condition is not a boolean"
      else if c then eval env node.then' else eval env node.else'
    else if node.t == "fun" then { closure = true; inherit env; inherit (node) param body; }
    else if node.t == "app" then
      let f = eval env node.f; in
      if !(builtins.isAttrs f) then throw "application of a non-function"
      else eval (f.env // { ${f.param} = eval env node.arg; }) f.body
    else if node.t == "bin" then
      let
        l = eval env node.l;
        r = eval env node.r;
        ints = builtins.isInt l && builtins.isInt r;
      in
      if !ints then throw "operator ${node.op} needs integers"
      else if node.op == "+" then l + r
      else if node.op == "-" then l - r
      else if node.op == "*" then l * r
      else if node.op == "/" then (if r == 0 then throw "division by zero" else l / r)
      else if node.op == "<" then l < r
      else l == r
    else throw "unknown node ${node.t}";

  prelude = {
    true = true;
    false = false;
  };

  run = src: let v = eval prelude (parse src); in
    if builtins.isAttrs v then "<closure>" else v;

  # Pretty-print an AST back to source (fully parenthesised).
  show = node:
    if node.t == "num" then toString node.value
    else if node.t == "var" then node.name
    else if node.t == "let" then "(let ${node.name} = ${show node.value} in ${show node.body})"
    else if node.t == "if" then "(if ${show node.cond} then ${show node.then'} else ${show node.else'})"
    else if node.t == "fun" then "(fun ${node.param} -> ${show node.body})"
    else if node.t == "app" then "(${show node.f} ${show node.arg})"
    else "(${show node.l} ${node.op} ${show node.r})";

  programs = {
    arith = "1 + 2 * 3 - 4 / 2";
    parens = "(1 + 2) * (3 + 4)";
    negative = "0 - 7 / 2";
    truncDiv = "(0 - 7) / 2";
    letIn = "let x = 5 in let y = x * x in y + x";
    compare = "if 2 < 3 then 10 else 20";
    equality = "if 3 == 3 then true else false";
    curried = "let add = fun a -> fun b -> a + b in add 3 4";
    higher = "let twice = fun f -> fun x -> f (f x) in twice (fun n -> n * 3) 7";
    factorial = "let fact = fun n -> if n < 2 then 1 else n * fact (n - 1) in fact 15";
    fibonacci = "let fib = fun n -> if n < 2 then n else fib (n - 1) + fib (n - 2) in fib 15";
    closures = "let k = 100 in let addK = fun x -> x + k in let k = 1 in addK k";
    gcd = "let gcd = fun a -> fun b -> if b == 0 then a else gcd b (a - (a / b) * b) in gcd 1071 462";
    ackermann = "let ack = fun m -> fun n -> if m == 0 then n + 1 else if n == 0 then ack (m - 1) 1 else ack (m - 1) (ack m (n - 1)) in ack 2 3";
    lazyArg = "let const = fun a -> fun b -> a in const 1 (1 / 0)";
    closureValue = "fun x -> x";
  };

  failing = {
    unbound = "x + 1";
    divZero = "10 / (5 - 5)";
    badIf = "if 1 then 2 else 3";
    notFunction = "3 4";
    typeError = "(fun x -> x) + 1";
    parseTrailing = "1 2 )";
    parseMissing = "let x = 1 x";
    lexError = "1 + $";
  };
in
{
  tokens = map (t: "${t.kind}:${toString t.value}") (tokenize "let f = fun x -> x*2 in f (20+1)");
  ast = lib.mapAttrs (_: src: show (parse src)) { inherit (programs) arith letIn higher compare; };
  results = lib.mapAttrs (_: run) programs;
  failures = lib.mapAttrs (_: src: (builtins.tryEval (run src)).success) failing;
  roundTrip = lib.mapAttrs (_: src: run (show (parse src)) == run src) (removeAttrs programs [ "closureValue" ]);
}
