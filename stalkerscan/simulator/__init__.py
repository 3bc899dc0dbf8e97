"""Simulated phones that speak the real USB protocols, for tests, demos and training.

``stalkerscan.simulator.android``: an Android phone model behind an ADB host-protocol server
(what pure-python-adb talks to) and an adbd speaking the ADB transport protocol (what the
real ``adb`` server connects to). ``stalkerscan.simulator.ios``: an iPhone behind usbmuxd,
lockdownd, installation_proxy and MCInstall. Phones are described by YAML profiles
(``stalkerscan.simulator.profile``); built-in ones live in ``profiles/``. Every request is
logged and judged by ``stalkerscan.simulator.requestlog``; both kinds of server run through
``stalkerscan.simulator.serving`` (loopback only, never 5555-5585, an event loop on a thread).
"""
