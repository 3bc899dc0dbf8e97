"""What an APK's ``AndroidManifest.xml`` declares: identity, permissions and components.

Read from the binary manifest (:mod:`stalkerscan.apk.axml`). Component class names are
resolved as Android resolves them (``.Foo`` and ``Foo`` are relative to the package). The
label is reported only when it is a raw string; most apps point it at a resource
(``@string/app_name``), whose text lives in ``resources.arsc`` and is not read here:
:attr:`ManifestInfo.label_resource` then holds the resource id.
"""

from __future__ import annotations

from dataclasses import dataclass

from stalkerscan.apk.axml import XmlElement, parse_axml
from stalkerscan.model import ParseProblem

BIND_ACCESSIBILITY_SERVICE = "android.permission.BIND_ACCESSIBILITY_SERVICE"
BIND_DEVICE_ADMIN = "android.permission.BIND_DEVICE_ADMIN"
BIND_NOTIFICATION_LISTENER_SERVICE = "android.permission.BIND_NOTIFICATION_LISTENER_SERVICE"
ACTION_MAIN = "android.intent.action.MAIN"
CATEGORY_LAUNCHER = "android.intent.category.LAUNCHER"
_COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")
_PERMISSION_TAGS = ("uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m")


@dataclass(frozen=True)
class IntentFilter:
    """One ``<intent-filter>``."""

    actions: tuple[str, ...] = ()
    """``<action android:name>`` values."""

    categories: tuple[str, ...] = ()
    """``<category android:name>`` values."""


@dataclass(frozen=True)
class ComponentInfo:
    """An activity, activity alias, service, receiver or provider."""

    kind: str
    """Tag name: ``activity``, ``activity-alias``, ``service``, ``receiver`` or ``provider``."""

    name: str
    """Fully qualified class name (``.Foo`` resolved against the package)."""

    declared_name: str
    """The name as written in the manifest."""

    permission: str | None = None
    """``android:permission``: who may start or bind it (e.g. ``BIND_ACCESSIBILITY_SERVICE``)."""

    exported: bool | None = None
    """``android:exported``, None when not stated."""

    enabled: bool | None = None
    """``android:enabled``, None when not stated (enabled by default)."""

    target_activity: str | None = None
    """For an activity alias, the activity it opens."""

    intent_filters: tuple[IntentFilter, ...] = ()
    """Declared intent filters."""

    @property
    def is_launcher(self) -> bool:
        """Declares a MAIN / LAUNCHER filter: an icon in the app drawer."""
        return any(
            ACTION_MAIN in f.actions and CATEGORY_LAUNCHER in f.categories
            for f in self.intent_filters
        )


@dataclass(frozen=True)
class ManifestInfo:
    """Facts declared by an APK's manifest. ``None`` means not declared or not readable."""

    package: str | None = None
    """The ``package`` attribute."""

    version_code: int | None = None
    """``android:versionCode``."""

    version_name: str | None = None
    """``android:versionName`` when a raw string."""

    label: str | None = None
    """``<application android:label>`` when a raw string."""

    label_resource: int | None = None
    """Resource id of the label when it is a reference (text not read)."""

    min_sdk: int | None = None
    """``<uses-sdk android:minSdkVersion>``."""

    target_sdk: int | None = None
    """``<uses-sdk android:targetSdkVersion>``."""

    permissions: tuple[str, ...] = ()
    """Requested permissions, in manifest order, without duplicates."""

    components: tuple[ComponentInfo, ...] = ()
    """Every component declared under ``<application>``."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""

    def of_kind(self, *kinds: str) -> tuple[ComponentInfo, ...]:
        """Components of the given kinds."""
        return tuple(c for c in self.components if c.kind in kinds)

    @property
    def launcher_activities(self) -> tuple[ComponentInfo, ...]:
        """Activities and aliases with a MAIN / LAUNCHER filter (not disabled)."""
        return tuple(
            c for c in self.of_kind("activity", "activity-alias")
            if c.is_launcher and c.enabled is not False
        )

    @property
    def accessibility_services(self) -> tuple[ComponentInfo, ...]:
        """Services guarded by ``BIND_ACCESSIBILITY_SERVICE``."""
        return tuple(
            c for c in self.of_kind("service") if c.permission == BIND_ACCESSIBILITY_SERVICE
        )

    @property
    def device_admin_receivers(self) -> tuple[ComponentInfo, ...]:
        """Receivers guarded by ``BIND_DEVICE_ADMIN``."""
        return tuple(c for c in self.of_kind("receiver") if c.permission == BIND_DEVICE_ADMIN)

    @property
    def notification_listeners(self) -> tuple[ComponentInfo, ...]:
        """Services guarded by ``BIND_NOTIFICATION_LISTENER_SERVICE``."""
        return tuple(
            c for c in self.of_kind("service")
            if c.permission == BIND_NOTIFICATION_LISTENER_SERVICE
        )


def qualify_class_name(package: str | None, name: str) -> str:
    """Resolve a component class name as Android does (``.Foo`` / ``Foo`` -> ``pkg.Foo``)."""
    if not package:
        return name
    if name.startswith("."):
        return package + name
    if "." not in name:
        return f"{package}.{name}"
    return name


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _intent_filter(element: XmlElement) -> IntentFilter:
    actions = tuple(
        t for child in element.children if child.name == "action"
        if (t := _text(child.value("name"))) is not None
    )
    categories = tuple(
        t for child in element.children if child.name == "category"
        if (t := _text(child.value("name"))) is not None
    )
    return IntentFilter(actions, categories)


def manifest_from_tree(root: XmlElement, *, source: str = "AndroidManifest.xml",
                       problems: tuple[ParseProblem, ...] = ()) -> ManifestInfo:
    """Manifest facts from an already parsed element tree."""
    notes = list(problems)
    if root.name != "manifest":
        notes.append(ParseProblem(source, f"Root element is <{root.name[:50]}>, not <manifest>."))
    package = _text(root.value("package", android=False))
    if package is None:
        notes.append(ParseProblem(source, "No package name in the manifest."))
    permissions: list[str] = []
    min_sdk = target_sdk = None
    label = None
    label_resource = None
    components: list[ComponentInfo] = []
    for child in root.children:
        if child.name in _PERMISSION_TAGS:
            name = _text(child.value("name"))
            if name and name not in permissions:
                permissions.append(name)
        elif child.name == "uses-sdk":
            min_sdk = _integer(child.value("minSdkVersion"))
            target_sdk = _integer(child.value("targetSdkVersion"))
    applications = [c for c in root.children if c.name == "application"]
    if len(applications) > 1:
        notes.append(ParseProblem(source, "More than one <application>; the first was used."))
    if applications:
        application = applications[0]
        label_attribute = application.attribute("label")
        if label_attribute is not None:
            label = _text(label_attribute.value)
            label_resource = label_attribute.reference
        for element in application.children:
            if element.name not in _COMPONENT_TAGS:
                continue
            declared = _text(element.value("name"))
            if not declared:
                notes.append(ParseProblem(source, f"A <{element.name}> has no class name."))
                continue
            target = _text(element.value("targetActivity"))
            components.append(ComponentInfo(
                kind=element.name,
                name=qualify_class_name(package, declared),
                declared_name=declared,
                permission=_text(element.value("permission")),
                exported=_flag(element.value("exported")),
                enabled=_flag(element.value("enabled")),
                target_activity=qualify_class_name(package, target) if target else None,
                intent_filters=tuple(
                    _intent_filter(f) for f in element.children if f.name == "intent-filter"
                ),
            ))
    return ManifestInfo(
        package=package,
        version_code=_integer(root.value("versionCode")),
        version_name=_text(root.value("versionName")),
        label=label,
        label_resource=label_resource,
        min_sdk=min_sdk,
        target_sdk=target_sdk,
        permissions=tuple(permissions),
        components=tuple(components),
        problems=tuple(notes),
    )


def read_manifest(data: bytes, *, source: str = "AndroidManifest.xml") -> ManifestInfo:
    """Parse a binary ``AndroidManifest.xml``. Never raises."""
    document = parse_axml(data, source=source)
    if document.root is None:
        return ManifestInfo(problems=document.problems)
    return manifest_from_tree(document.root, source=source, problems=document.problems)
