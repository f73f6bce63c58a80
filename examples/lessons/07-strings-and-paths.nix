# Lesson 7: strings and paths
#
# Strings are written in "double quotes" or, over several lines, in
# ''two single quotes''. Inside both, ${...} inserts the value of an
# expression ("interpolation"). Paths are a type of their own, written
# without quotes: ./file.txt, ../dir, /etc/hosts.
let
  name = "Nix";
  count = 3;

  # An indented string drops the indentation its lines have in common, so
  # it can be indented along with the code. Handy for scripts and configs.
  script = ''
    echo "Hello, ${name}"
    echo "done"
  '';

  # a path literal is relative to the file it is written in, and becomes
  # an absolute path when the file is read
  motd = ./lib/motd.txt;
in
{
  # only strings (and paths) interpolate; convert numbers with toString
  # (`"items: " + count` would be an error: `pynix explain E201`)
  interpolated = "${name} has ${toString count} items";

  # escapes: \n \t \" \\ and \${ for a literal ${ in a double-quoted string
  escaped = "tab:\t| dollar: \${name}";

  # in an indented string, '' is the escape: ''${ gives a literal ${
  literal = ''cost: ''${price}'';

  inherit script;

  # path + string is a path; paths and strings are different types
  types = [ (builtins.typeOf motd) (builtins.typeOf "./lib/motd.txt") (builtins.typeOf (./lib + "/motd.txt")) ];

  # baseNameOf and readFile work on paths
  file = baseNameOf motd;
  firstLine = builtins.head (builtins.split "\n" (builtins.readFile motd));

  # Interpolating a path copies the file into the Nix store and gives the
  # store path. Its name is a hash of the file's content, so it is the same
  # on every machine: this is how sources get into builds (lesson 8).
  inStore = "${motd}";
}
# => { escaped = "tab:\t| dollar: \${name}"; file = "motd.txt"; firstLine = "Welcome to the workshop."; inStore = "/nix/store/24i8d99xx07cdiydi7x7zw2d331fm67r-motd.txt"; interpolated = "Nix has 3 items"; literal = "cost: \${price}"; script = "echo \"Hello, Nix\"\necho \"done\"\n"; types = [ "path" "string" "path" ]; }
