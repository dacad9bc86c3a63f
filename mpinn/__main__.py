"""``python -m mpinn`` = the ``mpinn`` command."""

import sys

from mpinn.cli import main

sys.exit(main())
