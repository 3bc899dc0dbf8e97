"""The HTML report: self-contained, strict CSP, verdict first, hostile text inert, safe advice."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from html.parser import HTMLParser

import casekit
import pytest

from stalkerscan.report import load_locale, render_html
from stalkerscan.report.wording import unsafe_advice


class _Page(HTMLParser):
    """What a reader sees: text (without the stylesheet), tags, attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.style: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "br", "link", "img", "input"):
            self._in.append(tag)

    def handle_endtag(self, tag):
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data):
        if self._in and self._in[-1] == "style":
            self.style.append(data)
        else:
            self.text.append(data)


def page(html: str) -> _Page:
    parsed = _Page()
    parsed.feed(html)
    parsed.close()
    return parsed


def visible_text(html: str, sep: str = " ") -> str:
    """The page's text; ``sep="\n"`` keeps each element's text apart (for sentence checks)."""
    return sep.join(" ".join(node.split()) for node in page(html).text if node.strip())


@pytest.fixture(scope="module")
def infected_html() -> str:
    return render_html(casekit.infected_android(), locale=load_locale("en-GB"))


def test_self_contained_with_a_strict_policy(infected_html: str) -> None:
    parsed = page(infected_html)
    [csp] = [a["content"] for t, a in parsed.tags
             if t == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"]
    assert csp.startswith("default-src 'none'; ")
    assert "img-src data:" in csp and "script-src" not in csp
    style = "".join(parsed.style)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp  # the hash matches the stylesheet byte for byte
    assert "<script" not in infected_html.lower()
    assert not [t for t, a in parsed.tags if t in ("script", "link", "iframe", "object", "img")]
    assert not [a for _, a in parsed.tags if "src" in a or any(k.startswith("on") for k in a)]
    assert "url(" not in style and "@import" not in style
    assert parsed.tags[0] == ("html", {"lang": "en-GB"})


def test_printable_on_paper(infected_html: str) -> None:
    style = "".join(page(infected_html).style)
    assert "@page" in style and "@media print" in style
    # Rows and headings stay whole; a whole finding may not (it can be longer than a page).
    assert re.search(r"tr[^{]*\{[^}]*break-inside: avoid", style)
    assert re.search(r"h2, h3, h4 \{[^}]*break-after: avoid", style)


def test_verdict_comes_first_then_findings_with_evidence(infected_html: str) -> None:
    text = visible_text(infected_html)
    assert text.index("Known stalkerware found") < text.index("Finding 1")
    assert text.index("Before changing anything on this phone") < text.index("Finding 1")
    result = casekit.infected_android()
    assert "Finding 7" in text and "Finding 8" not in text
    assert "About The phone itself" in text  # device-wide findings say so in words
    # The finding cites the dumpsys file with its manifest hash and evidence-log number.
    dumpsys = next(e for e in result.manifest if e.path == "raw/0004-dumpsys_package.stdout")
    assert dumpsys.sha256 in text
    numbered = sorted(result.manifest, key=lambda e: e.path)
    number = numbered.index(dumpsys) + 1
    assert f"evidence log no. {number}" in text
    assert f'id="e{number}"' in infected_html
    # The pulled APK is evidence of the signature finding.
    apk = next(e for e in result.manifest if e.path.startswith("apks/"))
    assert infected_html.count(apk.sha256) >= 2  # in the finding and in the evidence log
    # Where the signature came from: source, version, licence and reference, in one line.
    assert "stalkerscan, 2026.11, CC-BY-4.0, https://example.org/reports/example-stalker" in text


def test_evidence_log_and_chain_of_custody(infected_html: str) -> None:
    text = visible_text(infected_html)
    result = casekit.infected_android()
    for entry in result.manifest:
        assert entry.path in text and entry.sha256 in text
    for label in ("Evidence log", "Chain of custody", "A. Advocate", "stalkerscan 0.1.0",
                  "2026-11-23T10:00:00.000000Z", "2.4 seconds ahead of the computer's clock",
                  "stalkerscan bundled 2026.11 (test set)", "clinic-laptop", "scan_finished"):
        assert label in text, label


def test_never_tells_anyone_to_uninstall_or_reset(infected_html: str) -> None:
    text = visible_text(infected_html)
    assert unsafe_advice(visible_text(infected_html, "\n")) == []
    for phrase in ("uninstall it", "factory reset your", "remove the app", "delete the app",
                   "disable the app", "reset your phone"):
        assert phrase not in text.lower()
    # ... but it does explain why not, and points to safety planning.
    assert "Removing stalkerware can alert the person behind it" in text
    assert "safety plan with an advocate" in text


def test_the_unsafe_advice_check_itself_can_fail() -> None:
    html = render_html(casekit.infected_android())
    doctored = html.replace("Leave it in place for now.", "Uninstall it now.", 1)
    assert unsafe_advice(visible_text(doctored, "\n")) == ["Uninstall it now."]


def test_uk_helplines_and_neutral_pack() -> None:
    uk = visible_text(render_html(casekit.clean_android(), locale=load_locale("en-GB")))
    assert "0808 802 0300" in uk and "0808 2000 247" in uk and "999" in uk
    neutral = visible_text(render_html(casekit.clean_android(), locale=load_locale("en")))
    assert "0808" not in neutral and "999" not in neutral
    assert "Contact your local emergency services." in neutral


def test_nothing_found_never_claims_the_phone_is_safe() -> None:
    text = visible_text(render_html(casekit.clean_android()))
    assert "Nothing found by these checks" in text
    assert "does not prove the phone is safe" in text
    assert not re.search(r"(?<!prove )the phone is (safe|clean)", text)
    assert "AirTag" in text and "Google account" in text


def test_incomplete_case_has_a_prominent_banner() -> None:
    html = render_html(casekit.infected_android(complete=False))
    text = visible_text(html)
    assert text.index("This check did not finish") < text.index("Known stalkerware found")
    assert "The USB cable was pulled out during the check." in text
    assert 'class="banner"' in html
    assert "This check did not finish" not in visible_text(render_html(casekit.infected_android()))


def test_iphone_report() -> None:
    text = visible_text(render_html(casekit.infected_ios(), locale=load_locale("en-GB")))
    assert "Signs of monitoring found" in text
    assert "The iPhone is managed remotely (device management)" in text
    assert "An app was installed from outside the App Store" in text
    assert "Apple ID (iCloud)" in text and "Find My" in text
    assert unsafe_advice(visible_text(render_html(casekit.infected_ios()), "\n")) == []


HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img onerror": '<img src=x onerror="alert(1)">',
    "close title": "</title><script>alert(1)</script>",
    "close style": "</style><style>body{display:none}</style>",
    "template": "{{ 'WAS' ~ 'EVALUATED' }}{% raw %}",
    "attribute break": '" onmouseover="alert(1)',
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_markup_in_labels_stays_text(name: str) -> None:
    label = HOSTILE[name]
    html = render_html(casekit.hostile_android(label))
    parsed = page(html)
    assert "<script" not in html.lower()
    if "<" in label or '"' in label:
        assert label not in html  # never emitted raw...
    assert label in " ".join(parsed.text)  # ...but shown to the reader as text
    assert "WASEVALUATED" not in html  # nothing from the phone is ever evaluated
    assert [t for t, _ in parsed.tags].count("title") == 1
    assert [t for t, _ in parsed.tags].count("style") == 1
    assert not [a for _, a in parsed.tags if any(k.startswith("on") for k in a)]


def test_right_to_left_override_and_nul_are_shown_not_obeyed() -> None:
    html = render_html(casekit.hostile_android("gpj.\u202eexe\x00Service\x1b[2J"))
    assert "\u202e" not in html and "\x00" not in html and "\x1b" not in html
    title = html[html.index("<title>"):html.index("</title>")]
    assert "<span" not in title and "\u27e6U+202E\u27e7" in title  # plain markers in the tab title
    text = "".join(page(html).text)
    assert "gpj.\u27e6U+202E\u27e7exe\u27e6U+0000\u27e7Service\u27e6U+001B\u27e7[2J" in text


def test_a_one_megabyte_label_is_cut_with_a_note() -> None:
    label = "W" * 1_000_000
    html = render_html(casekit.hostile_android(label))
    assert len(html) < 300_000
    assert "W" * 501 not in html  # facts show at most 500 characters...
    text = visible_text(html)
    assert "W" * 120 + " … [shortened: 120 of 1,000,000 characters shown]" in text  # labels 120
    assert "shortened: 500 of 1,000,000 characters shown" in text


def test_missing_manifest_entries_are_said_not_guessed() -> None:
    result = casekit.infected_android()
    html = render_html(replace(result, manifest=()))
    text = visible_text(html)
    assert "not in the evidence log" in text
    assert "The case folder's file list was not available" in text
