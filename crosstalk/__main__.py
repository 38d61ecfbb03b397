"""``python -m crosstalk`` runs the command line."""

import sys

from crosstalk.cli import main

sys.exit(main())
