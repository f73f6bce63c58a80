"""`python -m nixlang` is the `pynix` command."""
from .cli import entry

entry()
