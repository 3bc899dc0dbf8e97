"""Signature families: format, loader and lint, feed importers, updates."""
