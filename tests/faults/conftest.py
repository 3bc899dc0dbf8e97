"""Fixtures for the fault matrix and hostile-phone tests.

The end-to-end scan fixtures (the project's own signatures only; a throwaway HOME) come from
``tests/conftest.py``, and ``android_scan_helpers`` from ``tests/helpers``.
"""

from __future__ import annotations


