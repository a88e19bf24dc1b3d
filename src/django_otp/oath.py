"""HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA1, as pure functions over ``bytes`` keys.

This module does not import Django. Every read of the current time goes through the module
global :data:`time` at call time, so tests can patch ``django_otp.oath.time``.

Speed: HMAC(K, m) is ``H(K ^ opad || H(K ^ ipad || m))``. The two SHA-1 states that have
absorbed the padded key depend only on the key, so they are kept in a small bounded cache
and each token costs two copies of those states and two SHA-1 finalisations, with no
per-call key set-up.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterable
from time import time
from typing import Protocol

__all__ = ["TOTP", "hotp", "hotp_match", "time", "totp"]

_BLOCK_SIZE = 64  # SHA-1 block size in bytes (RFC 2104 "B")
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))
_CACHE_SIZE = 256


class _Moduli(dict[int, int]):
    """``10**digits`` by ``digits``: a table for the usual lengths, computed for the others."""

    def __missing__(self, digits: int) -> int:
        return 10**digits


_MODULI = _Moduli((digits, 10**digits) for digits in range(1, 11))
_pack_counter = struct.Struct(">Q").pack  # raises struct.error for negative or oversize counters
_unpack_word = struct.Struct(">I").unpack_from


class _Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...


_Pads = tuple[Callable[[], _Hash], Callable[[], _Hash]]

#: key bytes -> (copy of the inner-pad state, copy of the outer-pad state); oldest entry first.
_pads_cache: dict[bytes, _Pads] = {}


def _load_pads(key: bytes) -> _Pads:
    """Build and remember the pad states of ``key`` (the cache-miss path)."""
    # Other bytes-like keys are copied; str, int, ... raise TypeError as hmac would.
    data = key if type(key) is bytes else memoryview(key).tobytes()
    block = data
    # HMAC-SHA1 is what RFC 4226 and the stored devices specify (hence the S324 waivers).
    if len(block) > _BLOCK_SIZE:  # RFC 2104: a key longer than a block is hashed first
        block = hashlib.sha1(block).digest()  # noqa: S324
    block = block.ljust(_BLOCK_SIZE, b"\0")
    inner = hashlib.sha1(block.translate(_IPAD))  # noqa: S324
    outer = hashlib.sha1(block.translate(_OPAD))  # noqa: S324
    pads = (inner.copy, outer.copy)
    if len(_pads_cache) >= _CACHE_SIZE:
        # Drop the oldest entry (contextlib.suppress would cost ~0.5 us more per miss).
        try:  # noqa: SIM105
            del _pads_cache[next(iter(_pads_cache))]
        except (KeyError, RuntimeError, StopIteration):  # another thread changed the cache
            pass
    _pads_cache[data] = pads
    return pads


def _pads(key: bytes) -> _Pads:
    """Return the cached pad states of ``key``, building them on a miss."""
    try:
        return _pads_cache[key]
    except (KeyError, TypeError):  # TypeError: unhashable bytes-like key such as bytearray
        return _load_pads(key)


def hotp(key: bytes, counter: int, digits: int = 6) -> int:
    """Return the RFC 4226 HOTP value of ``key`` at ``counter`` as an int (not zero-padded).

    ``counter`` must fit an unsigned 64-bit integer; otherwise :class:`struct.error` is raised.
    """
    # The body of _pads() and of the loop in hotp_match() are inlined: a call costs ~5% here.
    try:
        inner_copy, outer_copy = _pads_cache[key]
    except (KeyError, TypeError):
        inner_copy, outer_copy = _load_pads(key)
    inner = inner_copy()
    inner.update(_pack_counter(counter))
    outer = outer_copy()
    outer.update(inner.digest())
    mac = outer.digest()
    return (_unpack_word(mac, mac[19] & 0x0F)[0] & 0x7FFFFFFF) % _MODULI[digits]


def hotp_match(key: bytes, token: int, counters: Iterable[int], digits: int = 6) -> int | None:
    """Return the first counter in ``counters`` whose HOTP value equals ``token``, else None.

    The key's pad states are looked up once for the whole window, so checking ``n`` counters
    costs about ``n`` HMACs.
    """
    inner_copy, outer_copy = _pads(key)
    modulus = _MODULI[digits]
    for counter in counters:
        inner = inner_copy()
        inner.update(_pack_counter(counter))
        outer = outer_copy()
        outer.update(inner.digest())
        mac = outer.digest()
        if (_unpack_word(mac, mac[19] & 0x0F)[0] & 0x7FFFFFFF) % modulus == token:
            return counter
    return None


def totp(key: bytes, step: int = 30, t0: int = 0, digits: int = 6, drift: int = 0) -> int:
    """Return the RFC 6238 TOTP value of ``key`` at the current time (the module's ``time()``)."""
    return hotp(key, (int(time()) - t0) // step + drift, digits)


class TOTP:
    """A TOTP calculator; ``key``, ``step``, ``t0``, ``digits`` and ``drift`` are plain attributes.

    ``time`` is live (the module's ``time()``) until a number is assigned to it; deleting the
    attribute makes it live again.
    """

    def __init__(
        self, key: bytes, step: int = 30, t0: int = 0, digits: int = 6, drift: int = 0
    ) -> None:
        self.key = key
        self.step = step
        self.t0 = t0
        self.digits = digits
        self.drift = drift
        self._time: float | None = None

    @property
    def time(self) -> float:
        """The Unix time used for ``t()``: the fixed value if one was assigned, else now."""
        return time() if self._time is None else self._time

    @time.setter
    def time(self, value: float | None) -> None:
        self._time = value

    @time.deleter
    def time(self) -> None:
        self._time = None

    def t(self) -> int:
        """Return the time step number, including ``drift``."""
        return (int(self.time) - self.t0) // self.step + self.drift

    def token(self) -> int:
        """Return the TOTP value at ``t()``."""
        return hotp(self.key, self.t(), digits=self.digits)

    def verify(self, token: int, tolerance: int = 0, min_t: int | None = None) -> bool:
        """Check ``token`` at drift offsets ``-tolerance .. +tolerance`` (ascending order).

        Offsets whose ``t()`` would be below ``min_t`` are skipped. On success ``drift`` is
        left at the matching value; on failure it is unchanged.
        """
        t = self.t()  # the time is read once for the whole window
        first = t - tolerance
        if min_t is not None and first < min_t:
            first = min_t
        matched = hotp_match(self.key, token, range(first, t + tolerance + 1), self.digits)
        if matched is None:
            return False
        self.drift += matched - t
        return True
