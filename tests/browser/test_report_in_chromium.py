"""What a reader sees: the HTML report of a scanned phone, rendered by headless Chromium.

The phone is hostile: its app labels carry markup, script, a right-to-left override and a
huge label. In the rendered page they must be text, never elements, and the verdict must come
first. Needs Debian's chromium (CI installs it); skipped without it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from android_scan_helpers import phone_from, scan_phone

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package chromium)"),
    pytest.mark.timeout(180),
]

HOSTILE_LABELS = {
    "org.example.hostile.script": "<script>alert('x')</script>",
    "org.example.hostile.img": "<img src=x onerror=alert(1)>Free Wi-Fi",
    "org.example.hostile.title": "</title></style><h1>Injected</h1>",
    "org.example.hostile.rtl": "System\u202egnp.exe",
    "org.example.hostile.long": "Update " + "A" * 200_000,
}


def chromium(*args: str, profile_dir: Path) -> subprocess.CompletedProcess[bytes]:
    # Background networking off: the sandbox has no network and the report needs none.
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile_dir}"]
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    from stalkerscan.signatures.signature_set import load_signature_set

    apps = [{"package": package, "label": label, "installer": "com.android.shell", "launcher": False,
             "accessibility_services": [{"class": ".Svc", "label": label[:200], "enabled": True, "bound": True}]}
            for package, label in HOSTILE_LABELS.items()]
    profile = {"platform": "android", "name": "hostile", "generate": {"ordinary_apps": 10}, "apps": apps}
    phone = phone_from(profile)
    out = tmp_path_factory.mktemp("hostile") / "case"
    case = scan_phone(phone, out, load_signature_set(include_community=False), pull_apks="sideloaded")
    assert case.report_html.is_file()
    return case


def test_hostile_labels_are_text_not_elements(hostile_report, tmp_path):
    result = chromium("--dump-dom", hostile_report.report_html.as_uri(), profile_dir=tmp_path / "p")
    dom = result.stdout.decode("utf-8", "replace")
    assert "</html>" in dom, result.stderr[-2000:]
    lowered = dom.lower()
    assert "<script" not in lowered
    assert "<img" not in lowered
    assert "<h1>injected" not in lowered
    assert "&lt;script&gt;alert" in dom  # shown to the reader as text
    assert "\u202e" not in dom  # the override is neutralised, shown as a visible marker
    assert "A" * 5000 not in dom  # the huge label is cut


def test_verdict_comes_first_and_the_page_prints(hostile_report, tmp_path):
    dom = chromium("--dump-dom", hostile_report.report_html.as_uri(), profile_dir=tmp_path / "p").stdout.decode()
    headline = hostile_report.result.verdict.headline
    assert headline in dom
    assert dom.index(headline) < dom.index("What was found")
    pdf = tmp_path / "report.pdf"
    chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", hostile_report.report_html.as_uri(),
             profile_dir=tmp_path / "p2")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 2
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, timeout=60).stdout.decode()
        assert headline in " ".join(text.split())


def test_screenshot_renders(hostile_report, tmp_path):
    png = tmp_path / "shot.png"
    chromium(f"--screenshot={png}", "--window-size=1000,1600", hostile_report.report_html.as_uri(),
             profile_dir=tmp_path / "p")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
