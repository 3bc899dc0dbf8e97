"""A hostile phone: names, labels and values chosen to break parsers or the pages they feed."""

from __future__ import annotations

from android_parse_samples import PHONE_ACCESSIBILITY, dumpsys_package, package_block

from stalkerscan.parse.android._text import MAX_TEXT
from stalkerscan.parse.android.accessibility import parse_dumpsys_accessibility
from stalkerscan.parse.android.dumpsys_package import parse_dumpsys_package
from stalkerscan.parse.android.package_list import parse_package_list

MARKUP = "<script>alert(1)</script>\u202eexe.apk\x00\x1b[31m"


def test_invalid_package_names_are_refused_and_recorded():
    data = ("package:/data/app/x/base.apk=../../etc/passwd\n"
            f"package:{MARKUP}\n"
            "package:/data/app/~~a==/org.example.ok-b==/base.apk=org.example.ok\n").encode()
    result = parse_package_list(data)
    assert [e.package for e in result.entries] == ["org.example.ok"]
    assert len(result.problems) == 2
    # Excerpts are bounded and carry no control characters.
    assert all(ch.isprintable() for p in result.problems for ch in p.excerpt)


def test_dumpsys_block_with_a_hostile_name_is_skipped():
    text = dumpsys_package([package_block("org.example.ok")]).replace(
        "Packages:\n", "Packages:\n  Package [../../<b>x</b>] (1):\n    installerPackageName=com.android.shell\n", 1)
    result = parse_dumpsys_package(text.encode())
    assert list(result.packages) == ["org.example.ok"]
    assert result.packages["org.example.ok"].installer == "com.android.vending"
    assert "readable package name" in result.problems[0].message


def test_markup_in_free_text_is_kept_as_data():
    text = dumpsys_package([package_block("org.example.x")]).replace(
        "versionName=4.2 (build 42)", f"versionName={MARKUP}")
    info = parse_dumpsys_package(text.encode("utf-8", "surrogatepass")).packages["org.example.x"]
    assert info.version_name == MARKUP.strip()  # escaping is the report's job, not the parser's


def test_one_megabyte_label_and_version_name_are_shortened_with_a_note():
    huge = "A" * 1_000_000
    access = parse_dumpsys_accessibility(PHONE_ACCESSIBILITY.replace(b"Device Health", huge.encode()))
    (label,) = access.user().bound_labels
    assert label == "A" * MAX_TEXT
    assert "shortened" in access.problems[0].message
    assert access.user().enabled == ("org.example.spy/.HealthService",)
    text = dumpsys_package([package_block("org.example.x")]).replace(
        "versionName=4.2 (build 42)", f"versionName={huge}")
    result = parse_dumpsys_package(text.encode())
    assert len(result.packages["org.example.x"].version_name) == MAX_TEXT
    assert "shortened" in result.problems[0].message
    assert len(result.problems[0].excerpt) <= 200


def test_ten_thousand_package_lines():
    data = "".join(f"package:/data/app/~~a==/org.example.p{i}-b==/base.apk=org.example.p{i}  "
                   f"installer=null uid:{10000 + i}\n" for i in range(10_000)).encode()
    result = parse_package_list(data)
    assert len(result.entries) == 10_000 and result.entries[-1].uid == 19_999
