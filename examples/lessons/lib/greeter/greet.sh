#!/bin/sh
# The program of lesson 12's package: GNU hello with a greeting of our own.
# @hello@ is replaced, when the package is built, by hello's store path.
exec @hello@/bin/hello --greeting="Hello from a package of my own"
