"""Every string a report shows can be hostile: not only app labels but package names, paths,
certificate subjects, settings values, iOS profile names and organisations, the examiner and
case id, custody details, evidence paths. Here every string of a real analysis (a scan of the
infected simulated phone, and an iPhone inventory) is replaced by markup, script URLs,
terminal escapes and bidi overrides, and each report format must stay inert:

- HTML: only the template's own tags and attributes, no event handler, no script, no link or
  resource other than the page's anchors and the locale's helpline sites, and a strict CSP;
- Markdown: no raw HTML, link or image;
- terminal: no escape sequence or control character reaches the screen.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import re
from collections.abc import Mapping
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from rich.console import Console

from stalkerscan import api
from stalkerscan.model.case import AnalysisResult
from stalkerscan.model.ios import (
    IosApp,
    IosCloudConfiguration,
    IosDeviceInfo,
    IosInventory,
    IosProfile,
    IosSigning,
)
from stalkerscan.report import load_locale, render_html
from stalkerscan.report.markdown import render_markdown
from stalkerscan.report.terminal import render_terminal
from stalkerscan.report.verdict import compute_verdict
from stalkerscan.rules import evaluate
from stalkerscan.simulator.android.phone import SimulatedAndroidPhone
from stalkerscan.simulator.android.run import running_host_server
from stalkerscan.simulator.profile import load_profile

PAYLOAD = ('<script>alert(1)</script><img src=x onerror=alert(2)>"\'><a href="javascript:alert(3)">'
           'x</a><iframe src="https://evil.example/"></iframe><link rel=stylesheet '
           'href="https://evil.example/x.css"><meta http-equiv="refresh" content="0;url=https://evil.example/">'
           '{{7*7}}{% raw %}\u202e\x00\x1b[2J\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07 ')

# What report.html.j2 itself writes; anything else came from data.
TEMPLATE_TAGS = {"html", "head", "meta", "title", "style", "body", "a", "header", "h1", "h2", "h3",
                 "h4", "p", "main", "section", "ul", "ol", "li", "nav", "article", "span", "dl",
                 "div", "dt", "dd", "code", "table", "thead", "tbody", "tr", "th", "td", "br",
                 "strong", "footer"}
TEMPLATE_ATTRIBUTES = {"lang", "charset", "http-equiv", "content", "name", "class", "href", "id",
                       "aria-labelledby", "scope", "rel"}


def poison(value: Any) -> Any:
    """The same structure with every plain string replaced by a hostile one (enums kept)."""
    if isinstance(value, (enum.Enum, bool, int, float)) or value is None:
        return value
    if isinstance(value, str):
        return PAYLOAD + value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: poison(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    if isinstance(value, tuple):
        return tuple(poison(v) for v in value)
    if isinstance(value, list):
        return [poison(v) for v in value]
    if isinstance(value, Mapping):
        return {poison(k): poison(v) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def android_result(tmp_path_factory, bundled_signatures) -> AnalysisResult:
    monkeypatch = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    phone = SimulatedAndroidPhone.from_profile(load_profile("android-infected"))
    try:
        with running_host_server([phone]) as address:
            case = api.scan(tmp_path_factory.mktemp("scan") / "case", platform="android",
                            adb_host=address.host, adb_port=address.port,
                            signatures=bundled_signatures, wait_seconds=2.0)
    finally:
        monkeypatch.undo()
    assert case.result is not None and case.result.findings
    return poison(case.result)


@pytest.fixture(scope="module")
def ios_result() -> AnalysisResult:
    inventory = IosInventory(
        device=IosDeviceInfo(udid="00008101-EXAMPLE", serial="EXAMPLEIOS1", name="Example iPhone",
                             product_type="iPhone14,2", ios_version="17.5", passcode_set=True),
        apps=(IosApp("org.example.clock", "Clock", signing=IosSigning.ENTERPRISE,
                     application_type="User",
                     signer_identity="iPhone Distribution: Example Org (EXAMPLE1)"),),
        profiles=(IosProfile("org.example.mdm", display_name="Settings Update",
                             organization="Example Org", description="Manages this phone",
                             removal_disallowed=True, active=True,
                             payload_types=("com.apple.mdm", "com.apple.security.root",
                                            "com.apple.vpn.managed")),),
        cloud_configuration=IosCloudConfiguration(supervised=True, organization="Example Org",
                                                  configuration_url="https://mdm.example.org/x",
                                                  mdm_unremovable=True),
    )
    inventory = poison(inventory)
    findings = evaluate(inventory, (), analysed_on=date(2026, 11, 23))
    assert findings, "the iPhone rules found nothing: the hostile strings are not exercised"
    from stalkerscan.model.case import CaseInfo, CustodyEntry, ManifestEntry, SignatureSetInfo

    signatures = SignatureSetInfo(description="test set", sources=(), families=0, indicators=0)
    result = AnalysisResult(
        info=CaseInfo(case_id="C-1", examiner="Sam", platform="ios", tool_version="0",
                      host="laptop", started_utc="2026-11-23T10:00:00.000000Z",
                      finished_utc="2026-11-23T10:00:12.000000Z", complete=False,
                      incomplete_reason="cut", device_serial="X", device_model="iPhone"),
        inventory=inventory, findings=findings,
        verdict=compute_verdict(findings, inventory, signatures, complete=False),
        signatures=signatures,
        manifest=(ManifestEntry("raw/0002-installed_apps.response", "ab" * 32, 10),),
        custody=(CustodyEntry("2026-11-23T10:00:00.000000Z", "captured",
                              {"path": "raw/0002-installed_apps.response", "note": "n"}),),
        analysed_utc="2026-11-23T10:00:13.000000Z",
    )
    return poison(result)


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _helpline_urls() -> set[str]:
    urls = set()
    for code in ("en", "en-GB"):
        urls |= {h.url for h in load_locale(code).helplines if h.url}
    return urls


@pytest.mark.timeout(120)
@pytest.mark.parametrize("which", ["android", "ios"])
@pytest.mark.parametrize("locale", ["en", "en-GB"])
def test_html_report_of_hostile_strings_is_inert(which, locale, request):
    result = request.getfixturevalue(f"{which}_result")
    html = render_html(result, locale=load_locale(locale))
    page = Page()
    page.feed(html)
    page.close()
    tags = [t for t, _ in page.tags]
    assert set(tags) <= TEMPLATE_TAGS, set(tags) - TEMPLATE_TAGS
    assert tags.count("title") == 1 and tags.count("style") == 1 and tags.count("script") == 0
    attributes = {name for _, attrs in page.tags for name in attrs}
    assert attributes <= TEMPLATE_ATTRIBUTES, attributes - TEMPLATE_ATTRIBUTES
    links = [attrs.get("href") or "" for tag, attrs in page.tags if tag == "a"]
    assert all(h.startswith("#") or h in _helpline_urls() for h in links), links
    metas = [attrs for tag, attrs in page.tags if tag == "meta"]
    assert not [m for m in metas if (m.get("http-equiv") or "").lower() == "refresh"]
    # The one policy, first thing in <head> after the charset: nothing may load or run.
    policy = [m["content"] for m in metas if m.get("http-equiv") == "Content-Security-Policy"]
    assert len(policy) == 1
    assert "default-src 'none'" in policy[0] and "unsafe" not in policy[0]
    assert "script-src" not in policy[0]  # falls back to default-src 'none'
    assert html.index("Content-Security-Policy") < html.index("<style>")
    # Raw control characters never reach the page; the payload is there, as text.
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]", html)
    shown = " ".join(page.text)
    assert "<script>alert(1)</script>" in shown and "{{7*7}}{% raw %}" in shown  # text, unevaluated


@pytest.mark.timeout(120)
@pytest.mark.parametrize("which", ["android", "ios"])
def test_markdown_summary_of_hostile_strings_has_no_markup(which, request):
    text = render_markdown(request.getfixturevalue(f"{which}_result"))
    assert "<" not in text and "](" not in text.replace("\\]", "")
    assert not re.search(r"(?<!\\)!\[|(?<!\\)\[[^\]]*(?<!\\)\]\(", text)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e]", text)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("which", ["android", "ios"])
def test_terminal_summary_of_hostile_strings_has_no_escape_sequences(which, request):
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, color_system=None, width=120)
    render_terminal(request.getfixturevalue(f"{which}_result"), console)
    out = buffer.getvalue()
    assert "script" in out  # the hostile text was printed...
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e]", out)  # ...but inert
