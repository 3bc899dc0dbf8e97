"""The promise every report keeps: never tell anyone to uninstall, disable or reset.

Removing monitoring can alert the person behind it, can make them more dangerous, and
destroys evidence. Reports explain that, and point to safety planning with an advocate.
:func:`unsafe_advice` finds sentences that would break the promise; the tests run it over
every rule's text, every locale pack and every rendered report.

A sentence is unsafe when it names a destructive action on the phone or an app (uninstall,
factory reset, wipe, remove / delete / disable / force-stop an app or profile) with no
negation before it ("do not", "never") and no warning in the sentence ("can alert",
"destroys"): "Do not uninstall anything yet" and "Removing it can alert the person" are
fine; "Uninstall it now" and "Remove the app if it is not yours" are not.
"""

from __future__ import annotations

import re

_THING = (r"(?:it|them|this|that|the\s+\w+|this\s+\w+|these\s+\w+|any\s+\w+|all\s+\w+|"
          r"your\s+\w+|apps?|profiles?|stalkerware|spyware)")
DESTRUCTIVE = re.compile(
    r"\buninstall\w*"
    r"|\bfactory[\s-]*(?:reset|data\s+reset)\w*"
    r"|\b(?:reset|wipe|erase|restore)\w*\s+(?:the|your|this|her|his|their)\s+(?:phone|device|iphone|data)"
    r"|\b(?:remove|delete|disable|deactivate|force[\s-]*stop|kill|clear)\w*\s+" + _THING
    + r"|\bturn\w*\s+off\s+(?:the\s+app|the\s+profile|accessibility|notification\s+access|"
    r"device\s+admin\w*)"
    r"|\b(?:switch|turn)\w*\s+" + _THING + r"\s+off\b",
    re.IGNORECASE,
)
"""Phrases naming a destructive action on the phone, an app or a profile."""

NEGATION = re.compile(
    r"\b(?:do\s+not|don't|don\u2019t|never|not|nobody|no\s+one|avoid|without)\b",
    re.IGNORECASE,
)
"""A negation before a destructive phrase turns it into a warning ("do not uninstall")."""

WARNING = re.compile(r"\b(?:alert|destroy|warn)\w*", re.IGNORECASE)
"""Anywhere in the sentence, these make it an explanation ("removing it can alert ...")."""

ALLOWED = re.compile(
    r"\b(?:switch|turn)\w*\s+(?:them|it|usb\s+debugging|developer\s+options|wireless\s+debugging)"
    r"(?:\s+and\s+developer\s+options)?\s+off\s+again\b",
    re.IGNORECASE,
)
"""The one switch-off reports do ask for: the debugging the check itself needed."""

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")


def sentences(text: str) -> list[str]:
    """Split text into sentences (also at semicolons and line breaks)."""
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split(" "))) if s.strip()]


def unsafe_advice(text: str) -> list[str]:
    """Every sentence in ``text`` that tells someone to uninstall, disable or reset."""
    unsafe = []
    for sentence in sentences(text):
        cleaned = ALLOWED.sub(" ", sentence)
        if WARNING.search(cleaned):
            continue
        for match in DESTRUCTIVE.finditer(cleaned):
            if not NEGATION.search(cleaned[: match.start()]):
                unsafe.append(sentence)
                break
    return unsafe
