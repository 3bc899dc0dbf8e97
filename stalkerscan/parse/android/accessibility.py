"""``dumpsys accessibility``: enabled, bound, binding and crashed accessibility services.

Formats handled (``AccessibilityManagerService.dump`` / ``AccessibilityUserState.dump``):

- Android 8-10: ``User state[attributes:{id=0, currentUser=true, ...}`` followed by
  ``Bound services:{Service[label=..., feedbackType[...], ...]}``,
  ``Enabled services:{{pkg/cls}, {pkg2/cls2}}`` and ``Binding services:{}``;
- Android 11-15: ``User state[`` then ``attributes:{id=0, ...}`` on its own line, the same
  lists plus ``Crashed services:{}``; ``currentUserId=0`` near the top;
- Samsung One UI: lower-case ``installed services: {`` / ``enabled services: {`` lists with one
  ``N : pkg/cls`` entry per line, closed by a lone ``}``.

A bound service is printed by its label only (``Service[label=...]``), not by component, so a
label can be tied to a component only when exactly one service is enabled and bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stalkerscan.model.common import ParseProblem
from stalkerscan.parse.android._text import MAX_TEXT, ProblemLog, complete_lines, decode, to_int

_LISTS = ("installed", "enabled", "binding", "bound", "crashed")
_HEADER = re.compile(r"\b(installed|enabled|binding|bound|crashed) services\s*:\s*\{", re.IGNORECASE)
# The look-behind anchors a match at the start of a name: without it, every position inside a
# long run of word characters starts a new scan of that run (quadratic on hostile input).
_COMPONENT = re.compile(r"(?<![\w.$])([A-Za-z][\w.]*)/([\w.$]+)")
_LABEL_START = "Service[label="
_USER_ID = re.compile(r"\bid=(\d+)")
# [ \t]* not \s*: \s would run across newlines from every line start (quadratic on blank lines).
_CURRENT_USER = re.compile(r"^[ \t]*currentUserId=(\d+)", re.MULTILINE)
_MAX_LIST_LINES = 5000


@dataclass(frozen=True)
class AccessibilityUserState:
    """The accessibility lists of one Android user."""

    user_id: int | None
    """The user (``id=`` in ``attributes``); None when the output did not say."""

    line: int
    """1-based line where this user's state starts."""

    installed: tuple[str, ...] = ()
    """Installed services (Samsung prints these), ``pkg/cls``."""

    enabled: tuple[str, ...] = ()
    """Enabled services, ``pkg/cls`` as printed (class may be short, ``.Svc``)."""

    binding: tuple[str, ...] = ()
    """Services being bound (enabled but not connected yet)."""

    bound_labels: tuple[str, ...] = ()
    """Labels of bound (running, connected) services."""

    crashed: tuple[str, ...] = ()
    """Services that crashed while bound."""

    enabled_line: int | None = None
    """Line of the enabled services list."""

    bound_line: int | None = None
    """Line of the bound services list."""

    lists_seen: tuple[str, ...] = ()
    """Which lists the phone printed (``enabled``, ``bound``...), to tell empty from absent."""


@dataclass(frozen=True)
class AccessibilityResult:
    """What ``dumpsys accessibility`` says."""

    users: tuple[AccessibilityUserState, ...] = ()
    """One entry per ``User state[`` block."""

    current_user_id: int | None = None
    """``currentUserId=`` (Android 11+), or the user marked ``currentUser=true``."""

    recognized: bool = False
    """True when the output had an enabled or bound services list."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""

    def user(self, user_id: int | None = None) -> AccessibilityUserState | None:
        """A user's state: the given one, else the current user, else user 0, else the first."""
        wanted = [user_id] if user_id is not None else [self.current_user_id, 0]
        for candidate in wanted:
            for state in self.users:
                if candidate is not None and state.user_id == candidate:
                    return state
        return self.users[0] if self.users else None


class _UserBuilder:
    def __init__(self, user_id: int | None, line: int) -> None:
        self.user_id = user_id
        self.line = line
        self.lists: dict[str, list[str]] = {name: [] for name in _LISTS}
        self.lines: dict[str, int] = {}

    def freeze(self) -> AccessibilityUserState:
        return AccessibilityUserState(
            user_id=self.user_id, line=self.line,
            installed=tuple(dict.fromkeys(self.lists["installed"])),
            enabled=tuple(dict.fromkeys(self.lists["enabled"])),
            binding=tuple(dict.fromkeys(self.lists["binding"])),
            bound_labels=tuple(self.lists["bound"]),
            crashed=tuple(dict.fromkeys(self.lists["crashed"])),
            enabled_line=self.lines.get("enabled"), bound_line=self.lines.get("bound"),
            lists_seen=tuple(name for name in _LISTS if name in self.lines),
        )


def _components(text: str) -> list[str]:
    return [f"{m.group(1)}/{m.group(2)}" for m in _COMPONENT.finditer(text)]


def _labels(text: str) -> list[str]:
    """Labels of ``Service[label=..., feedbackType[...], ...]`` entries.

    A label is free text chosen by the app's author (it may hold commas or brackets), so it
    ends at the ``, feedbackType`` that AOSP prints right after it; only when that is missing
    (a cut dump, a vendor format) does the first ``]`` or ``,`` end it.
    """
    labels = []
    for chunk in text.split(_LABEL_START)[1:]:
        end = chunk.find(", feedbackType")
        if end < 0:
            cuts = [i for i in (chunk.find("]"), chunk.find(",")) if i >= 0]
            end = min(cuts) if cuts else len(chunk)
        labels.append(chunk[:end].strip())
    return labels


def parse_dumpsys_accessibility(data: bytes, *, source: str = "dumpsys_accessibility") -> AccessibilityResult:
    """Parse ``dumpsys accessibility`` (AOSP 8-15, Samsung); never raises."""
    log = ProblemLog(source)
    text = decode(data)
    lines = complete_lines(text, log)
    users: list[_UserBuilder] = []
    current: _UserBuilder | None = None
    current_user_id: int | None = None
    match = _CURRENT_USER.search(text)
    if match:
        current_user_id = to_int(match.group(1))

    index = 0
    while index < len(lines):
        lineno, line = lines[index]
        index += 1
        if "User state[" in line:
            # The id is on this line (8-10) or on the attributes line that follows (11+).
            probe = line if "id=" in line else (lines[index][1] if index < len(lines) else "")
            found = _USER_ID.search(probe)
            current = _UserBuilder(to_int(found.group(1)) if found else None, lineno)
            users.append(current)
            if "currentUser=true" in probe and current.user_id is not None and current_user_id is None:
                current_user_id = current.user_id
        header = _HEADER.search(line)
        if header is None:
            continue
        if current is None:  # a vendor dump without a User state line: assume one user
            current = _UserBuilder(None, lineno)
            users.append(current)
        kind = header.group(1).lower()
        current.lines.setdefault(kind, lineno)
        # Gather the list's text until its braces close, or the next list header begins
        # (a hostile label may hold braces; the next header bounds the damage).
        chunk = [line[header.end():]]
        depth = 1 + chunk[0].count("{") - chunk[0].count("}")
        taken = 0
        while depth > 0 and index < len(lines) and taken < _MAX_LIST_LINES:
            following = lines[index][1]
            if _HEADER.search(following) or "User state[" in following:
                break
            chunk.append(following)
            depth += following.count("{") - following.count("}")
            index += 1
            taken += 1
        if depth > 0 and index >= len(lines):
            log.add(f"The {kind} services list never closes (output cut short?)", lineno, line)
        body = "\n".join(chunk)
        if kind == "bound":
            for label in _labels(body):
                if len(label) > MAX_TEXT:
                    log.add(f"A service label is {len(label)} characters long; shortened here "
                            "(the raw output keeps it whole)", lineno, label)
                    label = label[:MAX_TEXT]
                current.lists["bound"].append(label)
        else:
            current.lists[kind].extend(_components(body))

    frozen = tuple(builder.freeze() for builder in users)
    recognized = any("enabled" in u.lists_seen or "bound" in u.lists_seen for u in frozen)
    if not recognized and text.strip():
        log.add("No enabled or bound services list: this does not look like dumpsys accessibility",
                1, text[:200])
    return AccessibilityResult(users=frozen, current_user_id=current_user_id,
                               recognized=recognized, problems=log.freeze())
