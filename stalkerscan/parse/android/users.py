"""``pm list users``: the phone's users and work profiles.

``UserManagerService`` prints ``Users:`` then one ``\\tUserInfo{id:name:flags} running`` line
per user (``UserInfo.toString``: id, name, flags in hex). A second user or a work profile can
hold a separate set of apps, managed by a profile owner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stalkerscan.model.common import ParseProblem
from stalkerscan.parse.android._text import ProblemLog, complete_lines, decode, to_int

_USER = re.compile(r"UserInfo\{(-?\d+):(.*)\}(.*)$")

FLAG_GUEST = 0x4
FLAG_MANAGED_PROFILE = 0x20


@dataclass(frozen=True)
class AndroidUser:
    """One Android user (the owner, a second user, a guest or a work profile)."""

    user_id: int
    """0 for the phone's owner; 10 and up for others."""

    name: str
    """The name shown in Settings, as printed."""

    flags: int | None
    """``UserInfo`` flags (hex in the output), None when unreadable."""

    running: bool
    """True when the line ends with ``running``."""

    line: int
    """1-based line number."""

    @property
    def managed_profile(self) -> bool:
        """True for a work profile (``FLAG_MANAGED_PROFILE``)."""
        return self.flags is not None and bool(self.flags & FLAG_MANAGED_PROFILE)

    @property
    def guest(self) -> bool:
        """True for a guest user."""
        return self.flags is not None and bool(self.flags & FLAG_GUEST)


@dataclass(frozen=True)
class UsersResult:
    """Every user listed."""

    users: tuple[AndroidUser, ...] = ()
    """Users in printed order."""

    recognized: bool = False
    """True when a ``Users:`` header or a ``UserInfo{`` line was read."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


def parse_users(data: bytes, *, source: str = "users") -> UsersResult:
    """Parse ``pm list users``; never raises."""
    log = ProblemLog(source)
    users: list[AndroidUser] = []
    header = False
    for lineno, line in complete_lines(decode(data), log):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped == "Users:":
            header = True
            continue
        match = _USER.search(stripped)
        if match is None:
            log.add("Not a UserInfo line", lineno, line)
            continue
        user_id = to_int(match.group(1))
        body = match.group(2)
        name, sep, flags_text = body.rpartition(":")
        if not sep:
            name, flags_text = body, ""
        flags = None
        try:
            flags = int(flags_text, 16) if flags_text else None
        except ValueError:
            name = body
        if user_id is None:
            log.add("A user line without a readable id", lineno, line)
            continue
        users.append(AndroidUser(user_id=user_id, name=name, flags=flags,
                                 running="running" in match.group(3), line=lineno))
    return UsersResult(users=tuple(users), recognized=header or bool(users), problems=log.freeze())
