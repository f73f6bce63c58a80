# A small build graph for the store tests: a source, a text file that
# refers to it, and three derivations whose /bin/sh builders only echo
# store paths, so their outputs (and references) are known in advance.
let
  sh = "/bin/sh";
  src = ./greeting.txt;
  note = builtins.toFile "note.txt" "see ${src}\n";
  lib = derivation {
    name = "lib"; system = "x86_64-linux"; builder = sh;
    args = [ "-c" "echo ${note} > $out" ];
  };
  tool = derivation {
    name = "tool"; system = "x86_64-linux"; builder = sh;
    outputs = [ "out" "dev" ];
    args = [ "-c" "echo ${lib} > $out; echo ${lib} ${src} > $dev" ];
  };
in derivation {
  name = "app"; system = "x86_64-linux"; builder = sh;
  args = [ "-c" "read x < ${tool.dev}; /bin/mkdir $out; echo ${tool} > $out/bin-ref; echo ${tool.dev} > $out/dev-ref; echo $out > $out/self" ];
}
