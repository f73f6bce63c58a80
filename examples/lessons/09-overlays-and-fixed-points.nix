# Lesson 9: fixed points and overlays
#
# nixpkgs is one huge attribute set whose packages refer to each other, and
# which you can still change afterwards: replace one package and everything
# that uses it sees the new one. The trick is a "fixed point", built from
# laziness (lesson 5) alone, in a few lines of plain Nix.
let
  # `fix f` is the value x with x == f x. It only works because Nix is
  # lazy: `x` is passed to `f` before it has been computed.
  fix = f: let x = f x; in x;

  # A package set written as a function of `final`, the finished set. It
  # refers to its own attributes through `final`, not through `rec`.
  base = final: {
    greeting = "Hello";
    name = "world";
    message = "${final.greeting}, ${final.name}!";
    tools = [ "git" ];
  };

  # An overlay changes a set: `final` is the finished set (after all
  # overlays), `prev` the set before this overlay. Use `prev` for the value
  # you are replacing, `final` for everything else.
  polite = final: prev: { greeting = "Good evening"; };
  excited = final: prev: { message = prev.message + "!!"; };
  addCurl = final: prev: { tools = prev.tools ++ [ "curl" ]; };
  addVim = final: prev: { tools = prev.tools ++ [ "vim" ]; };

  # apply one overlay to a function of `final`
  extends = overlay: f: final:
    let prev = f final; in prev // overlay final prev;

  # apply a list of overlays in order, then tie the knot with fix
  withOverlays = overlays: fix (builtins.foldl' (f: o: extends o f) base overlays);

  # For comparison: `rec` binds names once and for all. Overriding
  # `greeting` afterwards with // does not change `message`.
  recSet = rec {
    greeting = "Hello";
    name = "world";
    message = "${greeting}, ${name}!";
  };
in
{
  plain = (fix base).message;

  # `polite` only replaced `greeting`, yet `message` uses the new one,
  # because `message` looks it up in the final set
  overlaid = (withOverlays [ polite excited ]).message;

  # overlays apply in order: each one's `prev` is the result of those
  # before it
  curlFirst = (withOverlays [ addCurl addVim ]).tools;
  vimFirst = (withOverlays [ addVim addCurl ]).tools;

  withRec = (recSet // { greeting = "Good evening"; }).message;
}
# Try: in `excited`, write final.message instead of prev.message. The
# message would then be defined in terms of itself: infinite recursion
# (`pynix explain E203`).
#
# => { curlFirst = [ "git" "curl" "vim" ]; overlaid = "Good evening, world!!!"; plain = "Hello, world!"; vimFirst = [ "git" "vim" "curl" ]; withRec = "Hello, world!"; }
