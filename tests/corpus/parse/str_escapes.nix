"a\nb\rc\td\\e\"f\$g\{h\ai"
