# A helper for lesson 6: this file's value is a function.
# Whoever imports it gets the function and calls it.
{ name, punctuation ? "!" }:
"Hello, ${name}${punctuation}"
