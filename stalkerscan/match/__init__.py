"""Matchers over an inventory: the indicator index (signatures) and YARA."""
