# Lesson 16: the store layer, a graph of build tasks and data
#
# Everything Nix builds lives in the store as *store objects*: files or
# folders at /nix/store/HASH-NAME that never change once written. The
# language's work ends when it has written *derivations*: build tasks
# (.drv files), each naming the store objects it needs and the outputs
# it will make. Together they form a graph: sources (plain data) at the
# bottom, a task above the data it needs, its outputs above the task.
# Building one means building what it needs first, in that order, then
# running its builder, then scanning the outputs for the store paths they
# mention (their references) and registering them as new store objects.
#
# See this lesson's graph as a page that needs nothing installed:
#
#   pynix graph examples/lessons/16-the-store-layer.nix -o plan.html
#
# and follow one chain down, as `nix why-depends` does:
#
#   pynix graph examples/lessons/16-the-store-layer.nix --highlight greeting.txt
let
  # data: a source added to the store as it is (toFile makes one from a string)
  greeting = builtins.toFile "greeting.txt" "Hello";

  # a task that reads that data and writes its output
  shout = derivation {
    name = "shout";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "read line < ${greeting}; echo \"$line!\" > $out" ];
  };

  # a task with two outputs: `out` for other tasks, `doc` for people
  twice = derivation {
    name = "twice";
    system = "x86_64-linux";
    builder = "/bin/sh";
    outputs = [ "out" "doc" ];
    args = [ "-c" "read line < ${shout}; echo \"$line $line\" > $out; echo 'says it twice' > $doc" ];
  };

  # the script of the last task: every store path in it is an edge of the graph
  script = "cat ${twice} ${twice.doc} ${greeting} > $out";
  report = derivation {
    name = "report";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" script ];
  };
in
{
  # the task at the top of the graph (`pynix graph` starts from here)
  plan = report.drvPath;

  # a store path: the store, a hash of how the object is made, a name
  data = "${greeting}";

  # a task is a .drv file; its output's path is known before any build
  task = shout.drvPath;
  output = shout.outPath;

  # two outputs, two store paths, one task
  outputs = twice.outputs;
  sameTask = twice.out.drvPath == twice.doc.drvPath;

  # what `report` needs, read from the string's context: both outputs of
  # the task `twice`, and the source `greeting` (shout is needed too, but
  # only by twice: building report builds shout first, through twice)
  needs = builtins.getContext script;

  # the order a build follows: inputs first
  buildOrder = [ shout.name twice.name report.name ];
}
# => { buildOrder = [ "shout" "twice" "report" ]; data = "/nix/store/18i0nbxj5ymvf58rgd88awl2db5il4sl-greeting.txt"; needs = { "/nix/store/18i0nbxj5ymvf58rgd88awl2db5il4sl-greeting.txt" = { path = true; }; "/nix/store/rv9r2ig8z2rm5k6lalw3bcgw5q1x73sk-twice.drv" = { outputs = [ "doc" "out" ]; }; }; output = "/nix/store/lnnfqs3dgl658nfj8n9sib9lkhkm85pa-shout"; outputs = [ "out" "doc" ]; plan = "/nix/store/x8s0iis2y34ygwi56an2jwi5vqzkhsxk-report.drv"; sameTask = true; task = "/nix/store/hgad9jgh9vsbk6llypclbsg8jnmnx45w-shout.drv"; }
