"""stalkerscan: a read-only stalkerware check for Android phones and iPhones.

The public API (docs/api.md)::

    import stalkerscan

    case = stalkerscan.scan("cases/client-A", examiner="Sam")   # a connected phone
    case = stalkerscan.analyze("cases/client-A")                # again, later, offline
    print(case.result.verdict.headline)
    assert stalkerscan.verify("cases/client-A").ok
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = ("Case", "analyze", "report", "scan", "verify")


def __getattr__(name: str) -> Any:
    # Imported lazily: `import stalkerscan` stays fast and light (no pymobiledevice3, yara...).
    if name in _API:
        from stalkerscan import api

        return getattr(api, name)
    raise AttributeError(f"module 'stalkerscan' has no attribute {name!r}")


__all__ = ["__version__", *_API]
