"""Generate realistic haystacks of ordinary apps for simulated phones.

``generate: {ordinary_apps: 220, seed: 7}`` in a profile becomes: the vendor's system image
(AOSP core packages plus the Google or Samsung system apps, some updated from the Play
Store) and ``ordinary_apps`` popular store apps installed by ``com.android.vending`` over the
last two years, with plausible versions, permissions and grants. Everything is derived from
the seed, so the same profile always describes the same phone.

When more apps are asked for than the bundled catalogue holds, the rest are deterministic
variants of well-known app kinds under ``com.example.store.*`` names (still installed from
the store, still ordinary), so that 10,000-app phones can be simulated.
"""

from __future__ import annotations

import base64
import hashlib
import random

from stalkerscan.simulator.android import permissions as perms
from stalkerscan.simulator.android.catalog import (
    AOSP_CORE,
    GOOGLE_SYSTEM,
    SAMSUNG_SYSTEM,
    SHARED_UIDS,
    STORE_APPS,
    SystemPackage,
)
from stalkerscan.simulator.android.profile import (
    ApkLayout,
    AppSpec,
    Component,
    FactoryPackage,
)

# What factory images record as install time: 2009-01-01 00:00:00 UTC (shown as
# 2008-12-31 16:00:00 on a phone set to Pacific time, as in the public Samsung capture).
FACTORY_TIME_MS = {"aosp": 1230768000000, "samsung": 1230768000000}
_DAY_MS = 86_400_000
_NEWEST_MS = 1_706_745_600_000  # 2024-02-01 00:00 UTC: the default "now" of generated phones

_PARTITION_ROOT = {"system": "/system", "product": "/product", "system_ext": "/system_ext",
                   "vendor": "/vendor"}

_KINDS = ("game", "shopping", "media", "productivity", "utility", "photo", "travel",
          "fitness", "education", "reading", "finance", "social", "navigation")
_KIND_WORDS = {
    "game": ("Puzzle", "Racing", "Solitaire", "Match", "Tower", "Farm", "Word", "Chess"),
    "shopping": ("Market", "Deals", "Grocery", "Coupons", "Fashion", "Outlet"),
    "media": ("Radio", "Podcast", "Music", "Stream", "Video"),
    "productivity": ("Notes", "Tasks", "Scanner", "Calendar", "Docs", "Mail"),
    "utility": ("Flashlight", "Weather", "Battery", "QR", "Converter", "Clock"),
    "photo": ("Camera", "Collage", "Filters", "Editor", "Gallery"),
    "travel": ("Trips", "Hotels", "Flights", "Trains", "Maps"),
    "fitness": ("Steps", "Yoga", "Workout", "Running", "Sleep"),
    "education": ("Math", "Language", "Quiz", "Flashcards", "Kids"),
    "reading": ("News", "Books", "Comics", "Magazine"),
    "finance": ("Bank", "Budget", "Wallet", "Stocks"),
    "social": ("Chat", "Community", "Forum", "Meetup"),
    "navigation": ("Transit", "Parking", "Bike", "Taxi"),
}


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _b64_token(*parts: object) -> str:
    """A token like Android's random code-path parts: base64url of 16 bytes, with '=='."""
    digest = hashlib.sha256("\x1e".join(map(str, parts)).encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode()


def apk_path_for(package: str, *, sdk: int, system: bool, partition: str, privileged: bool,
                 seed: int, split_names: tuple[str, ...] = (),
                 apk_dir: str | None = None) -> tuple[str, tuple[str, ...]]:
    """Base APK path and split paths, in the layout this Android version uses."""
    if system and partition != "data":
        name = apk_dir or package.rsplit(".", 1)[-1].capitalize()
        root = _PARTITION_ROOT.get(partition, "/system")
        if partition == "system_ext" and sdk < 30:
            root = "/system/product" if sdk >= 29 else "/system"
        if partition == "product" and sdk < 28:
            root = "/system"
        sub = "priv-app" if privileged else "app"
        directory = f"{root}/{sub}/{name}"
        base = f"{directory}/{name}.apk"
    else:
        token = _b64_token(package, seed, "code")
        if sdk >= 30:
            outer = _b64_token(package, seed, "outer")
            directory = f"/data/app/~~{outer}/{package}-{token}"
        else:
            directory = f"/data/app/{package}-{token}"
        base = f"{directory}/base.apk"
    splits = tuple(f"{directory}/split_{n}.apk" for n in split_names)
    return base, splits


def signature_signer_default(package: str, system: bool) -> str:
    """Which bundled simulator key signs an app by default."""
    if system or package.startswith(("com.google.", "com.android.", "com.samsung.", "com.sec.")):
        return "sim-store-vendor"
    return "sim-developer-2" if int(hashlib.sha256(package.encode()).hexdigest(), 16) % 2 \
        else "sim-developer-3"


def _version(rng: random.Random, package: str) -> tuple[int, str]:
    if package == "com.whatsapp":
        a, b = rng.randint(20, 24), rng.randint(1, 25)
        c = rng.randint(1, 99)
        return 2 * 10**5 + a * 10**4 + b * 100 + c % 100, f"2.{a}.{b}.{c}"
    if package in ("com.android.chrome", "com.brave.browser", "com.microsoft.emmx"):
        major = rng.randint(118, 122)
        build = rng.randint(5993, 6261)
        patch = rng.randint(40, 180)
        return 6 * 10**8 + build * 1000 + patch, f"{major}.0.{build}.{patch}"
    if package == "com.google.android.gms":
        major = rng.randint(23, 24)
        minor = rng.randint(1, 49)
        return 240000000 + minor * 100000 + 37, f"{major}.{minor:02d}.13 (190400-{rng.randint(600000000, 610000000)})"
    if package == "com.android.vending":
        major = rng.randint(38, 39)
        minor = rng.randint(1, 39)
        return 80000000 + major * 100000 + minor * 100 + 10, f"{major}.{minor}.10-21 [0] [PR] {rng.randint(590000000, 600000000)}"
    style = rng.randint(0, 3)
    major, minor, patch = rng.randint(1, 30), rng.randint(0, 60), rng.randint(0, 40)
    if style == 0:
        return major * 10**6 + minor * 10**3 + patch, f"{major}.{minor}.{patch}"
    if style == 1:
        year = rng.randint(2023, 2024)
        week = rng.randint(1, 52)
        return int(f"{year % 100}{week:02d}{patch:03d}"), f"{year}.{week}.{patch}"
    if style == 2:
        return major * 10000 + minor * 100 + patch, f"{major}.{minor}"
    build = rng.randint(100, 999)
    return major * 10**7 + minor * 10**4 + build, f"{major}.{minor}.{patch}.{build}"


def _grants(rng: random.Random, requested: tuple[str, ...], generous: float) -> frozenset[str]:
    granted = set()
    for permission in requested:
        if perms.is_runtime(permission):
            if rng.random() < generous:
                granted.add(permission)
        elif permission not in perms.SPECIAL_ACCESS:
            granted.add(permission)
    return frozenset(granted)


def _system_app(entry: SystemPackage, *, sdk: int, vendor: str, seed: int, uid: int,
                newest_ms: int) -> AppSpec:
    rng = _rng(seed, "system", entry.package)
    factory_ms = FACTORY_TIME_MS[vendor]
    code, name = _version(rng, entry.package)
    category = entry.category
    requested = perms.for_category(category, sdk)
    shared_uid = SHARED_UIDS.get(entry.shared_user or "")
    apk_dir = entry.apk_dir
    partition = entry.partition if vendor == "aosp" else "system"
    base, _ = apk_path_for(entry.package, sdk=sdk, system=True, partition=partition,
                           privileged=entry.privileged, seed=seed, apk_dir=apk_dir)
    if entry.package == "android":
        base = "/system/framework/framework-res.apk"
    updated = entry.updatable and rng.random() < 0.8
    factory = None
    install_ms = factory_ms
    update_ms = factory_ms
    splits: tuple[str, ...] = ()
    split_paths: tuple[str, ...] = ()
    if updated:
        factory = FactoryPackage(base, max(1, code - rng.randint(1000, 90000)), name)
        update_ms = newest_ms - rng.randint(1, 120) * _DAY_MS - rng.randint(0, _DAY_MS)
        code_path_base, _ = apk_path_for(entry.package, sdk=sdk, system=False, partition="data",
                                         privileged=False, seed=seed)
        splits = ("config.arm64_v8a", "config.en", "config.xxhdpi") if rng.random() < 0.6 else ()
        directory = code_path_base.rsplit("/", 1)[0]
        base = code_path_base
        split_paths = tuple(f"{directory}/split_{s}.apk" for s in splits)
    launcher = entry.launcher
    if launcher is not None and launcher.startswith("."):
        launcher = entry.package + launcher
    return AppSpec(
        package=entry.package, label=entry.label, version_code=code, version_name=name,
        uid=shared_uid if shared_uid is not None else uid,
        apk=ApkLayout(base_path=base, split_names=splits, split_paths=split_paths,
                      signer="sim-store-vendor"),
        min_sdk=min(sdk, 28), target_sdk=sdk, shared_user=entry.shared_user,
        installer="com.android.vending" if updated else None,
        initiating="com.android.vending" if updated and sdk >= 30 else None,
        install_time_ms=install_ms, update_time_ms=update_ms, system=True,
        updated_system=updated, factory=factory, privileged=entry.privileged,
        partition=partition, requested_permissions=requested,
        granted_permissions=_grants(rng, requested, 0.9), launcher_activity=launcher,
        signing_version=3 if sdk >= 28 else 2, category=category,
        package_source=0)


def generate_apps(*, sdk: int, vendor: str, ordinary: int, seed: int, system_apps: bool = True,
                  newest_ms: int | None = None) -> list[AppSpec]:
    """System image apps (when ``system_apps``) plus ``ordinary`` store apps."""
    newest = newest_ms or _NEWEST_MS
    apps: list[AppSpec] = []
    uid = 10010
    if system_apps:
        catalogue = AOSP_CORE + (GOOGLE_SYSTEM if vendor == "aosp" else SAMSUNG_SYSTEM)
        seen: set[str] = set()
        for entry in catalogue:
            if entry.package in seen:
                continue
            seen.add(entry.package)
            apps.append(_system_app(entry, sdk=sdk, vendor=vendor, seed=seed, uid=uid,
                                    newest_ms=newest))
            if entry.shared_user is None:
                uid += 1
    taken = {a.package for a in apps}
    uid = max(uid, 10150)
    store = [app for app in STORE_APPS if app.package not in taken]
    rng = _rng(seed, "store-order")
    rng.shuffle(store)
    chosen: list[tuple[str, str, str, str]] = [
        (app.package, app.label, app.category, app.launcher) for app in store[:ordinary]]
    extra = ordinary - len(chosen)
    for index in range(max(0, extra)):
        kind = _KINDS[index % len(_KINDS)]
        words = _KIND_WORDS[kind]
        word = words[(index // len(_KINDS)) % len(words)]
        number = index // (len(_KINDS) * len(words)) + 1
        package = f"com.example.store.{kind}.{word.lower()}{number}"
        chosen.append((package, f"{word} {kind.title()} {number}", kind, ".MainActivity"))
    # Install order: spread over the two years before ``newest``.
    times = sorted(_rng(seed, "times", i).randint(0, 730) for i in range(len(chosen)))
    for (package, label, category, launcher), age_days in zip(chosen, reversed(times), strict=True):
        rng = _rng(seed, "store", package)
        code, name = _version(rng, package)
        requested = perms.for_category(category, sdk)
        install_ms = newest - age_days * _DAY_MS - rng.randint(0, _DAY_MS)
        update_ms = min(newest, install_ms + rng.randint(0, max(1, age_days)) * _DAY_MS)
        split_names = ("config.arm64_v8a", "config.en", "config.xxhdpi") \
            if rng.random() < 0.45 else ()
        base, split_paths = apk_path_for(package, sdk=sdk, system=False, partition="data",
                                         privileged=False, seed=seed, split_names=split_names)
        apps.append(AppSpec(
            package=package, label=label, version_code=code, version_name=name, uid=uid,
            apk=ApkLayout(base_path=base, split_names=split_names, split_paths=split_paths,
                          signer=signature_signer_default(package, False)),
            min_sdk=rng.choice((21, 23, 24, 26)), target_sdk=min(sdk, rng.choice((33, 34, 34))),
            installer="com.android.vending",
            initiating="com.android.vending" if sdk >= 30 else None,
            package_source=2 if sdk >= 33 else 0,
            install_time_ms=install_ms, update_time_ms=update_ms,
            requested_permissions=requested, granted_permissions=_grants(rng, requested, 0.55),
            launcher_activity=Component.parse(package, launcher).cls,
            signing_version=rng.choice((2, 3)) if sdk >= 28 else 2, category=category,
            stopped=rng.random() < 0.05))
        uid += 1
    return apps
