"""The one list of behavioural rules. A rule module registers its rules on import."""

from __future__ import annotations

from collections.abc import Callable

from stalkerscan.model.findings import Confidence, Severity
from stalkerscan.rules.base import Check, Rule

_RULES: dict[str, Rule] = {}


def rule(
    id: str,
    *,
    summary: str,
    severity: Severity,
    confidence: Confidence,
    reads: tuple[str, ...],
) -> Callable[[Check], Rule]:
    """Decorator: turn a check function into a registered :class:`Rule`.

    The decorated name becomes the ``Rule`` itself, so the check can refer to it (for its id
    and default severity) through ``finding(rule, ...)``.
    """
    platform = id.split(".", 1)[0]
    if platform not in ("android", "ios") or "." not in id:
        raise ValueError(f"rule id {id!r} must look like 'android.name' or 'ios.name'")

    def register(check: Check) -> Rule:
        if id in _RULES:
            raise ValueError(f"two rules share the id {id!r}")
        made = Rule(id=id, platform=platform, summary=summary, severity=severity,
                    confidence=confidence, reads=reads, check=check)
        _RULES[id] = made
        return made

    return register


def all_rules(platform: str | None = None) -> tuple[Rule, ...]:
    """Every registered rule (for one platform when given), sorted by id."""
    _load_builtin()
    return tuple(r for _, r in sorted(_RULES.items()) if platform in (None, r.platform))


def get_rule(rule_id: str) -> Rule | None:
    """The rule with this id, or None (signature findings have no rule)."""
    _load_builtin()
    return _RULES.get(rule_id)


def _load_builtin() -> None:
    # Importing the rule modules registers their rules; done lazily so that importing the
    # registry alone has no side effects and no import cycles.
    from stalkerscan.rules import android_apps, android_device, ios  # noqa: F401
