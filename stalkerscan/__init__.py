"""stalkerscan: a read-only stalkerware check for Android phones and iPhones.

The public API (``scan``, ``analyze``, ``Case``) is documented in docs/api.md.
"""

__version__ = "0.1.0"
