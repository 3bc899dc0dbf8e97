"""Build content that satisfies each rule of Echap's ``rules.yar``, read in place at test time.

The rules file is third-party data: it is never copied into the repository. Tests read it
from the workspace's ``shared/feeds/echap/`` and derive, rule by rule, the strings a DEX (or
native library) must hold for the rule to fire: text strings verbatim, hex strings with their
wildcard nibbles set to zero, and examples for the few regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

RULE = re.compile(r"^rule\s+(\w+)[^{]*\{(.*?)^\}", re.MULTILINE | re.DOTALL)
TEXT = re.compile(r'^\s*\$(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"', re.MULTILINE)
HEX = re.compile(r"^\s*\$(\w+)\s*=\s*\{([0-9A-Fa-f?\s]+)\}", re.MULTILINE)
REGEX = re.compile(r"^\s*\$(\w+)\s*=\s*/(.*)/\s*$", re.MULTILINE)


def echap_rules_path() -> Path | None:
    """``shared/feeds/echap/rules.yar`` beside the repository, when present."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "feeds" / "echap" / "rules.yar"
        if candidate.is_file():
            return candidate
    return None


@dataclass
class RuleContent:
    """What to put in a test file so that one rule fires."""

    name: str
    target: str  # "dex" or "native"
    strings: list[str] = field(default_factory=list)
    raw: bytes = b""


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def _regex_examples(pattern: str) -> list[str]:
    """Examples for the regular expressions Echap's rules use (extend when rules change)."""
    if pattern.startswith("[a-zA-Z0-9+\\/]{70,}=="):
        # More than 1000 long base64-looking strings.
        return [f"{n:04d}" + "A" * 68 + "==" for n in range(1100)]
    shape = re.fullmatch(r"com\\/\[a-z\]\{8\}\\/\[a-z\]\{8\}\\/(\w+)\\/a;", pattern)
    if shape:
        return [f"Lcom/abcdefgh/ijklmnop/{shape.group(1)}/a;"]
    raise ValueError(f"no example for regular expression /{pattern}/")


def rule_contents(text: str) -> list[RuleContent]:
    """One :class:`RuleContent` per rule in a rules file's text."""
    out = []
    for name, body in RULE.findall(text):
        target = "native" if "0x457f" in body else "dex"
        content = RuleContent(name, target)
        for _, value in TEXT.findall(body):
            content.strings.append(_unescape(value))
        for _, hex_text in HEX.findall(body):
            digits = re.sub(r"\s+", "", hex_text).replace("?", "0")
            content.raw += bytes.fromhex(digits)
        for _, pattern in REGEX.findall(body):
            content.strings.extend(_regex_examples(pattern))
        out.append(content)
    return out
