"""Drafting a family file from a case's evidence (``stalkerscan signatures propose``).

The draft lists what the case folder shows about one app (package name, signing
certificates, APK hashes, components) and leaves TODOs for what only a researcher can
supply: the family's name and type, and a *public reference* that names these identifiers.
Until the TODOs are replaced the draft fails ``signatures lint`` on purpose.
"""

from __future__ import annotations

import datetime as _dt
import json

from stalkerscan.model.android import AndroidApp, AndroidInventory
from stalkerscan.signatures.normalize import expand_component, normalize_hex, slugify
from stalkerscan.signatures.shared_keys import shared_certificate


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _components(app: AndroidApp, inventory: AndroidInventory | None) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"accessibility_services": [], "device_admin_receivers": [],
                                   "notification_listeners": []}
    if inventory is None:
        return found
    listed = (("accessibility_services", [s.component for s in inventory.accessibility_services]),
              ("device_admin_receivers", [a.component for a in inventory.device_admins]),
              ("notification_listeners", [n.component for n in inventory.notification_listeners]))
    for key, components in listed:
        for component in components:
            parsed = expand_component(component)
            if parsed and parsed[0] == app.package and parsed[1] not in found[key]:
                found[key].append(parsed[1])
    return found


def propose_family(app: AndroidApp, inventory: AndroidInventory | None = None, *,
                   family_id: str | None = None, case_name: str | None = None,
                   today: _dt.date | None = None) -> str:
    """YAML text of a draft family for ``app`` (components come from ``inventory``)."""
    day = (today or _dt.datetime.now(_dt.timezone.utc).date()).isoformat()
    draft_id = family_id or slugify(app.label or app.package.rsplit(".", 1)[-1])
    sha1s: list[str] = []
    sha256s: list[str] = []
    refused: dict[str, str] = {}  # digest -> what the shared certificate is
    apk_hashes: list[str] = []
    for apk in app.apks:
        digest = normalize_hex(apk.sha256, "sha256") if apk.sha256 else None
        if digest and digest not in apk_hashes:
            apk_hashes.append(digest)
        for cert in apk.certificates:
            for value, bucket, algo in ((cert.sha1, sha1s, "sha1"), (cert.sha256, sha256s, "sha256")):
                normal = normalize_hex(value, algo) if value else None
                if not normal:
                    continue
                shared = shared_certificate(normal)
                if shared is not None:
                    refused[normal] = shared.name
                elif normal not in bucket:
                    bucket.append(normal)
    components = _components(app, inventory)

    lines = [
        f"# Draft family proposed by stalkerscan on {day}"
        + (f" from case {case_name}" if case_name else "") + ".",
        "# Complete every TODO, then run: stalkerscan signatures lint <this file>",
        "# and stalkerscan signatures test <this file>. Never add an identifier that the",
        "# public references below do not name.",
        f"id: {draft_id}  # TODO: the product's usual name in lower case, as community feeds use it",
        f"name: {_q(app.label or draft_id)}  # TODO: the product's name",
        "type: stalkerware  # TODO: stalkerware, spyware, watchware or dual-use",
        "platforms: [android]",
        "android:",
        "  packages:",
        f"    - {_q(app.package)}",
    ]
    if sha1s or sha256s:
        lines.append("  certificates:")
        if sha1s:
            lines.append("    sha1:")
            lines.extend(f"      - {_q(v)}" for v in sha1s)
        if sha256s:
            lines.append("    sha256:")
            lines.extend(f"      - {_q(v)}" for v in sha256s)
    for digest, name in refused.items():
        lines.append(f"  # not listed: certificate {digest} ({name}: public key, no evidence)")
    if apk_hashes:
        lines.append("  apk_sha256:")
        lines.extend(f"    - {_q(v)}" for v in apk_hashes)
    elif not app.apks:
        lines.append("  # no APK was pulled in this case: add APK hashes from a sample if you have one")
    if any(components.values()):
        lines.append("  components:")
        for key, values in components.items():
            if values:
                lines.append(f"    {key}:")
                lines.extend(f"      - {_q(v)}" for v in values)
    lines += [
        "references:",
        "  - TODO  # public URL of a report or article that names these identifiers",
        "source: stalkerscan",
        "licence: CC-BY-4.0",
        f"first_seen: \"{day}\"  # TODO: when the family was first seen, if known",
        f"last_verified: \"{day}\"",
        "contributors: [TODO]",
        "tests:",
        "  - description: the app seen in the case is found",
        "    expect: match",
        f"    strength: {'strong' if (sha1s or sha256s or apk_hashes) else 'medium'}",
        "    android:",
        "      apps:",
        f"        - package: {_q(app.package)}",
    ]
    if sha1s:
        lines.append(f"          certificates_sha1: [{_q(sha1s[0])}]")
    elif apk_hashes:
        lines.append(f"          apk_sha256: [{_q(apk_hashes[0])}]")
    lines += [
        "  - description: a longer name that starts the same is not a match",
        "    expect: no-match",
        "    android:",
        "      apps:",
        f"        - package: {_q(app.package + '.example')}",
    ]
    return "\n".join(lines) + "\n"
