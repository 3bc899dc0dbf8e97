"""installation_proxy ``Browse`` (and ``Lookup``) answers: the installed apps and how each was signed.

``Browse`` answers in pages, one plist each: ``{"Status": "BrowsingApplications",
"CurrentIndex": i, "CurrentAmount": n, "Total": t, "CurrentList": [{app}, ...]}``, then
``{"Status": "Complete"}``. ``Lookup`` answers once: ``{"LookupResult": {bundle id: {app}},
"Status": "Complete"}``. An error is ``{"Error": "...", "ErrorDescription": "..."}``.

How an app was signed is judged from ``SignerIdentity`` (the common name of the signing
certificate), ``ApplicationType`` and the entitlements:

* ``Apple iPhone OS Application Signing``: Apple re-signed it for the App Store (TestFlight
  builds too).
* ``iPhone Developer: ...`` / ``Apple Development: ...``: a development certificate, the kind
  Xcode, AltStore or a free Apple ID uses to put an app straight onto a phone.
* ``iPhone Distribution: ...`` / ``Apple Distribution: ...``: a distribution certificate. Apps
  from the App Store never carry it (Apple re-signs those), so on a phone it means an
  enterprise (in-house) or ad hoc install: sideloaded.
* ``get-task-allow`` in the entitlements is only granted to development-signed builds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stalkerscan.model.common import ParseProblem, SourceRef
from stalkerscan.model.ios import IosApp, IosSigning
from stalkerscan.parse.ios._plist import (
    Frame,
    ProblemLog,
    flag,
    integer,
    json_safe,
    load_dict,
    split_frames,
    text,
)

APP_STORE_SIGNER = "Apple iPhone OS Application Signing"
"""SignerIdentity of apps Apple signed for the App Store."""

DEVELOPER_PREFIXES = ("iPhone Developer:", "Apple Development:")
"""Common-name prefixes of development certificates (before and after Xcode 11)."""

DISTRIBUTION_PREFIXES = ("iPhone Distribution:", "Apple Distribution:")
"""Common-name prefixes of distribution certificates (enterprise and ad hoc)."""

SYSTEM_TYPES = frozenset({"System", "Internal"})
"""ApplicationType values of apps that are part of iOS."""

MAX_APPS = 20000
"""More apps than any phone has: the rest of a hostile answer is ignored."""


def judge_signing(
    signer_identity: str | None, application_type: str | None, entitlements: Mapping[str, Any] | None
) -> IosSigning:
    """How an app was signed; ``UNKNOWN`` when the phone did not say enough."""
    if application_type in SYSTEM_TYPES:
        return IosSigning.SYSTEM
    signer = (signer_identity or "").strip()
    if signer == APP_STORE_SIGNER:
        return IosSigning.APP_STORE
    if signer.startswith(DEVELOPER_PREFIXES):
        return IosSigning.DEVELOPER
    if signer.startswith(DISTRIBUTION_PREFIXES):
        return IosSigning.ENTERPRISE
    if isinstance(entitlements, Mapping) and flag(entitlements.get("get-task-allow")) is True:
        return IosSigning.DEVELOPER
    return IosSigning.UNKNOWN


@dataclass(frozen=True)
class AppList:
    """Every app an answer listed."""

    apps: tuple[IosApp, ...] = ()
    """Apps, sorted by bundle id."""

    complete: bool = False
    """True when the phone said the list was complete (``Status: Complete``)."""

    total: int | None = None
    """How many apps the phone said it had (``Total``), where given."""

    error: str | None = None
    """installation_proxy's ``Error`` (and description) when it refused."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


def app_from_attributes(attributes: Mapping[str, Any], sources: tuple[SourceRef, ...] = ()) -> IosApp | None:
    """One app from its installation_proxy attributes; ``None`` without a bundle id."""
    bundle_id = text(attributes.get("CFBundleIdentifier"))
    if bundle_id is None:
        return None
    application_type = text(attributes.get("ApplicationType"))
    signer = text(attributes.get("SignerIdentity"))
    raw_entitlements = attributes.get("Entitlements")
    entitlements = json_safe(raw_entitlements) if isinstance(raw_entitlements, Mapping) else {}
    return IosApp(
        bundle_id=bundle_id,
        display_name=text(attributes.get("CFBundleDisplayName")) or text(attributes.get("CFBundleName")),
        version=text(attributes.get("CFBundleShortVersionString")),
        build=text(attributes.get("CFBundleVersion")),
        application_type=application_type,
        signer_identity=signer,
        signing=judge_signing(signer, application_type,
                              raw_entitlements if isinstance(raw_entitlements, Mapping) else None),
        entitlements=entitlements,
        path=text(attributes.get("Path")),
        sources=sources,
    )


def parse_app_list(data: bytes, *, path: str = "", source: str = "installed_apps") -> AppList:
    """Parse the ``response`` stream of a ``Browse`` or ``Lookup``; never raises."""
    log = ProblemLog(source)
    frames = split_frames(data, log)
    found: dict[str, IosApp] = {}
    complete = False
    total: int | None = None
    error: str | None = None
    for frame in frames:
        page = load_dict(frame.payload, log, f"Answer {frame.index + 1}")
        if page is None:
            continue
        if "Error" in page:
            error = " ".join(v for v in (text(page.get("Error")), text(page.get("ErrorDescription"))) if v)
            error = error or "unknown error"
            log.add(f"The phone refused to list apps: {error}")
        total = integer(page.get("Total")) if page.get("Total") is not None else total
        entries = _entries(page, frame, log)
        for entry in entries:
            _add_app(found, entry, frame, path, log)
        if text(page.get("Status")) == "Complete":
            complete = True
    if frames and not complete and error is None:
        log.add(f"The app list was cut off: {len(found)} apps arrived"
                + (f" of {total}" if total is not None else "") + "; the rest is unknown")
    if total is not None and complete and len(found) < total:
        log.add(f"The phone said it had {total} apps but listed {len(found)}")
    apps = tuple(sorted(found.values(), key=lambda app: app.bundle_id))
    return AppList(apps=apps, complete=complete, total=total, error=error, problems=log.freeze())


def _entries(page: Mapping[str, Any], frame: Frame, log: ProblemLog) -> list[Any]:
    current = page.get("CurrentList")
    if current is not None:
        if isinstance(current, list):
            return current
        log.add(f"Answer {frame.index + 1}: CurrentList is not a list")
        return []
    lookup = page.get("LookupResult")
    if lookup is not None:
        if isinstance(lookup, dict):
            return list(lookup.values())
        log.add(f"Answer {frame.index + 1}: LookupResult is not a dictionary")
    return []


def _add_app(found: dict[str, IosApp], entry: Any, frame: Frame, path: str, log: ProblemLog) -> None:
    if len(found) >= MAX_APPS:
        log.add(f"More than {MAX_APPS} apps listed; the rest were ignored")
        return
    if not isinstance(entry, dict):
        log.add(f"Answer {frame.index + 1}: an app entry is a {type(entry).__name__}, not a dictionary")
        return
    bundle_id = text(entry.get("CFBundleIdentifier"))
    if bundle_id is None:
        log.add(f"Answer {frame.index + 1}: an app has no CFBundleIdentifier",
                excerpt=str(entry.get("CFBundleDisplayName", ""))[:80])
        return
    if bundle_id in found:
        log.add(f"The app {bundle_id} is listed twice; the first entry is kept", excerpt=bundle_id)
        return
    ref = SourceRef(path, None, f"answer {frame.index + 1} (byte {frame.offset}): CFBundleIdentifier={bundle_id}")
    app = app_from_attributes(entry, (ref,))
    if app is not None:
        found[bundle_id] = app
