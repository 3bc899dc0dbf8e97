"""report.json against its schema, the Markdown summary and the terminal summary."""

from __future__ import annotations

import io
import json
from pathlib import Path

import casekit
import jsonschema
import pytest
from rich.console import Console

from stalkerscan.report import render_json, render_markdown, render_terminal

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "report-schema.json").read_text())
RESULTS = {
    "infected android": casekit.infected_android,
    "clean android": casekit.clean_android,
    "infected iphone": casekit.infected_ios,
    "clean iphone": casekit.clean_ios,
    "incomplete": lambda: casekit.infected_android(complete=False),
    "hostile": lambda: casekit.hostile_android("<b>\u202eSystem\x00</b>"),
}


@pytest.mark.parametrize("name", list(RESULTS))
def test_json_validates_against_the_documented_schema(name: str) -> None:
    data = json.loads(render_json(RESULTS[name]()))
    jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_schema_rejects_what_it_should() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    data = json.loads(render_json(casekit.infected_android()))
    data["verdict"]["level"] = "probably_fine"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_json_content() -> None:
    result = casekit.infected_android()
    data = json.loads(render_json(result))
    assert data["verdict"]["level"] == "known_stalkerware"
    assert data["verdict"]["headline"] == "Known stalkerware found"
    assert [f["id"] for f in data["findings"]] == [f.id for f in result.findings]
    assert data["counts"] == {"high": 3, "medium": 3, "low": 0, "info": 1}
    assert data["findings"][0]["matches"][0]["provenance"][0]["licence"] == "CC-BY-4.0"
    assert len(data["evidence"]) == len(result.manifest) and data["evidence"][0]["number"] == 1
    assert data["device"]["model"] == "Phone 7" and data["device"]["apps"] == 5
    assert "profiles" not in data["device"]
    iphone = json.loads(render_json(casekit.infected_ios()))["device"]
    assert iphone["platform"] == "ios" and iphone["source"] == "live"
    assert iphone["profiles"] == len(casekit.infected_ios().inventory.profiles) > 0


def test_json_escapes_invisible_characters_but_keeps_the_text() -> None:
    label = "abc\u202edef\u200b\U000e0001"
    text = render_json(casekit.hostile_android(label))
    assert "\u202e" not in text and "\u200b" not in text and "\U000e0001" not in text
    assert "\\u202e" in text
    data = json.loads(text)
    labels = [f["subject_label"] for f in data["findings"] if f["subject_label"]]
    assert label in labels  # the exact device text survives for researchers


def test_markdown_summary_has_the_verdict_and_escapes_device_text() -> None:
    md = render_markdown(casekit.infected_android())
    assert "**Result: Known stalkerware found**" in md
    assert "1\\. **Serious**: Known stalkerware found: Example Stalker" in md
    assert "Removing stalkerware can alert the person behind it" in md
    hostile = render_markdown(casekit.hostile_android("[click](https://evil.example/x) <img src=x>"))
    assert "[click](" not in hostile and "<img" not in hostile
    assert "\\[click\\](https://evil.example/x) &lt;img src=x&gt;" in hostile
    assert "This check did not finish" in render_markdown(casekit.infected_android(complete=False))
    assert "Nothing found by these checks" in render_markdown(casekit.clean_ios())


def _terminal(result, **console_options) -> str:
    out = io.StringIO()
    render_terminal(result, Console(file=out, width=110, **console_options))
    return out.getvalue()


def test_terminal_summary_starts_with_the_verdict_without_colour_off_a_tty() -> None:
    text = _terminal(casekit.infected_android())
    assert "\x1b[" not in text  # not a terminal: no colour codes
    assert text.index("Known stalkerware found") < text.index("System Service")
    assert "Known stalkerware found: Example" in text and "Play Protect" in text
    assert "org.example.systemservice" in text.replace("│", "").replace("\n", "").replace(" ", "")
    assert "Removing stalkerware can alert" in text
    # The confidence column holds the short word before the locale sentence's colon.
    assert "Fairly sure" in text and "A hint" in text and "innocent explanation" not in text


def test_terminal_uses_colour_on_a_tty() -> None:
    assert "\x1b[" in _terminal(casekit.infected_android(), force_terminal=True,
                                color_system="standard")


def test_terminal_never_interprets_device_text() -> None:
    text = _terminal(casekit.hostile_android("[bold red]Sys[/] \x1b[2J\x07\u202eX"),
                     force_terminal=True, color_system="standard")
    assert "[bold red]Sys[/]" in text  # shown literally, not as rich markup
    assert "\x1b[2J" not in text and "\x07" not in text and "\u202e" not in text
    assert "\u27e6U+001B\u27e7" in text


def test_terminal_says_when_the_check_was_incomplete() -> None:
    text = _terminal(casekit.infected_android(complete=False))
    assert text.index("This check did not finish") < text.index("Known stalkerware found")
    assert "Nothing found by these checks" in _terminal(casekit.clean_android())
