"""Signs that an iPhone is jailbroken: jailbreak tools and package managers, odd app locations,
and lockdown services only jailbreaks add.

A jailbreak lets someone install software Apple never reviewed, including spyware that reads
messages and location; it is itself a strong sign that someone worked on the phone.

Bundle ids are those the projects publish (public sources, checked 2026):

* ``com.saurik.Cydia``: Cydia, the original package manager (saurik).
* ``org.coolstar.SileoStore``: Sileo (https://github.com/Sileo/Sileo).
* ``xyz.willy.Zebra``: Zebra (https://github.com/zbrateam/Zebra).
* ``me.apptapp.installer``: Installer (AppTapp / Installer 5).
* ``com.tigisoftware.Filza``: Filza, a root file manager only installable on jailbroken phones.
* ``science.xnu.undecimus``: unc0ver (https://github.com/pwn20wndstuff/Undecimus; the
  ``bundleIdentifier`` of its public AltStore source).
* ``kjc.loader``: the checkra1n loader app (listed by ``ideviceinstaller -l`` on
  checkra1n-jailbroken phones in public write-ups).
* ``com.samiiau.loader``: the palera1n loader (https://github.com/palera1n/loader).
* ``com.opa334.Dopamine``: Dopamine (https://github.com/opa334/Dopamine, Xcode project).
* ``ws.hbang.Terminal``: NewTerm, a terminal for jailbroken phones (HASHBANG Productions).
* ``com.opa334.TrollStore``: TrollStore (https://github.com/opa334/TrollStore); not a
  jailbreak, but it installs apps with any entitlements outside Apple's signing checks, so it
  is reported with kind ``other``.

``com.apple.afc2`` is the unrestricted file service the "Apple File Conduit 2" jailbreak
package adds to lockdownd; a stock iPhone answers ``InvalidService``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from stalkerscan.model.common import ParseProblem, SourceRef
from stalkerscan.model.ios import IosApp, JailbreakSign
from stalkerscan.parse.ios._plist import ProblemLog, integer, single_answer, text

JAILBREAK_APPS: Mapping[str, str] = {
    "com.saurik.Cydia": "Cydia",
    "org.coolstar.SileoStore": "Sileo",
    "xyz.willy.Zebra": "Zebra",
    "me.apptapp.installer": "Installer",
    "com.tigisoftware.Filza": "Filza",
    "science.xnu.undecimus": "unc0ver",
    "kjc.loader": "checkra1n",
    "com.samiiau.loader": "palera1n",
    "com.opa334.Dopamine": "Dopamine",
    "ws.hbang.Terminal": "NewTerm",
}
"""Bundle ids of jailbreak tools and package managers, with the name people know them by."""

SIGNING_BYPASS_APPS: Mapping[str, str] = {
    "com.opa334.TrollStore": "TrollStore",
}
"""Bundle ids of tools that install apps outside Apple's signing checks without a jailbreak."""

JAILBREAK_SERVICES: tuple[str, ...] = ("com.apple.afc2",)
"""lockdownd services only jailbroken phones offer (probed with StartService, never used)."""

JAILBREAK_PATH_MARKERS: tuple[str, ...] = ("/var/jb/", "/private/var/jb/", "/procursus/")
"""Path parts of the folder rootless jailbreaks install into (Procursus bootstrap)."""


@dataclass(frozen=True)
class ServiceProbe:
    """What lockdownd answered to one StartService probe."""

    service: str
    """The service name asked for."""

    offered: bool | None
    """True when lockdownd started it (answered a port), False when it said there is no such
    service, None when the answer could not be read."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""

    path: str = ""
    """The preserved answer, relative to the case folder."""


def parse_service_probe(data: bytes, service: str, *, path: str = "",
                        source: str = "jailbreak_services") -> ServiceProbe:
    """Parse the ``response`` stream of one ``StartService`` probe; never raises."""
    log = ProblemLog(source)
    answer = single_answer(data, log, f"The {service} probe answer", f"No answer to the {service} probe")
    if answer is None:
        return ServiceProbe(service, None, log.freeze(), path)
    error = text(answer.get("Error"))
    if error is not None:
        if error in ("InvalidService", "ServiceProhibited", "NoSuchService"):
            return ServiceProbe(service, False, log.freeze(), path)
        log.add(f"lockdownd answered the {service} probe with {error}")
        return ServiceProbe(service, None, log.freeze(), path)
    if integer(answer.get("Port")) is not None:
        return ServiceProbe(service, True, log.freeze(), path)
    log.add(f"The {service} probe answer has neither a port nor an error")
    return ServiceProbe(service, None, log.freeze(), path)


def jailbreak_signs(apps: Iterable[IosApp], probes: Iterable[ServiceProbe] = ()) -> tuple[JailbreakSign, ...]:
    """Every jailbreak sign in an app list and the service probes, in a stable order."""
    signs: list[JailbreakSign] = []
    for app in sorted(apps, key=lambda a: a.bundle_id):
        if app.bundle_id in JAILBREAK_APPS:
            signs.append(JailbreakSign("jailbreak_app", f"{app.bundle_id} ({JAILBREAK_APPS[app.bundle_id]})",
                                       app.sources))
        elif app.bundle_id in SIGNING_BYPASS_APPS:
            signs.append(JailbreakSign("other", f"{app.bundle_id} ({SIGNING_BYPASS_APPS[app.bundle_id]}: "
                                                "installs apps outside Apple's signing checks)", app.sources))
        elif app.path and any(marker in app.path for marker in JAILBREAK_PATH_MARKERS):
            signs.append(JailbreakSign("jailbreak_app", f"{app.bundle_id} is installed in a jailbreak "
                                                        f"folder: {app.path[:200]}", app.sources))
        elif (app.application_type == "User" and app.path
              and app.path.startswith(("/Applications/", "/private/Applications/"))):
            # Stock iOS keeps only its own apps in /Applications; user apps there were put
            # in place by a jailbreak.
            signs.append(JailbreakSign("jailbreak_app", f"{app.bundle_id} is a user app installed in "
                                                        f"the system folder: {app.path[:200]}", app.sources))
    for probe in probes:
        if probe.offered:
            sources = (SourceRef(probe.path, None, f"StartService {probe.service}: Port"),) if probe.path else ()
            signs.append(JailbreakSign("extra_service", probe.service, sources))
    return tuple(signs)
