"""Signature data shipped with stalkerscan (installed as stalkerscan.bundled_signatures)."""
