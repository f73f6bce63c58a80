"""`python -m nixlang` is the `pynix` command."""
import sys

from .cli import main

sys.exit(main())
