# Derivations built by pynix and by Nix 2.8 in tests/test_build.py: each has a
# /bin/sh builder (the sandbox gives the host's /bin) and a deterministic
# output, so both must give the same output paths, NAR hashes and references
# (or the same error). tests/build_cases/expected.json holds what Nix 2.8 gave.
let
  mk = name: script: attrs: derivation ({
    inherit name;
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" script ];
  } // attrs);
in rec {
  # a text file
  text = mk "text" ''echo hello > $out'' {};
  # a directory tree: nested folders, an executable, a symlink
  tree = mk "tree" ''
    /bin/mkdir -p $out/bin $out/share/doc
    echo '#!/bin/sh' > $out/bin/hi
    /bin/chmod +x $out/bin/hi
    echo doc > $out/share/doc/README
    /bin/ln -s ../share/doc/README $out/bin/link
  '' {};
  # an output referring to the outputs of two other derivations (one of them
  # through a file name), not to a third it could see
  refs = mk "refs" ''
    /bin/mkdir $out
    echo ${text} > $out/t
    /bin/ln -s ${tree}/bin/hi $out/hi
  '' { unused = selfref; };
  # three outputs, one referring to another
  multi = mk "multi" ''
    /bin/mkdir $out $dev $lib
    echo $lib > $dev/l
    echo $out > $lib/o2
    echo x > $out/plain
  '' { outputs = [ "out" "dev" "lib" ]; };
  # an output referring to itself
  selfref = mk "selfref" ''echo $out > $out'' {};
  # fixed outputs, flat and recursive
  fixed = mk "fixed" ''echo fixed > $out'' {
    outputHashAlgo = "sha256";
    outputHashMode = "flat";
    outputHash = "sha256-DDBxQY5jVuYUiYyE7QZMqV6IVRvAgRtTS98ZUuza5TQ=";
  };
  fixedrec = mk "fixedrec" ''/bin/mkdir $out; echo a > $out/a'' {
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash = "sha256-ZC9jnmoT/hJWt2mz/0FE9wqQ0718VSOdPlkpQKJXNLg=";
  };
  # what the builder sees: the environment, passAsFile, a placeholder
  env = mk "env" ''
    for v in HOME PATH NIX_STORE NIX_BUILD_TOP TMPDIR TEMPDIR TMP TEMP PWD NIX_LOG_FD TERM NIX_BUILD_CORES \
             out name system builder foo list yes no fooPath dir; do
      eval "echo $v=\''${$v-unset}"
    done > $out
    /bin/cat $fooPath >> $out
    /bin/pwd >> $out
    /bin/cat /etc/passwd /etc/group /etc/hosts >> $out
    /bin/id >> $out
    /bin/hostname >> $out
    echo "umask $(umask)" >> $out
  '' {
    foo = "contents of foo";
    passAsFile = [ "foo" ];
    list = [ 1 "two" null true false ];
    yes = true;
    no = false;
    dir = builtins.placeholder "out" + "/sub";
  };
  # sources: a copied file and a toFile text referring to it
  src = mk "src" ''
    /bin/mkdir $out
    /bin/cat ${./data.txt} > $out/data
    echo ${builtins.toFile "note" "see ${./data.txt}\n"} > $out/note
  '' {};
  # an output that is a symlink to another output, and a build reading through it
  link = mk "link" ''/bin/ln -s ${text} $out'' {};
  throughlink = mk "throughlink" ''/bin/cat ${link} > $out'' {};
  # a builder that is itself a build output (a script with a #! line)
  tool = mk "tool" ''
    /bin/mkdir -p $out/bin
    printf '#!/bin/sh\necho "built by $0 with $1" > $out\n' > $out/bin/tool
    /bin/chmod +x $out/bin/tool
  '' {};
  bytool = derivation {
    name = "bytool";
    system = "x86_64-linux";
    builder = "${tool}/bin/tool";
    args = [ "an argument" ];
  };
  # checks of the outputs' references (checkOutputs): met
  allowedok = mk "allowedok" ''echo ${refs} > $out'' { allowedReferences = [ refs ]; };
  selfallowed = mk "selfallowed" ''echo $out > $out'' { allowedReferences = [ "out" ]; };
  # failures
  allowed = mk "allowed" ''echo ${refs} > $out'' { allowedReferences = [ ]; };
  selfnot = mk "selfnot" ''echo $out > $out'' { allowedReferences = [ ]; };
  disallowed = mk "disallowed" ''echo ${refs} > $out'' { disallowedReferences = [ refs ]; };
  allowedreq = mk "allowedreq" ''echo ${refs} > $out'' { allowedRequisites = [ refs tree ]; };
  disallowedreq = mk "disallowedreq" ''echo ${refs} > $out'' { disallowedRequisites = [ text ]; };
  failing = mk "failing" ''echo about to fail; echo on stderr >&2; exit 3'' {};
  dependent = mk "dependent" ''echo ${failing} > $out'' {};
  fixedbad = mk "fixedbad" ''echo fixed > $out'' {
    outputHashAlgo = "sha256";
    outputHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };
  cycle = mk "cycle" ''
    /bin/mkdir $out $dev
    echo $dev > $out/d
    echo $out > $dev/o
  '' { outputs = [ "out" "dev" ]; };
}
