{
  hello = derivation {
    name = "hello";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo hello > $out" ];
  };
}
