"""Run every rule and convert every match: the single entry point analysis calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from stalkerscan.model.findings import Finding, SignatureMatch
from stalkerscan.rules.base import Inventory, RuleContext, sort_key
from stalkerscan.rules.registry import all_rules
from stalkerscan.rules.signatures import findings_from_matches


def evaluate(
    inventory: Inventory, matches: Sequence[SignatureMatch], *, analysed_on: date
) -> tuple[Finding, ...]:
    """Every behavioural finding plus one finding per signature family, most severe first.

    Pure: the result depends only on the inventory, the matches and ``analysed_on``.
    """
    platform = inventory.platform
    context = RuleContext(inventory=inventory, analysed_on=analysed_on)
    found: list[Finding] = findings_from_matches(matches, inventory)
    for rule in all_rules(platform):
        found.extend(rule.run(context))
    return tuple(sorted(found, key=sort_key))
