"""Preservation: the case folder, its manifest of hashes, the custody log, and verification."""
