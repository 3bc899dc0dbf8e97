"""Locale packs: the words of a report, safety guidance and helplines for one place.

A pack is one YAML file in ``stalkerscan/report/locales/`` (docs/locale-packs.md). A pack may
``extends:`` another and then holds only what differs, e.g. ``en-GB`` adds UK helplines to
the neutral international ``en`` pack. Loading validates the pack: unknown keys (typos),
missing keys and placeholders that the code does not supply are reported with the file and
key, so a contributor sees exactly what to fix.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from stalkerscan.errors import UsageError

FORMAT = "stalkerscan-locale/1"
DEFAULT_LOCALE = "en"
_NAME = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class Helpline:
    """One place to get help."""

    name: str
    """Name of the service."""

    description: str
    """Who it is for and what it offers, one or two sentences."""

    phone: str | None = None
    """Phone number as people dial it."""

    url: str | None = None
    """Web address."""

    hours: str | None = None
    """Opening hours, where the pack states them."""


@dataclass(frozen=True)
class Source:
    """Where a pack's facts (helpline numbers) were checked."""

    title: str
    """What the source is."""

    url: str
    """Its address."""

    checked: str | None = None
    """When it was checked, ``YYYY-MM-DD``."""


@dataclass(frozen=True)
class LocalePack:
    """Every word a report uses, for one language and place."""

    code: str
    """Pack name, e.g. ``en-GB``; also what ``--locale`` takes."""

    name: str
    """Human name, e.g. ``English (United Kingdom)``."""

    language: str
    """BCP 47 language tag for the HTML ``lang`` attribute."""

    strings: Mapping[str, str]
    """Headings, labels and sentences by key; templates use ``{placeholders}``."""

    lists: Mapping[str, tuple[str, ...]]
    """Lists of sentences by key (safety guidance, what USB cannot see)."""

    helplines: tuple[Helpline, ...] = ()
    """Where to get help, most urgent first."""

    sources: tuple[Source, ...] = field(default_factory=tuple)
    """Where the helplines were checked."""

    def t(self, key: str, **params: object) -> str:
        """The string ``key`` with its placeholders filled in."""
        try:
            template = self.strings[key]
        except KeyError:
            raise KeyError(f"locale pack {self.code!r} has no string {key!r}") from None
        return template.format_map(params) if params or "{" in template else template

    def items(self, key: str) -> tuple[str, ...]:
        """The list ``key``."""
        try:
            return self.lists[key]
        except KeyError:
            raise KeyError(f"locale pack {self.code!r} has no list {key!r}") from None


def _locales_dir() -> Any:
    return resources.files("stalkerscan.report").joinpath("locales")


def available_locales() -> tuple[str, ...]:
    """Names of the packs shipped with stalkerscan."""
    names = [p.name[: -len(".yaml")] for p in _locales_dir().iterdir() if p.name.endswith(".yaml")]
    return tuple(sorted(names))


def _problem(where: str, message: str) -> UsageError:
    return UsageError(
        f"Locale pack {where}: {message}",
        "Fix the pack (docs/locale-packs.md describes the format) or choose another with "
        "--locale.",
    )


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _read(name: str, path: Path | None = None) -> tuple[str, dict[str, Any]]:
    if path is None:
        if not _NAME.match(name):
            raise _problem(name, "is not a locale name like 'en' or 'en-GB'.")
        resource = _locales_dir().joinpath(f"{name}.yaml")
        if not resource.is_file():
            raise UsageError(
                f"There is no locale pack called {name!r}.",
                f"Available: {', '.join(available_locales())}. See docs/locale-packs.md to add one.",
            )
        raw, where = resource.read_bytes(), f"locales/{name}.yaml"
    else:
        raw, where = path.read_bytes(), str(path)
    if len(raw) > _MAX_BYTES:
        raise _problem(where, f"is larger than {_MAX_BYTES // 1024} KiB.")
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise _problem(where, f"is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise _problem(where, "must be a mapping of keys to values.")
    if data.get("format") != FORMAT:
        raise _problem(where, f"must start with 'format: {FORMAT}'.")
    unknown = set(data) - {"format", "code", "name", "language", "extends", "strings", "lists",
                           "helplines", "sources"}
    if unknown:
        raise _problem(where, f"unknown top-level keys: {', '.join(sorted(unknown))}.")
    return where, data


def _merge(where: str, data: dict[str, Any], base: LocalePack | None) -> LocalePack:
    strings = dict(base.strings) if base else {}
    lists = {k: tuple(v) for k, v in (base.lists if base else {}).items()}
    for key, value in (data.get("strings") or {}).items():
        if not isinstance(value, str):
            raise _problem(where, f"strings.{key} must be text.")
        if base is not None:
            if key not in base.strings:
                raise _problem(where, f"strings.{key} is not a key of '{base.code}' (a typo?).")
            extra = _placeholders(value) - _placeholders(base.strings[key])
            if extra:
                raise _problem(where, f"strings.{key} uses unknown placeholders: "
                               f"{', '.join(sorted(extra))}.")
        strings[str(key)] = value
    for key, value in (data.get("lists") or {}).items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _problem(where, f"lists.{key} must be a list of text.")
        if base is not None and key not in base.lists:
            raise _problem(where, f"lists.{key} is not a key of '{base.code}' (a typo?).")
        lists[str(key)] = tuple(value)
    helplines = base.helplines if base and "helplines" not in data else ()
    if "helplines" in data:
        try:
            helplines = tuple(Helpline(**entry) for entry in data["helplines"] or ())
        except TypeError as exc:
            raise _problem(where, f"a helpline entry is wrong: {exc}.") from exc
    try:
        sources = tuple(Source(**entry) for entry in data.get("sources") or ())
    except TypeError as exc:
        raise _problem(where, f"a source entry is wrong: {exc}.") from exc
    for key in ("code", "name", "language"):
        if not isinstance(data.get(key), str):
            raise _problem(where, f"'{key}' is required and must be text.")
    # Read-only views: a loaded pack is cached and shared by every report.
    return LocalePack(code=data["code"], name=data["name"], language=data["language"],
                      strings=MappingProxyType(strings), lists=MappingProxyType(lists),
                      helplines=helplines, sources=sources)


def _load(name: str, path: Path | None, seen: tuple[str, ...]) -> LocalePack:
    where, data = _read(name, path)
    parent = data.get("extends")
    base = None
    if parent is not None:
        if not isinstance(parent, str) or parent in seen:
            raise _problem(where, f"'extends: {parent}' is not a pack it can build on.")
        base = _load(parent, None, (*seen, name))
    pack = _merge(where, data, base)
    if base is None:
        # A pack that builds on nothing must say everything the reference pack says.
        reference = (REQUIRED_STRINGS, REQUIRED_LISTS) if name == DEFAULT_LOCALE else (
            set(load_locale(DEFAULT_LOCALE).strings), set(load_locale(DEFAULT_LOCALE).lists))
        missing = set(reference[0]) - set(pack.strings)
        missing_lists = set(reference[1]) - set(pack.lists)
        if missing or missing_lists:
            raise _problem(where, "missing keys: " + ", ".join(sorted(missing | missing_lists))
                           + " (or add 'extends: en').")
    return pack


@cache
def load_locale(name: str = DEFAULT_LOCALE) -> LocalePack:
    """The pack called ``name`` (``en``, ``en-GB``, ...), validated; raises ``UsageError``."""
    return _load(name, None, ())


def load_locale_file(path: Path) -> LocalePack:
    """A pack from any file (for contributors testing a new pack before adding it)."""
    return _load(path.stem, path, ())


REQUIRED_STRINGS = frozenset({
    "report_title", "verdict_known_stalkerware", "verdict_signs_of_monitoring",
    "verdict_nothing_found", "summary_known_stalkerware", "summary_signs_of_monitoring",
    "summary_nothing_found", "incomplete_title", "emergency", "safety_title",
})
"""Strings the reference ``en`` pack must have; every other pack that extends nothing must
have every key ``en`` has."""

REQUIRED_LISTS = frozenset({"safety_guidance", "never_visible_android", "never_visible_ios"})
