"""``python -m tcpcore.cli`` is the ``tcpcore`` command."""

from __future__ import annotations

import sys

from . import main

sys.exit(main())
