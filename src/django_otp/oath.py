"""HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA1, as pure functions over ``bytes`` keys.

This module does not import Django. Every read of the current time goes through the module
global :data:`time` at call time, so tests can patch ``django_otp.oath.time``.

Speed: HMAC(K, m) is ``H(K ^ opad || H(K ^ ipad || m))``. The two SHA-1 states that have
absorbed the padded key depend only on the key, so they are kept in a small bounded cache
and each token costs two copies of those states and two SHA-1 finalisations, with no
per-call key set-up. Searching a window (:func:`totp_match`, :func:`hotp_match`) looks the
key up once and rejects most steps from one byte of their MAC.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterable
from time import time
from typing import Protocol

__all__ = ["TOTP", "hotp", "hotp_match", "time", "totp", "totp_match"]

_BLOCK_SIZE = 64  # SHA-1 block size in bytes (RFC 2104 "B")
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))
_CACHE_SIZE = 256


#: ``10**digits`` for the usual lengths (a plain dict: its lookups are the fastest).
_MODULI = {digits: 10**digits for digits in range(1, 11)}
#: ``2**min(digits, 8) - 1``: the low bits a HOTP value shares with its word's last byte.
_LOW_MASKS = {digits: (1 << min(digits, 8)) - 1 for digits in range(1, 11)}
#: The index of the last byte of the truncated word, by the MAC's last byte (RFC 4226 5.3).
_LOW_BYTE = tuple((last & 0x0F) + 3 for last in range(256))
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


def hotp(key: bytes, counter: int, digits: int = 6) -> int:
    """Return the RFC 4226 HOTP value of ``key`` at ``counter`` as an int (not zero-padded).

    ``counter`` must fit an unsigned 64-bit integer; otherwise :class:`struct.error` is raised.
    """
    # The cache and table look-ups are inlined (as in totp_match): a call costs ~5% here.
    try:
        inner_copy, outer_copy = _pads_cache[key]
    except (KeyError, TypeError):  # TypeError: unhashable bytes-like key such as bytearray
        inner_copy, outer_copy = _load_pads(key)
    inner = inner_copy()
    try:
        message = counter.to_bytes(8, "big")  # faster than struct
    except (AttributeError, OverflowError):
        message = _pack_counter(counter)  # struct.error out of range; packs an __index__ type
    inner.update(message)
    outer = outer_copy()
    outer.update(inner.digest())
    mac = outer.digest()
    try:
        modulus = _MODULI[digits]
    except KeyError:
        modulus = 10**digits
    return (_unpack_word(mac, mac[19] & 0x0F)[0] & 0x7FFFFFFF) % modulus


_Window = tuple[Callable[[], _Hash], Callable[[], _Hash], int, int, int]


def _window(key: bytes, token: int, digits: int) -> _Window:
    """Return what a window search needs: the pad copies, ``10**digits``, the mask and low bits.

    See :func:`totp_match` for the mask; it is 0 (every step goes to the full comparison) for
    a token that is not an int or for unusual ``digits``.
    """
    try:
        inner_copy, outer_copy = _pads_cache[key]
    except (KeyError, TypeError):
        inner_copy, outer_copy = _load_pads(key)
    try:
        modulus = _MODULI[digits]
        mask = _LOW_MASKS[digits] if type(token) is int else 0
    except KeyError:
        modulus, mask = 10**digits, 0
    return inner_copy, outer_copy, modulus, mask, token & mask if mask else 0


def hotp_match(key: bytes, token: int, counters: Iterable[int], digits: int = 6) -> int | None:
    """Return the first counter in ``counters`` whose HOTP value equals ``token``, else None.

    The key's pad states are looked up once for the whole window, so checking ``n`` counters
    costs about ``n`` HMACs; as in :func:`totp_match`, most counters are rejected after one byte.
    """
    inner_copy, outer_copy, modulus, mask, low = _window(key, token, digits)
    low_byte = _LOW_BYTE
    for counter in counters:
        inner = inner_copy()
        try:
            message = counter.to_bytes(8, "big")  # as in hotp()
        except (AttributeError, OverflowError):
            message = _pack_counter(counter)
        inner.update(message)
        outer = outer_copy()
        outer.update(inner.digest())
        mac = outer.digest()
        if (
            mac[low_byte[mac[19]]] & mask == low
            and (_unpack_word(mac, mac[19] & 0x0F)[0] & 0x7FFFFFFF) % modulus == token
        ):
            return counter
    return None


def totp_match(
    key: bytes,
    token: int,
    t: int,
    tolerance: int = 0,
    min_t: int | None = None,
    digits: int = 6,
) -> int | None:
    """Return the first step of ``t - tolerance .. t + tolerance`` whose HOTP value is ``token``.

    Steps are tried in ascending order, those below ``min_t`` are skipped, and the result is
    the matching step or None: :meth:`TOTP.verify` without the object, for callers that have
    the step number ``t`` (drift included, as :meth:`TOTP.t` returns it).

    Speed: ``10**digits`` is a multiple of ``2**digits``, so a step's value has the same low
    ``min(digits, 8)`` bits as the last byte of its truncated word. A step whose byte
    disagrees with ``token`` (63 in 64 for six digits) is rejected without the truncation.
    """
    # hotp_match()'s loop over a counted window (no range object); _window() is inlined,
    # since its call would cost ~3% of a three-step window.
    try:
        inner_copy, outer_copy = _pads_cache[key]
    except (KeyError, TypeError):
        inner_copy, outer_copy = _load_pads(key)
    try:
        modulus = _MODULI[digits]
        mask = _LOW_MASKS[digits] if type(token) is int else 0
    except KeyError:
        modulus, mask = 10**digits, 0
    low = token & mask if mask else 0
    low_byte = _LOW_BYTE
    step = t - tolerance
    if min_t is not None and step < min_t:
        step = min_t
    last = t + tolerance
    while step <= last:
        inner = inner_copy()
        try:
            message = step.to_bytes(8, "big")  # as in hotp()
        except (AttributeError, OverflowError):
            message = _pack_counter(step)
        inner.update(message)
        outer = outer_copy()
        outer.update(inner.digest())
        mac = outer.digest()
        if (
            mac[low_byte[mac[19]]] & mask == low
            and (_unpack_word(mac, mac[19] & 0x0F)[0] & 0x7FFFFFFF) % modulus == token
        ):
            return step
        step += 1
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
        at = self._time  # what the time property returns, without the cost of calling it
        if at is None:
            at = time()
        return (int(at) - self.t0) // self.step + self.drift

    def token(self) -> int:
        """Return the TOTP value at ``t()``."""
        return hotp(self.key, self.t(), digits=self.digits)

    def verify(self, token: int, tolerance: int = 0, min_t: int | None = None) -> bool:
        """Check ``token`` at drift offsets ``-tolerance .. +tolerance`` (ascending order).

        Offsets whose ``t()`` would be below ``min_t`` are skipped. On success ``drift`` is
        left at the matching value; on failure it is unchanged.
        """
        t = self.t()  # the time is read once for the whole window
        matched = totp_match(self.key, token, t, tolerance, min_t, self.digits)
        if matched is None:
            return False
        self.drift += matched - t
        return True
