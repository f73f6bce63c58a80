"# not /* a */ comment"
