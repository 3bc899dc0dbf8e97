"""iPhone parsers: preserved lockdown / installation_proxy / MCInstall answers and backup files
in, :class:`~stalkerscan.model.ios.IosInventory` parts out. Pure; never raise on bad input."""
