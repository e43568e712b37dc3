"""``python -m memscape``: the same as the ``memscape`` command."""
import sys

from memscape.main import main

sys.exit(main())
