"""numpy for the columnar reader, or one line saying which extra brings it.

numpy is the optional extra ``tcpcourse[fast]``: only :mod:`.columnar` and :mod:`.columnrules`
import this module, and nothing imports them unless asked (``import tcpcore`` never does).
"""

from __future__ import annotations

MISSING = (
    "tcpcore.capture.columnar (read_columns) needs numpy, which is not installed: "
    "pip install 'tcpcourse[fast]'"
)

try:
    import numpy as np
    import numpy.typing as npt
except ModuleNotFoundError as exc:
    if exc.name not in ("numpy", "numpy.typing"):
        raise
    raise ModuleNotFoundError(MISSING, name="numpy") from None

__all__ = ["MISSING", "np", "npt"]
