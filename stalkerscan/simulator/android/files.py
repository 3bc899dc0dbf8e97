"""The simulated phone's file system, as the adb shell user sees it.

It holds every app's APK files (base and splits, at the paths ``pm`` prints), the factory
copies of updated system apps, any ``su`` binaries the profile lists, a few system files and
the basics of shared storage (``/sdcard`` and its aliases). APK bytes are built only when a
file is read or stat'ed, by :mod:`stalkerscan.simulator.apkgen` (imported lazily), and
cached; building is deterministic, so sizes and hashes never change within a run.

Like the real shell user, it cannot list ``/data`` or ``/data/app`` (permission denied) but
can stat and read an APK whose path it knows, and it cannot see into ``/data/adb``.
"""

from __future__ import annotations

import io
import threading
import zipfile
from dataclasses import dataclass
from typing import Literal

from stalkerscan.simulator.android.base import FileStat
from stalkerscan.simulator.android.profile import AndroidProfile, AppSpec

S_IFREG = 0o100000
S_IFDIR = 0o040000

_ALIASES = ("/sdcard", "/storage/self/primary", "/mnt/sdcard")
_PRIMARY = "/storage/emulated/0"
# Directories the shell user may not list (opendir fails) although it may pass through them.
_UNLISTABLE = ("/data", "/data/app", "/data/data", "/data/user", "/data/user_de",
               "/data/system", "/data/misc")
# Directories the shell user may not even pass through (stat of anything inside fails).
_UNSEARCHABLE = ("/data/adb", "/data/data", "/data/user", "/data/system", "/data/misc")

Access = Literal["ok", "missing", "denied"]


@dataclass(frozen=True)
class _Entry:
    kind: str
    """``apk``, ``factory_apk``, ``split``, ``blob``."""

    app: AppSpec | None
    """Owner app for APKs."""

    split: str | None
    """Split name for split APKs."""

    data: bytes | None
    """Content of small files."""

    mode: int
    """Permission bits and type."""

    mtime: int
    """Modification time."""


class PhoneFiles:
    """Files and directories of one simulated phone."""

    def __init__(self, profile: AndroidProfile) -> None:
        self.profile = profile
        self._entries: dict[str, _Entry] = {}
        self._dirs: set[str] = {"/"}
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._build()

    # ------------------------------------------------------------------ index
    def _add(self, path: str, entry: _Entry) -> None:
        self._entries[path] = entry
        parent = path.rsplit("/", 1)[0]
        while parent and parent not in self._dirs:
            self._dirs.add(parent)
            parent = parent.rsplit("/", 1)[0]

    def _build(self) -> None:
        boot = 1_700_000_000
        for app in self.profile.apps:
            mtime = app.update_time_ms // 1000
            self._add(app.apk.base_path, _Entry("apk", app, None, None, S_IFREG | 0o644, mtime))
            for name, path in zip(app.apk.split_names, app.apk.split_paths, strict=True):
                self._add(path, _Entry("split", app, name, None, S_IFREG | 0o644, mtime))
            if app.factory is not None:
                self._add(app.factory.path, _Entry("factory_apk", app, None, None,
                                                   S_IFREG | 0o644, 1230768000))
        for path in self.profile.su_paths:
            if path.startswith(_ALIASES):
                path = self._canonical(path)
            self._add(path, _Entry("blob", None, None, _ELF_STUB, S_IFREG | 0o6755, boot))
        props = "".join(f"{k}={v}\n" for k, v in sorted(self.profile.properties.items())
                        if k.startswith("ro.build.") or k.startswith("ro.product."))
        self._add("/system/build.prop", _Entry("blob", None, None,
                                               props.encode("utf-8", "surrogateescape"),
                                               S_IFREG | 0o600, boot))
        version = (f"Linux version 5.10.198-android13-4-g{self.profile.seed % 0xFFFFFFF:07x} "
                   "(build-user@build-host) (Android (8508608, based on r450784e) clang "
                   "version 14.0.7) #1 SMP PREEMPT Mon Jan 1 00:00:00 UTC 2024\n")
        self._add("/proc/version", _Entry("blob", None, None, version.encode(), S_IFREG | 0o444,
                                          boot))
        for binary in ("sh", "ls", "cat", "pm", "cmd", "dumpsys", "getprop", "settings", "id",
                       "date", "toybox", "appops", "stat", "uname", "which"):
            self._add(f"/system/bin/{binary}", _Entry("blob", None, None, _ELF_STUB,
                                                      S_IFREG | 0o755, boot))
        for folder in ("Alarms", "Android/data", "Android/media", "Audiobooks", "DCIM/Camera",
                       "Documents", "Download", "Movies", "Music", "Notifications", "Pictures",
                       "Podcasts", "Recordings", "Ringtones"):
            self._dirs.add(f"{_PRIMARY}/{folder}")
            parent = f"{_PRIMARY}/{folder}".rsplit("/", 1)[0]
            while parent and parent not in self._dirs:
                self._dirs.add(parent)
                parent = parent.rsplit("/", 1)[0]
        self._add(f"{_PRIMARY}/Download/shopping-list.txt",
                  _Entry("blob", None, None, b"milk\nbread\nbatteries\n", S_IFREG | 0o660,
                         1_705_000_000))
        self._add(f"{_PRIMARY}/DCIM/Camera/IMG_20240112_101502.jpg",
                  _Entry("blob", None, None, _JPEG_STUB, S_IFREG | 0o660, 1_705_054_502))
        for alias in _ALIASES:
            parent = alias.rsplit("/", 1)[0] or "/"
            self._dirs.add(parent)

    @staticmethod
    def _canonical(path: str) -> str:
        path = "/" + "/".join(part for part in path.split("/") if part and part != ".")
        for alias in _ALIASES:
            if path == alias or path.startswith(alias + "/"):
                return _PRIMARY + path[len(alias):]
        return path

    # ------------------------------------------------------------------ queries
    def access(self, path: str) -> Access:
        """Whether the shell user can stat ``path``: ok, missing or denied."""
        canonical = self._canonical(path)
        for prefix in _UNSEARCHABLE:
            if canonical.startswith(prefix + "/"):
                return "denied"
        if canonical in self._entries or canonical in self._dirs or canonical in _ALIASES:
            return "ok"
        return "missing"

    def is_dir(self, path: str) -> bool:
        """True for directories (and the shared-storage aliases)."""
        canonical = self._canonical(path)
        return canonical in self._dirs

    def can_list(self, path: str) -> bool:
        """Whether the shell user may list this directory."""
        canonical = self._canonical(path)
        return canonical not in _UNLISTABLE and not any(
            canonical.startswith(p + "/") for p in _UNSEARCHABLE)

    def stat(self, path: str) -> FileStat | None:
        """STAT as the sync service reports it (None when missing or not accessible)."""
        if self.access(path) != "ok":
            return None
        canonical = self._canonical(path)
        entry = self._entries.get(canonical)
        if entry is None:
            mode = S_IFDIR | (0o771 if canonical.startswith("/storage") else 0o755)
            return FileStat(mode, 4096, 1_700_000_000)
        return FileStat(entry.mode, len(self._content(canonical, entry)), entry.mtime)

    def read(self, path: str) -> bytes | None:
        """File bytes (None when missing, a directory, or not accessible)."""
        if self.access(path) != "ok":
            return None
        canonical = self._canonical(path)
        entry = self._entries.get(canonical)
        if entry is None:
            return None
        return self._content(canonical, entry)

    def listdir(self, path: str) -> list[str]:
        """Names in a directory the shell user may list."""
        canonical = self._canonical(path)
        if canonical not in self._dirs or not self.can_list(canonical):
            return []
        prefix = canonical.rstrip("/") + "/"
        names = {p[len(prefix):].split("/", 1)[0] for p in self._entries if p.startswith(prefix)}
        names |= {d[len(prefix):].split("/", 1)[0] for d in self._dirs
                  if d.startswith(prefix) and d != canonical}
        if canonical == "/":
            names.add("sdcard")
        return sorted(names)

    def apk_paths(self) -> list[str]:
        """Every APK path the phone has."""
        return [p for p, e in self._entries.items() if e.kind in ("apk", "split", "factory_apk")]

    # ------------------------------------------------------------------ content
    def _content(self, path: str, entry: _Entry) -> bytes:
        if entry.data is not None:
            return entry.data
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None:
            return cached
        assert entry.app is not None
        data = build_apk_bytes(entry.app, split=entry.split, factory=entry.kind == "factory_apk")
        with self._lock:
            self._cache.setdefault(path, data)
            return self._cache[path]


def build_apk_bytes(app: AppSpec, *, split: str | None = None, factory: bool = False) -> bytes:
    """The APK file of an app (or one of its splits), built by apkgen."""
    try:
        from stalkerscan.simulator.apkgen import ApkSpec, build_apk
    except ImportError:  # apkgen not part of this installation: a minimal, valid zip
        return _fallback_zip(app, split)
    version_code = app.factory.version_code if factory and app.factory else app.version_code
    version_name = app.factory.version_name if factory and app.factory else app.version_name
    if split is not None:
        spec = ApkSpec(package=app.package, label=None, version_code=version_code,
                       version_name=version_name, permissions=(), launcher_activity=None,
                       extra_entries={f"res/raw/{split}.bin": split.encode() * 64},
                       signer=app.apk.signer, schemes=app.apk.schemes)
    else:
        spec = ApkSpec(
            package=app.package, label=app.label, version_code=version_code,
            version_name=version_name, permissions=app.requested_permissions,
            launcher_activity=app.launcher_activity,
            accessibility_services=tuple(s.component.cls for s in app.accessibility_services),
            device_admin_receivers=tuple(a.component.cls for a in app.device_admins),
            notification_listeners=tuple(n.component.cls for n in app.notification_listeners),
            dex_strings=app.apk.dex_strings, native_libs=dict(app.apk.native_libs),
            extra_entries=dict(app.apk.extra_entries), signer=app.apk.signer,
            schemes=app.apk.schemes, padding_bytes=app.apk.padding_bytes)
    try:
        return build_apk(spec)
    except UnicodeError:
        # A hostile label that is not encodable text: the manifest carries a cleaned copy.
        from dataclasses import replace

        clean = app.label.encode("utf-8", "replace").decode("utf-8", "replace")
        return build_apk(replace(spec, label=clean))


def _fallback_zip(app: AppSpec, split: str | None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        info = zipfile.ZipInfo("AndroidManifest.xml", (1980, 1, 1, 0, 0, 0))
        archive.writestr(info, f"<manifest package='{app.package}' split='{split or ''}'/>")
    return buffer.getvalue()


_ELF_STUB = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x03\x00\xb7\x00" + b"\x00" * 44
_JPEG_STUB = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
