"""Audit signals sent by the verification path and by device life-cycle events.

Every signal is sent after the surrounding database transaction commits, with ``sender`` set
to the device's class. Arguments never include a token or a key.
"""

from __future__ import annotations

from django.dispatch import Signal

#: A token was accepted. Arguments: ``device``, ``user``, ``request`` (``None`` when unknown).
verification_succeeded = Signal()

#: A token was evaluated and rejected. Arguments: ``device``, ``user``, ``request``,
#: ``reason`` (``"invalid_token"``, ``"malformed_token"`` or ``"replayed_token"``).
verification_failed = Signal()

#: An attempt was refused without being evaluated because the device is throttled.
#: Arguments: ``device``, ``user``, ``request``, ``reason`` (the ``verify_is_allowed`` data).
verification_throttled = Signal()

#: A failure brought the device's consecutive failures to ``OTP_LOCKOUT_FAILURES``.
#: Arguments: ``device``, ``user``, ``request``, ``failure_count``, ``locked_until``.
device_locked = Signal()

#: A device row was created. Arguments: ``device``, ``user``.
device_created = Signal()

#: A device became confirmed (on creation or later). Arguments: ``device``, ``user``.
device_confirmed = Signal()

#: A device row was deleted. Arguments: ``device``, ``user``.
device_deleted = Signal()
