"""Public test keys for simulated APK signing (data only; see README.md)."""
