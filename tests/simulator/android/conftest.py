"""Fixtures for the ADB protocol layer tests; they live in tests/helpers/adb_protocol_helpers.py
so that test modules can import the helpers by a name no other folder uses."""

from adb_protocol_helpers import (  # noqa: F401  (fixtures and hooks are found by name)
    adb_server,
    close_ppadb_sockets,
    make_phone,
    pytest_configure,
)
