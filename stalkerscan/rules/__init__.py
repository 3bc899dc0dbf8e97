"""Behavioural rules and signature findings: from an inventory and matches to findings.

``evaluate(inventory, matches, analysed_on=...)`` is the entry point; ``all_rules()`` lists
the rules (each in ``android_apps``, ``android_device`` or ``ios``); docs/rules.md explains
how to add one.
"""

from stalkerscan.rules.base import Rule, RuleContext
from stalkerscan.rules.engine import evaluate
from stalkerscan.rules.registry import all_rules, get_rule
from stalkerscan.rules.signatures import findings_from_matches

__all__ = ["Rule", "RuleContext", "all_rules", "evaluate", "findings_from_matches", "get_rule"]
