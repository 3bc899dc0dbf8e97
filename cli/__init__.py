"""The stalkerscan command line (installed as ``stalkerscan.cli``)."""
