"""Time-ordered identifiers.

UUIDv7 strings sort by creation time, so an id doubles as a stable cursor for pagination and indexes stay
append-mostly. Python 3.11 has no ``uuid.uuid7``; this follows RFC 9562 section 5.7.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def new_id() -> str:
    """A new UUIDv7 string, monotonic within this process even inside one millisecond."""
    global _last_ms, _counter  # noqa: PLW0603 - process-wide monotonic state is the point
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:  # 12-bit sequence exhausted: borrow the next millisecond
                ms += 1
                _counter = 0
        else:
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
        _last_ms = ms
        seq = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | seq << 64 | 0b10 << 62 | rand
    return str(uuid.UUID(int=value))
