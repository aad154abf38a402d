"""The one JSON serialization used for everything that is hashed or signed."""

from __future__ import annotations

import json


def canonical_json(obj) -> bytes:
    """Sorted keys, no spaces, UTF-8, no NaN: one value has exactly one byte form."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
