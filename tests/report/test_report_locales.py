"""Locale packs load, validate, carry the right helplines, and give only safe advice."""

from __future__ import annotations

from pathlib import Path

import pytest

from stalkerscan.errors import UsageError
from stalkerscan.report.locale import available_locales, load_locale, load_locale_file
from stalkerscan.report.wording import unsafe_advice


def test_shipped_packs() -> None:
    assert {"en", "en-GB"} <= set(available_locales())


@pytest.mark.parametrize("name", available_locales())
def test_every_pack_loads_complete_and_safe(name: str) -> None:
    pack = load_locale(name)
    reference = load_locale("en")
    assert set(reference.strings) <= set(pack.strings)
    assert set(reference.lists) <= set(pack.lists)
    texts = [*pack.strings.values(), *(line for lines in pack.lists.values() for line in lines),
             *(h.description for h in pack.helplines)]
    for text in texts:
        assert unsafe_advice(text) == [], text
    assert pack.t("verdict_nothing_found") == "Nothing found by these checks"


def test_uk_pack_numbers_and_sources() -> None:
    pack = load_locale("en-GB")
    phones = {h.name: h.phone for h in pack.helplines}
    assert phones["National Stalking Helpline (Suzy Lamplugh Trust)"] == "0808 802 0300"
    assert phones["National Domestic Abuse Helpline (Refuge)"] == "0808 2000 247"
    assert phones["Emergency services"] == "999"
    assert "999" in pack.t("emergency")
    cited = " ".join(s.title for s in pack.sources)
    assert "0808 802 0300" in cited and "0808 2000 247" in cited and "999" in cited
    assert all(s.url.startswith(("https://", "http://")) for s in pack.sources)
    assert pack.language == "en-GB"
    assert pack.t("report_title") == load_locale("en").t("report_title")  # inherited


def test_neutral_pack_has_no_country_numbers() -> None:
    pack = load_locale("en")
    assert all(h.phone is None for h in pack.helplines)
    assert "local emergency services" in pack.t("emergency")


def test_unknown_locale_names_the_available_ones() -> None:
    with pytest.raises(UsageError) as caught:
        load_locale("xx-XX")
    assert "xx-XX" in caught.value.message and "en-GB" in (caught.value.advice or "")
    with pytest.raises(UsageError):
        load_locale("../../etc/passwd")


def _pack(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "fr-XX.yaml"
    path.write_text("format: stalkerscan-locale/1\ncode: fr-XX\nname: Test\nlanguage: fr\n" + body)
    return path


def test_a_contributor_pack_extending_en(tmp_path: Path) -> None:
    pack = load_locale_file(_pack(tmp_path, "extends: en\nstrings:\n  emergency: Appelez le 112.\n"))
    assert pack.t("emergency") == "Appelez le 112."
    assert pack.t("verdict_known_stalkerware") == "Known stalkerware found"


@pytest.mark.parametrize(("body", "message"), [
    ("extends: en\nstrings:\n  emergancy: typo\n", "strings.emergancy is not a key of 'en'"),
    ("extends: en\nstrings:\n  finding_number: 'No {numero}'\n", "unknown placeholders: numero"),
    ("extends: en\nlists:\n  safety_guidance: not a list\n", "lists.safety_guidance must be a list"),
    ("extends: en\nhelplines:\n  - {name: X}\n", "a helpline entry is wrong"),
    ("strings:\n  emergency: x\n", "missing keys"),
    ("extends: en\nbogus: 1\n", "unknown top-level keys: bogus"),
    ("extends: en\nstrings: [\n", "is not valid YAML"),
])
def test_broken_packs_say_what_is_wrong(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        load_locale_file(_pack(tmp_path, body))
    assert message in caught.value.message
    assert "fr-XX.yaml" in caught.value.message


def test_docs_list_every_pack_and_every_rule() -> None:
    from stalkerscan.rules import all_rules

    docs = Path(__file__).resolve().parents[2] / "docs"
    packs = (docs / "locale-packs.md").read_text()
    assert all(f"`{name}`" in packs for name in available_locales())
    rules = (docs / "rules.md").read_text()
    assert all(f"`{rule.id}`" in rules for rule in all_rules())


def test_pdf_export_without_weasyprint_says_how_to_get_a_pdf(monkeypatch) -> None:
    import builtins

    import casekit

    from stalkerscan.report.pdf import render_pdf

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name.startswith("weasyprint"):
            raise ImportError("No module named 'weasyprint'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    with pytest.raises(UsageError) as caught:
        render_pdf(casekit.clean_android())
    assert "Print" in (caught.value.advice or "") and "stalkerscan[pdf]" in caught.value.advice


def test_pdf_export_renders_the_report() -> None:
    import casekit

    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint is not usable here: {exc}")
    from stalkerscan.report.pdf import render_pdf

    result = casekit.infected_android()
    data = render_pdf(result)
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    import shutil
    import subprocess

    if shutil.which("pdftotext"):  # poppler-utils: read back what a printed page says
        text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, timeout=60).stdout
        flat = " ".join(text.decode("utf-8", "replace").split())
        assert result.verdict.headline in flat
        assert "Before changing anything on this phone" in flat
