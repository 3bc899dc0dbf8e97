"""UTC timestamps in one format everywhere in a case folder."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    """The computer's clock, in UTC."""
    return datetime.now(timezone.utc)


def iso_utc(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with microseconds and a ``Z``: ``2026-11-23T23:35:00.123456Z``."""
    moment = moment or utc_now()
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stamp_for_path(moment: datetime | None = None) -> str:
    """A timestamp usable in a folder name on every OS: ``20261123T233500Z``."""
    moment = moment or utc_now()
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
