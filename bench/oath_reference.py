"""Plain-Python HOTP and TOTP window that the oath bench compares ``django_otp.oath`` with.

The straightforward code: one standard-library ``hmac.digest`` per step (the faster of the
stdlib's two HMAC spellings, so the comparison is not flattered), ``int.to_bytes`` for the
counter and a slice for the dynamic truncation. ``pad_hmac`` is the floor below any
pure-Python HOTP: HMAC-SHA1 from the two cached pad states with nothing around it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable


def reference_hotp(key: bytes, counter: int, digits: int = 6) -> int:
    """RFC 4226 HOTP of ``key`` at ``counter``, written the obvious way."""
    mac = hmac.digest(key, counter.to_bytes(8, "big"), "sha1")
    offset = mac[19] & 0x0F
    return (int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 10**digits


def reference_window(
    key: bytes, token: int, t: int, tolerance: int, min_t: int, digits: int = 6
) -> int | None:
    """Return the first step of ``max(t - tolerance, min_t) .. t + tolerance`` with ``token``."""
    for step in range(max(t - tolerance, min_t), t + tolerance + 1):
        if reference_hotp(key, step, digits) == token:
            return step
    return None


def pad_hmac(key: bytes) -> Callable[[bytes], bytes]:
    """Return ``msg -> HMAC-SHA1(key, msg)`` computed from the precomputed pad states of ``key``."""
    block = key.ljust(64, b"\0")  # the bench key is shorter than a block
    # SHA-1 is what HOTP specifies.
    inner_copy = hashlib.sha1(bytes(b ^ 0x36 for b in block)).copy  # noqa: S324
    outer_copy = hashlib.sha1(bytes(b ^ 0x5C for b in block)).copy  # noqa: S324

    def mac(msg: bytes) -> bytes:
        inner = inner_copy()
        inner.update(msg)
        outer = outer_copy()
        outer.update(inner.digest())
        return outer.digest()

    return mac
