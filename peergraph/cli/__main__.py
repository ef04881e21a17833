"""``python -m peergraph.cli``: the command line, as the ``peergraph`` script runs it."""

import sys

from peergraph.cli import main

sys.exit(main())
