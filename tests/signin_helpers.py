"""What the sign-in tests share: a TOTP device's codes, a signal recorder, and the user
``alice`` with her devices (fixtures; a test module imports the ones it uses)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.dispatch import Signal

from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "alice-pw"
BACKUP_CODE = "abcd2345efgh"


def totp_code(device: TOTPDevice, drift: int = 0) -> str:
    """The code the device's authenticator app shows now (``drift`` steps away)."""
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + drift)
    return f"{value:0{device.digits}d}"


def wrong_totp_code(device: TOTPDevice) -> str:
    """A code of the right shape that no step near now accepts."""
    near = {totp_code(device, drift) for drift in range(-3, 4)}
    return next(code for code in (f"{n:06d}" for n in range(10**6)) if code not in near)


class Received:
    """Records what a signal sends while it is open (a context manager)."""

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.calls: list[dict[str, Any]] = []

    def __enter__(self) -> Received:
        self.signal.connect(self.receive, weak=False, dispatch_uid=id(self))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.signal.disconnect(dispatch_uid=id(self))

    def receive(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)

    @property
    def count(self) -> int:
        """How often the signal was sent."""
        return len(self.calls)


@pytest.fixture
def alice() -> Any:
    return get_user_model().objects.create_user(
        "alice", password=PASSWORD, email="alice@example.com"
    )


@pytest.fixture
def phone(alice: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=alice, name="Phone")


@pytest.fixture
def backup(alice: Any) -> StaticDevice:
    device = StaticDevice.objects.create(user=alice, name="Backup codes")
    device.token_set.create(token=BACKUP_CODE)
    return device


def recording(signal: Signal) -> Iterator[Received]:
    """The body of a fixture that records ``signal`` during a test."""
    with Received(signal) as received:
        yield received
