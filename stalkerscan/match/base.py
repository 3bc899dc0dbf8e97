"""The interface every matcher implements: inventory in, signature matches out."""

from __future__ import annotations

from abc import ABC, abstractmethod

from stalkerscan.model.android import AndroidInventory
from stalkerscan.model.findings import SignatureMatch
from stalkerscan.model.ios import IosInventory


class Matcher(ABC):
    """Looks for known indicators in a parsed inventory.

    Matchers are pure: they read the inventory, never the phone or the case folder, so an old
    case can be re-analysed with newer signatures. A clean inventory gives an empty list.
    """

    name: str = ""
    """Short name for logs, e.g. ``indicators`` or ``yara``."""

    @abstractmethod
    def match_android(self, inventory: AndroidInventory) -> list[SignatureMatch]:
        """Matches on an Android inventory."""

    @abstractmethod
    def match_ios(self, inventory: IosInventory) -> list[SignatureMatch]:
        """Matches on an iPhone inventory."""
