"""Turn catalog entries into realistic installed apps, deterministically from a seed.

Generated details (versions, container UUIDs, team identifiers, sizes) are synthetic but shaped
like what installation_proxy reports: App Store apps live under
``/private/var/containers/Bundle/Application/<UUID>/`` and are signed "Apple iPhone OS
Application Signing"; apps that ship with iOS live under ``/Applications`` and report no
signer. Team identifiers are derived from a hash of the bundle id: they are not the real
developers' team identifiers and must never be used as indicators.
"""

from __future__ import annotations

import random
from types import MappingProxyType
from typing import Any

from stalkerscan.simulator.ios.catalog import (
    JAILBREAK_APPS,
    STORE_APPS,
    CatalogApp,
    system_apps_for,
)
from stalkerscan.simulator.ios.profile import APP_STORE_SIGNER, IosAppSpec, stable_uuid
from stalkerscan.simulator.profile import stable_int

_TEAM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

# What each kind of app usually declares.
_BACKGROUND_MODES: dict[str, tuple[str, ...]] = {
    "messaging": ("audio", "fetch", "remote-notification", "voip"),
    "social": ("fetch", "remote-notification"),
    "navigation": ("audio", "location", "fetch"),
    "music": ("audio", "remote-notification"),
    "video": ("audio", "fetch"),
    "fitness": ("location", "bluetooth-central", "processing"),
    "game": ("remote-notification",),
    "news": ("fetch", "remote-notification"),
    "finance": ("remote-notification",),
    "shopping": ("remote-notification",),
    "travel": ("remote-notification",),
    "weather": ("fetch", "location"),
}
_USAGE: dict[str, tuple[str, ...]] = {
    "messaging": ("NSCameraUsageDescription", "NSMicrophoneUsageDescription",
                  "NSContactsUsageDescription", "NSPhotoLibraryUsageDescription"),
    "social": ("NSCameraUsageDescription", "NSMicrophoneUsageDescription",
               "NSPhotoLibraryUsageDescription", "NSLocationWhenInUseUsageDescription"),
    "navigation": ("NSLocationWhenInUseUsageDescription",
                   "NSLocationAlwaysAndWhenInUseUsageDescription"),
    "photo": ("NSCameraUsageDescription", "NSPhotoLibraryUsageDescription"),
    "video": ("NSCameraUsageDescription", "NSMicrophoneUsageDescription",
              "NSPhotoLibraryUsageDescription"),
    "fitness": ("NSLocationWhenInUseUsageDescription", "NSMotionUsageDescription",
                "NSHealthShareUsageDescription", "NSBluetoothAlwaysUsageDescription"),
    "finance": ("NSCameraUsageDescription", "NSFaceIDUsageDescription"),
    "shopping": ("NSCameraUsageDescription", "NSLocationWhenInUseUsageDescription"),
    "travel": ("NSLocationWhenInUseUsageDescription",),
    "weather": ("NSLocationWhenInUseUsageDescription",
                "NSLocationAlwaysAndWhenInUseUsageDescription"),
}
_USAGE_TEXT: dict[str, str] = {
    "NSCameraUsageDescription": "Take photos and videos to share.",
    "NSMicrophoneUsageDescription": "Record voice messages and calls.",
    "NSContactsUsageDescription": "Find friends who already use the app.",
    "NSPhotoLibraryUsageDescription": "Choose photos and videos to share.",
    "NSLocationWhenInUseUsageDescription": "Show where you are on the map.",
    "NSLocationAlwaysAndWhenInUseUsageDescription": "Keep directions going in the background.",
    "NSMotionUsageDescription": "Count your steps.",
    "NSHealthShareUsageDescription": "Read workouts from Health.",
    "NSBluetoothAlwaysUsageDescription": "Connect to your accessories.",
    "NSFaceIDUsageDescription": "Unlock the app with Face ID.",
}
_SIZE_MB: dict[str, tuple[int, int]] = {
    "game": (150, 3500), "video": (80, 400), "social": (150, 450), "messaging": (80, 350),
    "navigation": (60, 300), "music": (60, 250), "productivity": (60, 400),
}


def generate_apps(*, ios_version: str, ordinary: int, system: bool = True,
                  seed: int = 0) -> list[IosAppSpec]:
    """System apps for ``ios_version`` (when ``system``) plus ``ordinary`` App Store apps
    drawn from the catalog, the same list for the same arguments."""
    rng = random.Random(stable_int("generate", seed))
    apps: list[IosAppSpec] = []
    if system:
        apps.extend(system_app(entry, ios_version=ios_version) for entry in
                    system_apps_for(ios_version))
    chosen = sorted(rng.sample(range(len(STORE_APPS)), min(ordinary, len(STORE_APPS))))
    apps.extend(store_app(STORE_APPS[index], ios_version=ios_version, seed=seed)
                for index in chosen)
    return apps


def system_app(entry: CatalogApp, *, ios_version: str) -> IosAppSpec:
    """An app that ships with iOS."""
    major_minor = ".".join(ios_version.split(".")[:2])
    return IosAppSpec(
        bundle_id=entry.bundle_id, display_name=entry.name, version=major_minor,
        build=ios_version, application_type="System", executable=entry.executable,
        path=f"/Applications/{entry.executable}.app", container=None, signer_identity=None,
        entitlements=MappingProxyType({"application-identifier": entry.bundle_id,
                                       "platform-application": True}),
        minimum_os=major_minor, sdk_version=major_minor,
        background_modes=_BACKGROUND_MODES.get(entry.category, ()) if not entry.hidden else (),
        usage_descriptions=MappingProxyType({}), hidden=entry.hidden,
        static_disk_usage=0, dynamic_disk_usage=0)


def store_app(entry: CatalogApp, *, ios_version: str, seed: int) -> IosAppSpec:
    """A popular App Store app with generated details."""
    fields = default_app_fields(bundle_id=entry.bundle_id, executable=entry.executable,
                                application_type="User", ios_version=ios_version, seed=seed,
                                category=entry.category)
    fields.pop("team_id")
    fields["entitlements"] = MappingProxyType(fields["entitlements"])
    fields["usage_descriptions"] = MappingProxyType(fields["usage_descriptions"])
    return IosAppSpec(bundle_id=entry.bundle_id, display_name=entry.name,
                      build=fields["version"].replace(".", "") or "1",
                      application_type="User", executable=entry.executable, **fields)


def jailbreak_app(name: str, *, ios_version: str, seed: int) -> IosAppSpec:
    """A jailbreak tool or package manager (``catalog.JAILBREAK_APPS``), installed the way a
    rootful jailbreak installs it: in ``/Applications``, registered as a System app, with no
    signer identity."""
    entry = JAILBREAK_APPS[name]
    rng = random.Random(stable_int("jailbreak", seed, entry.bundle_id))
    version = f"{rng.randrange(1, 3)}.{rng.randrange(0, 10)}.{rng.randrange(0, 10)}"
    return IosAppSpec(
        bundle_id=entry.bundle_id, display_name=entry.name, version=version, build=version,
        application_type="System", executable=entry.executable,
        path=f"/Applications/{entry.executable}.app", container=None, signer_identity=None,
        entitlements=MappingProxyType({"application-identifier": entry.bundle_id,
                                       "platform-application": True,
                                       "com.apple.private.security.no-container": True}),
        minimum_os="12.0", sdk_version=".".join(ios_version.split(".")[:2]),
        static_disk_usage=rng.randrange(2, 40) * 1_000_000, dynamic_disk_usage=0)


def team_identifier(bundle_id: str) -> str:
    """A synthetic, stable 10-character team identifier for a bundle id (never a real one)."""
    rng = random.Random(stable_int("team", bundle_id.split(".")[1] if "." in bundle_id
                                   else bundle_id))
    return "".join(rng.choice(_TEAM_ALPHABET) for _ in range(10))


def default_app_fields(*, bundle_id: str, executable: str, application_type: str,
                       ios_version: str, seed: int, team_id: str | None = None,
                       category: str = "utility") -> dict[str, Any]:
    """Defaults for every :class:`IosAppSpec` field a profile may leave out."""
    rng = random.Random(stable_int("app", seed, bundle_id))
    major = int(ios_version.split(".")[0])
    major_minor = ".".join(ios_version.split(".")[:2])
    if application_type == "System":
        return {
            "version": major_minor, "path": f"/Applications/{executable}.app",
            "container": None, "signer_identity": None,
            "entitlements": {"application-identifier": bundle_id, "platform-application": True},
            "minimum_os": major_minor, "sdk_version": major_minor, "background_modes": (),
            "usage_descriptions": {}, "static_disk_usage": 0, "dynamic_disk_usage": 0,
            "team_id": None,
        }
    team = team_id or team_identifier(bundle_id)
    bundle_uuid = stable_uuid("bundle", seed, bundle_id)
    data_uuid = stable_uuid("data", seed, bundle_id)
    entitlements: dict[str, Any] = {
        "application-identifier": f"{team}.{bundle_id}",
        "com.apple.developer.team-identifier": team,
        "keychain-access-groups": [f"{team}.{bundle_id}"],
        "get-task-allow": False,
    }
    if category in ("messaging", "social", "news", "finance", "shopping", "travel"):
        entitlements["aps-environment"] = "production"
    if category in ("messaging", "productivity", "social"):
        entitlements["com.apple.security.application-groups"] = [f"group.{bundle_id}"]
    low, high = _SIZE_MB.get(category, (15, 180))
    minimum = max(12, min(major, rng.choice((14, 15, 15, 16, 16, 17))))
    sdk_major = max(minimum, major - rng.choice((0, 0, 1)))
    return {
        "version": f"{rng.randrange(1, 40)}.{rng.randrange(0, 30)}.{rng.randrange(0, 10)}",
        "path": f"/private/var/containers/Bundle/Application/{bundle_uuid}/{executable}.app",
        "container": f"/private/var/mobile/Containers/Data/Application/{data_uuid}",
        "signer_identity": APP_STORE_SIGNER,
        "entitlements": entitlements,
        "minimum_os": f"{minimum}.0",
        "sdk_version": f"{sdk_major}.{rng.randrange(0, 5)}",
        "background_modes": _BACKGROUND_MODES.get(category, ()),
        "usage_descriptions": {key: _USAGE_TEXT[key] for key in _USAGE.get(category, ())},
        "static_disk_usage": rng.randrange(low, high) * 1_000_000 + rng.randrange(1_000_000),
        "dynamic_disk_usage": rng.randrange(1, 1500) * 1_000_000 + rng.randrange(1_000_000),
        "team_id": team,
    }
