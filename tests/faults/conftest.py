"""Fixtures for the fault matrix and hostile-phone tests.

They are the end-to-end scan fixtures of ``tests/scan/conftest.py`` (the project's own
signatures only; a throwaway HOME so no signature cache or download touches the developer's),
loaded from there rather than copied, and ``tests/scan`` is put on the import path so that
``android_scan_helpers`` (``phone_from``, ``scan_phone``, ``served``) is shared too.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_SCAN_TESTS = Path(__file__).resolve().parents[1] / "scan"
if str(_SCAN_TESTS) not in sys.path:
    sys.path.insert(0, str(_SCAN_TESTS))

_spec = importlib.util.spec_from_file_location("stalkerscan_tests_scan_conftest", _SCAN_TESTS / "conftest.py")
assert _spec is not None and _spec.loader is not None
_scan_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_scan_conftest)

bundled_signatures = _scan_conftest.bundled_signatures
_isolated_user_dirs = _scan_conftest._isolated_user_dirs
