"""What JSON can carry: Python reads and writes NaN and infinities, JSON (and Postgres's
jsonb) cannot. Input with them is refused; a handler's output with them fails its job."""

from __future__ import annotations

import math
from typing import Any


def non_finite_number(value: Any, path: str = "") -> str | None:
    """Where in a JSON value a NaN or infinity sits (``.a[2].b``), or None. Python's JSON
    reads ``NaN``, ``Infinity`` and ``1e400`` (which overflows to infinity) silently."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "(the value)"
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, (list, tuple)) else ()
    for key, item in items:
        where = non_finite_number(item, f"{path}.{key}" if isinstance(key, str) else
                                  f"{path}[{key}]")
        if where is not None:
            return where
    return None
