"""Cost of one token: ``django_otp.oath`` against one bare ``hmac.digest`` call and pyotp.

Every statement is timed in turn within each repeat, so the ratios compare measurements
taken at the same moment; the table shows medians over the repeats.
"""

from __future__ import annotations

import base64
import hmac
import itertools
import os
import statistics
import struct
import timeit

import pyotp

from django_otp.oath import TOTP, hotp, totp

REPEAT = 15
SECONDS_PER_RUN = 0.04  # loop count is chosen so that one run of a statement takes about this

KEY = bytes(range(1, 21))
B32 = base64.b32encode(KEY).decode()
COUNTER = 123_456
MSG = struct.pack(">Q", COUNTER)
# 1024 distinct keys, more than the pad cache holds, so every call takes the cache miss.
COLD_KEYS = itertools.cycle([os.urandom(20) for _ in range(1024)])


def _wrong_code() -> int:
    """A six-digit code that matches none of the steps around now (so verify must fail)."""
    now = TOTP(KEY)
    near = {hotp(KEY, now.t() + offset) for offset in range(-5, 6)}
    return next(code for code in range(123_456, 10**6) if code not in near)


WRONG = _wrong_code()
NAMESPACE = {
    "hmac": hmac,
    "pyotp": pyotp,
    "TOTP": TOTP,
    "hotp": hotp,
    "totp": totp,
    "next": next,
    "KEY": KEY,
    "B32": B32,
    "COUNTER": COUNTER,
    "MSG": MSG,
    "COLD_KEYS": COLD_KEYS,
    "WRONG": WRONG,
    "WRONG_STR": f"{WRONG:06d}",
}

BASELINE = "hmac.digest(KEY, MSG, 'sha1')"
# (case, django_otp statement, pyotp statement or None)
CASES: list[tuple[str, str, str | None]] = [
    ("hotp, key cached", "hotp(KEY, COUNTER)", "pyotp.HOTP(B32).at(COUNTER)"),
    ("hotp, new key each call", "hotp(next(COLD_KEYS), COUNTER)", None),
    ("totp, now", "totp(KEY)", "pyotp.TOTP(B32).now()"),
    (
        "TOTP verify wrong code, +-1 step",
        "TOTP(KEY).verify(WRONG, tolerance=1)",
        "pyotp.TOTP(B32).verify(WRONG_STR, valid_window=1)",
    ),
]


def _measure(statements: list[str]) -> dict[str, list[float]]:
    """Return ns per call of each statement, one value per repeat, runs interleaved."""
    timers = {stmt: timeit.Timer(stmt, globals=NAMESPACE) for stmt in statements}
    loops = {}
    for stmt, timer in timers.items():
        number, elapsed = timer.autorange()
        loops[stmt] = max(1, int(number * SECONDS_PER_RUN / elapsed))
    samples: dict[str, list[float]] = {stmt: [] for stmt in statements}
    for _ in range(REPEAT):
        for stmt, timer in timers.items():
            samples[stmt].append(timer.timeit(loops[stmt]) / loops[stmt] * 1e9)
    return samples


def _ratio(samples: dict[str, list[float]], top: str, bottom: str) -> float:
    return statistics.median(a / b for a, b in zip(samples[top], samples[bottom], strict=True))


def run() -> None:
    """Print the oath table."""
    statements = [BASELINE] + [s for _, ours, theirs in CASES for s in (ours, theirs) if s]
    samples = _measure(statements)
    ns = {stmt: statistics.median(values) for stmt, values in samples.items()}
    print(f"oath: ns per call, median of {REPEAT} interleaved runs; ratios of the same runs")
    print(f"one bare hmac.digest(key, msg, 'sha1'): {ns[BASELINE]:.0f} ns\n")
    header = ("case", "django_otp", "x hmac.digest", "pyotp", "x pyotp")
    rows = [header]
    for case, ours, theirs in CASES:
        rows.append(
            (
                case,
                f"{ns[ours]:.0f}",
                f"{_ratio(samples, ours, BASELINE):.2f}",
                f"{ns[theirs]:.0f}" if theirs else "-",
                f"{_ratio(samples, ours, theirs):.2f}" if theirs else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print(
            "  ".join(
                cell.ljust(width) if i == 0 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
        )
    print()
