"""Fixtures shared by the test modules: the user ``alice`` and her devices of the sign-in
tests (a module that defines its own ``alice`` uses that one)."""

from tests.signin_helpers import alice, backup, phone

__all__ = ["alice", "backup", "phone"]
