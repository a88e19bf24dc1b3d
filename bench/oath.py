"""Cost of one token: ``django_otp.oath`` against one bare ``hmac.digest``, pyotp and a reference.

Every statement is timed in turn within each repeat, so the ratios compare measurements
taken at the same moment; the table shows medians over the repeats. The reference is the
plain-Python HOTP and TOTP window of :mod:`bench.oath_reference` (one ``hmac.digest`` per
step), so "x reference" shows what the pad cache and the window function buy over
straightforward code. Targets are those of the project's issue 9.
"""

from __future__ import annotations

import base64
import hmac
import itertools
import os
import statistics
import struct
import timeit
from dataclasses import dataclass
from time import time

import pyotp

from bench.oath_reference import pad_hmac, reference_hotp, reference_window
from django_otp.oath import TOTP, hotp, totp, totp_match

REPEAT = 15
SECONDS_PER_RUN = 0.04  # loop count is chosen so that one run of a statement takes about this

KEY = bytes(range(1, 21))
B32 = base64.b32encode(KEY).decode()
COUNTER = 123_456
MSG = struct.pack(">Q", COUNTER)
STEP = 30
NOW = 1_700_000_000.25  # a fixed time, as TOTPDevice.find_token_match assigns to TOTP.time
NOW_T = int(NOW) // STEP
MIN_T = NOW_T - 100  # last_t + 1 of a device last used long ago: the window is not clipped
# 1024 distinct keys, more than the pad cache holds, so every call takes the cache miss.
COLD_KEYS = itertools.cycle([os.urandom(20) for _ in range(1024)])


def _wrong_code() -> int:
    """A six-digit code that matches none of the steps around ``NOW`` (so verify must fail)."""
    near = {reference_hotp(KEY, NOW_T + offset) for offset in range(-5, 6)}
    return next(code for code in range(123_456, 10**6) if code not in near)


WRONG = _wrong_code()
NAMESPACE = {
    "hmac": hmac,
    "pyotp": pyotp,
    "TOTP": TOTP,
    "hotp": hotp,
    "totp": totp,
    "totp_match": totp_match,
    "reference_hotp": reference_hotp,
    "reference_window": reference_window,
    "cached_pad_hmac": pad_hmac(KEY),
    "time": time,
    "next": next,
    "KEY": KEY,
    "B32": B32,
    "COUNTER": COUNTER,
    "MSG": MSG,
    "STEP": STEP,
    "NOW": NOW,
    "NOW_T": NOW_T,
    "MIN_T": MIN_T,
    "COLD_KEYS": COLD_KEYS,
    "WRONG": WRONG,
    "WRONG_STR": f"{WRONG:06d}",
}

BASELINE = "hmac.digest(KEY, MSG, 'sha1')"


@dataclass(frozen=True)
class Case:
    """One row: our statement, and optionally pyotp's, the reference's and a target ratio."""

    name: str
    ours: str
    pyotp: str | None = None
    reference: str | None = None
    target: float | None = None  # the most "ours / one hmac.digest" may be


PYOTP_VERIFY = "pyotp.TOTP(B32).verify(WRONG_STR, for_time=NOW, valid_window=1)"
REFERENCE_VERIFY = "reference_window(KEY, WRONG, NOW_T, 1, MIN_T)"
CASES = [
    Case("HMAC-SHA1 from cached pads alone", "cached_pad_hmac(MSG)"),
    Case(
        "oath.hotp, key cached",
        "hotp(KEY, COUNTER)",
        "pyotp.HOTP(B32).at(COUNTER)",
        "reference_hotp(KEY, COUNTER)",
        0.45,
    ),
    Case(
        "oath.hotp, new key each call",
        "hotp(next(COLD_KEYS), COUNTER)",
        None,
        "reference_hotp(next(COLD_KEYS), COUNTER)",
    ),
    Case(
        "oath.totp, now",
        "totp(KEY)",
        "pyotp.TOTP(B32).now()",
        "reference_hotp(KEY, int(time()) // 30)",
    ),
    Case(
        "TOTP verify +-1 step, wrong code",
        "t = TOTP(KEY, STEP, 0, 6, 0); t.time = NOW; t.verify(WRONG, 1, min_t=MIN_T)",
        PYOTP_VERIFY,
        REFERENCE_VERIFY,
        1.5,
    ),
    Case(
        "totp_match +-1 step, wrong code",
        "totp_match(KEY, WRONG, NOW_T, 1, MIN_T)",
        PYOTP_VERIFY,
        REFERENCE_VERIFY,
        1.5,
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


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(
                cell.ljust(width) if i == 0 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )


def run() -> None:
    """Print the oath table, with each target and whether it is met."""
    statements = list(
        dict.fromkeys(
            [BASELINE] + [s for case in CASES for s in (case.ours, case.pyotp, case.reference) if s]
        )
    )
    samples = _measure(statements)
    ns = {stmt: statistics.median(values) for stmt, values in samples.items()}
    print(f"oath: ns per call, median of {REPEAT} interleaved runs; ratios of the same runs")
    print(f"one bare hmac.digest(key, msg, 'sha1'): {ns[BASELINE]:.0f} ns")
    print("reference: plain Python over hmac.digest (bench/oath_reference.py)\n")
    rows = [("case", "ns", "x hmac.digest", "target", "pyotp ns", "x pyotp", "ref ns", "x ref")]
    for case in CASES:
        ratio = _ratio(samples, case.ours, BASELINE)
        target = "-"
        if case.target is not None:
            target = f"<={case.target:.2f} {'met' if ratio <= case.target else 'MISSED'}"
        row = [case.name, f"{ns[case.ours]:.0f}", f"{ratio:.2f}", target]
        for other in (case.pyotp, case.reference):
            if other:
                row += [f"{ns[other]:.0f}", f"{_ratio(samples, case.ours, other):.2f}"]
            else:
                row += ["-", "-"]
        rows.append(tuple(row))
    _print_table(rows)
    print()
