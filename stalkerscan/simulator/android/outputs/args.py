"""Argument handling the way Android's ``ShellCommand`` does it, errors included."""

from __future__ import annotations

import re
from collections.abc import Sequence


class ShellArgError(Exception):
    """``IllegalArgumentException`` / ``NumberFormatException`` raised while parsing."""

    def __init__(self, java_class: str, message: str) -> None:
        super().__init__(message)
        self.java_class = java_class
        self.message = message

    def __str__(self) -> str:  # like Throwable.toString()
        return f"{self.java_class}: {self.message}"


class ShellArgs:
    """``BasicShellCommandHandler`` argument cursor: getNextOption / getNextArg / ...Required.

    ``-abc`` is option ``-a`` with argument data ``bc``; asking for the next option while that
    data is pending raises ``No argument expected after "-abc"``, exactly as on a phone.
    """

    def __init__(self, args: Sequence[str]) -> None:
        self.args = list(args)
        self.pos = 0
        self.cur_data: str | None = None

    def next_option(self) -> str | None:
        """The next option, or None at the first non-option (or after ``--``)."""
        if self.cur_data is not None:
            previous = self.args[self.pos - 1]
            raise ShellArgError("java.lang.IllegalArgumentException",
                                f'No argument expected after "{previous}"')
        if self.pos >= len(self.args):
            return None
        arg = self.args[self.pos]
        if not arg.startswith("-"):
            return None
        self.pos += 1
        if arg == "--":
            return None
        if len(arg) > 1 and arg[1] != "-":
            if len(arg) > 2:
                self.cur_data = arg[2:]
                return arg[:2]
            self.cur_data = None
            return arg
        self.cur_data = None
        return arg

    def next_arg(self) -> str | None:
        """The next argument (option data first), or None."""
        if self.cur_data is not None:
            data, self.cur_data = self.cur_data, None
            return data
        if self.pos < len(self.args):
            self.pos += 1
            return self.args[self.pos - 1]
        return None

    def next_arg_required(self) -> str:
        """The next argument, or ``Argument expected after "X"``."""
        value = self.next_arg()
        if value is None:
            previous = self.args[self.pos - 1] if self.pos else ""
            raise ShellArgError("java.lang.IllegalArgumentException",
                                f'Argument expected after "{previous}"')
        return value

    def remaining(self) -> list[str]:
        """Everything not consumed yet."""
        rest = self.args[self.pos:]
        if self.cur_data is not None:
            rest = [self.cur_data, *rest]
        return rest


def parse_user_arg(text: str) -> int:
    """``UserHandle.parseUserArg``: ``all`` = -1, ``current``/``cur`` = -2, else a number."""
    if text == "all":
        return -1
    if text in ("current", "cur"):
        return -2
    if re.fullmatch(r"[+-]?[0-9]+", text) and -(2**31) <= int(text) < 2**31:
        return int(text)
    raise ShellArgError("java.lang.NumberFormatException", f'For input string: "{text}"')
