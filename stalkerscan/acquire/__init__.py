"""Acquisition: reading phones through one read-only choke point per platform."""
