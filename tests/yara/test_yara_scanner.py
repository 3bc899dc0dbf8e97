"""YARA scanning: compile once and cache, located compile errors, DEX and .so entries scanned
inside APKs within the archive limits, and Echap's real rules firing on DEX files built here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yara
from echap_rule_content import echap_rules_path, rule_contents

from stalkerscan.apk import ArchiveLimits
from stalkerscan.errors import SignatureError
from stalkerscan.match.yara_scanner import (
    CompiledRules,
    YaraScanner,
    collect_scan_targets,
    compile_rules,
    expand_rule_paths,
)
from stalkerscan.simulator.apkgen import ApkSpec, build_apk, build_dex, build_native_lib

EXAMPLE_RULES = """
rule example_marker : test {
    meta:
        ref = "https://example.org/rules"
    strings:
        $a = "org.example.marker.alpha" ascii
        $b = "org.example.marker.beta" ascii
    condition:
        uint16(0) == 0x6564 and all of them
}

rule example_native {
    strings:
        $n = "example_native_marker" ascii
    condition:
        uint16(0) == 0x457f and $n
}
"""
MARKERS = ("org.example.marker.alpha", "org.example.marker.beta")


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "example.yar").write_text(EXAMPLE_RULES)
    return folder


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def scanner(rules_dir: Path, cache_dir: Path) -> YaraScanner:
    compiled = compile_rules(expand_rule_paths([rules_dir]), cache_dir=cache_dir)
    assert compiled.errors == () and compiled.rule_count == 2
    return YaraScanner(compiled)


# --------------------------------------------------------------------------- compiling
def test_compiled_set_is_cached_by_content(rules_dir: Path, cache_dir: Path) -> None:
    files = expand_rule_paths([rules_dir])
    first = compile_rules(files, cache_dir=cache_dir)
    assert not first.from_cache
    assert [p.name for p in cache_dir.iterdir()] == [f"{first.cache_key}.yarc"]
    second = compile_rules(files, cache_dir=cache_dir)
    assert second.from_cache and second.cache_key == first.cache_key
    assert second.rule_count == 2
    # A changed rule file gives another key and a fresh compile.
    (rules_dir / "example.yar").write_text(EXAMPLE_RULES.replace("beta", "gamma"))
    third = compile_rules(files, cache_dir=cache_dir)
    assert not third.from_cache and third.cache_key != first.cache_key


def test_damaged_cache_is_rebuilt(rules_dir: Path, cache_dir: Path) -> None:
    files = expand_rule_paths([rules_dir])
    key = compile_rules(files, cache_dir=cache_dir).cache_key
    (cache_dir / f"{key}.yarc").write_bytes(b"not compiled rules")
    again = compile_rules(files, cache_dir=cache_dir)
    assert not again.from_cache and again.rule_count == 2


def test_unwritable_cache_does_not_stop_compiling(rules_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    compiled = compile_rules(expand_rule_paths([rules_dir]), cache_dir=blocker / "yara")
    assert compiled.rule_count == 2


def test_broken_file_is_located_and_others_still_load(rules_dir: Path, cache_dir: Path) -> None:
    broken = rules_dir / "broken.yar"
    broken.write_text('rule ok_one { condition: true }\n\nrule bad {\n  strings: $a = "x"\n'
                      "  condition: $a and\n}\n")
    (rules_dir / "binary.yara").write_bytes(b"\xff\xfe rule")
    compiled = compile_rules(expand_rule_paths([rules_dir]), cache_dir=cache_dir)
    assert compiled.rule_count == 2
    assert [Path(f.path).name for f in compiled.files] == ["example.yar"]
    locations = sorted(e.location or "" for e in compiled.errors)
    assert locations == [str(rules_dir / "binary.yara"), f"{broken}:6"]
    assert all(isinstance(e, SignatureError) for e in compiled.errors)
    assert "does not compile" in str(next(e for e in compiled.errors if e.location.endswith(":6")))


def test_includes_and_missing_files_are_errors(tmp_path: Path, cache_dir: Path) -> None:
    including = tmp_path / "inc.yar"
    including.write_text('include "/etc/passwd"\nrule r { condition: true }\n')
    compiled = compile_rules([including, tmp_path / "missing.yar"], cache_dir=cache_dir)
    assert compiled.rules is None and len(compiled.errors) == 2
    assert compiled.errors[0].location == f"{including}:1"
    assert "cannot be read" in compiled.errors[1].message


def test_same_stem_in_two_folders_gets_two_namespaces(tmp_path: Path, cache_dir: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "rules.yar").write_text(f"rule r_{folder} {{ condition: true }}")
    compiled = compile_rules(expand_rule_paths([tmp_path / "a", tmp_path / "b"]),
                             cache_dir=cache_dir)
    assert [f.namespace for f in compiled.files] == ["rules", "rules_2"]


# --------------------------------------------------------------------------- scanning APKs
def test_dex_inside_apk_is_scanned(scanner: YaraScanner) -> None:
    apk = build_apk(ApkSpec("org.example.marked", dex_strings=MARKERS))
    result = scanner.scan_apk(apk, apk_path="apks/marked.apk")
    assert [(m.rule, m.entry, m.strings_matched, m.tags) for m in result.matches] == [
        ("example_marker", "classes.dex", 2, ("test",))]
    match = result.matches[0]
    assert match.apk_path == "apks/marked.apk" and match.namespace == "example"
    assert match.rule_file.endswith("example.yar")
    assert match.meta["ref"] == "https://example.org/rules"
    assert [(s.name, s.kind) for s in result.scanned] == [("classes.dex", "dex")]
    assert result.problems == ()


def test_clean_apk_has_no_match(scanner: YaraScanner) -> None:
    result = scanner.scan_apk(build_apk(ApkSpec("org.example.clean", dex_strings=MARKERS[:1])))
    assert result.matches == () and len(result.scanned) == 1


def test_native_library_is_scanned(scanner: YaraScanner) -> None:
    lib = build_native_lib(["example_native_marker"])
    apk = build_apk(ApkSpec("org.example.native", native_libs={"lib/arm64-v8a/libx.so": lib}))
    result = scanner.scan_apk(apk)
    assert [(m.rule, m.entry) for m in result.matches] == [
        ("example_native", "lib/arm64-v8a/libx.so")]
    assert {s.kind for s in result.scanned} == {"dex", "native"}


def test_zip_itself_is_not_what_is_scanned(scanner: YaraScanner) -> None:
    # The markers are also in a plain asset: a scan of the zip bytes would see them there;
    # entry scanning only reports the DEX.
    apk = build_apk(ApkSpec("org.example.z", dex_strings=MARKERS,
                            extra_entries={"assets/notes.txt": "\n".join(MARKERS).encode()}))
    result = scanner.scan_apk(apk)
    assert [m.entry for m in result.matches] == ["classes.dex"]
    assert scanner.rules.rules is not None and scanner.rules.rules.match(data=apk) == []


def test_hidden_dex_and_nested_apk_are_scanned(scanner: YaraScanner) -> None:
    payload = build_apk(ApkSpec("org.example.payload", dex_strings=MARKERS))
    hidden = build_dex(MARKERS)
    dropper = build_apk(ApkSpec("org.example.dropper", extra_entries={
        "assets/update.apk": payload, "assets/data.bin": hidden}))
    result = scanner.scan_apk(dropper, apk_path="dropper.apk")
    assert sorted(m.entry for m in result.matches) == [
        "assets/data.bin", "assets/update.apk!classes.dex"]
    assert {s.name for s in result.scanned} == {
        "classes.dex", "assets/data.bin", "assets/update.apk!classes.dex"}


def test_limits_stop_a_bomb_and_the_rest_is_still_scanned(scanner: YaraScanner) -> None:
    bomb_dex = b"dex\n035\x00" + bytes(30 * 1024 * 1024)
    apk = build_apk(ApkSpec("org.example.bomb", dex_strings=MARKERS,
                            extra_entries={"classes2.dex": bomb_dex}))
    result = scanner.scan_apk(apk)
    assert [m.entry for m in result.matches] == ["classes.dex"]
    assert any("zip bomb" in p.message for p in result.problems)
    assert [s.name for s in result.scanned] == ["classes.dex"]


def test_nesting_limit(rules_dir: Path, cache_dir: Path) -> None:
    inner = build_apk(ApkSpec("org.example.in", dex_strings=MARKERS))
    middle = build_apk(ApkSpec("org.example.mid", extra_entries={"assets/in.apk": inner}))
    outer = build_apk(ApkSpec("org.example.out", extra_entries={"assets/mid.apk": middle}))
    compiled = compile_rules(expand_rule_paths([rules_dir]), cache_dir=cache_dir)
    shallow = YaraScanner(compiled, limits=ArchiveLimits(max_nesting=1)).scan_apk(outer)
    assert shallow.matches == ()
    assert any("max_nesting" in p.message for p in shallow.problems)
    deep = YaraScanner(compiled, limits=ArchiveLimits(max_nesting=2)).scan_apk(outer)
    assert [m.entry for m in deep.matches] == ["assets/mid.apk!assets/in.apk!classes.dex"]


def test_timeout_is_reported(scanner: YaraScanner, monkeypatch: pytest.MonkeyPatch) -> None:
    class SlowRules:
        def match(self, **kwargs):
            raise yara.TimeoutError("timed out")

        def __iter__(self):
            return iter(())

    slow = YaraScanner(CompiledRules(SlowRules(), scanner.rules.files), timeout_seconds=3)
    result = slow.scan_apk(build_apk(ApkSpec("org.example.slow")))
    assert result.matches == ()
    assert any("timeout" in p.message and "3 s" in p.message for p in result.problems)


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04garbage", b"\x00" * 100])
def test_garbage_apk(scanner: YaraScanner, data: bytes) -> None:
    result = scanner.scan_apk(data)
    assert result.matches == () and result.problems


def test_scan_paths_handles_files_and_folders(scanner: YaraScanner, tmp_path: Path) -> None:
    folder = tmp_path / "samples"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.apk").write_bytes(build_apk(ApkSpec("org.example.a", dex_strings=MARKERS)))
    (folder / "sub" / "classes.dex").write_bytes(build_dex(MARKERS))
    (folder / "sub" / "libx.so").write_bytes(build_native_lib(["example_native_marker"]))
    (folder / "readme.txt").write_text("not code")
    seen: list[tuple[str, int, int]] = []
    results = scanner.scan_paths([folder], on_file=lambda p, i, n: seen.append((p.name, i, n)))
    assert [name for name, _, _ in seen] == ["a.apk", "readme.txt", "classes.dex", "libx.so"]
    by_name = {Path(r.path).name: r for r in results}
    assert [m.rule for m in by_name["a.apk"].matches] == ["example_marker"]
    assert [m.rule for m in by_name["classes.dex"].matches] == ["example_marker"]
    assert by_name["classes.dex"].matches[0].entry == ""
    assert [m.rule for m in by_name["libx.so"].matches] == ["example_native"]
    assert "Not an APK" in by_name["readme.txt"].problems[0].message
    assert collect_scan_targets([folder / "a.apk"]) == [folder / "a.apk"]


# --------------------------------------------------------------------------- Echap's rules
@pytest.fixture(scope="module")
def echap() -> tuple[Path, str]:
    path = echap_rules_path()
    if path is None:
        pytest.skip("shared/feeds/echap/rules.yar is not beside the repository (fresh clone)")
    return path, path.read_text()


def test_echap_rules_compile(echap: tuple[Path, str], cache_dir: Path) -> None:
    path, text = echap
    compiled = compile_rules([path], cache_dir=cache_dir)
    assert compiled.errors == ()
    names = {rule.identifier for rule in compiled.rules}
    assert names == {content.name for content in rule_contents(text)}
    assert len(names) >= 10


def test_each_echap_rule_fires_on_a_test_apk(echap: tuple[Path, str], cache_dir: Path) -> None:
    path, text = echap
    scanner = YaraScanner(compile_rules([path], cache_dir=cache_dir))
    for content in rule_contents(text):
        if content.target == "native":
            spec = ApkSpec("org.example.yara." + content.name, native_libs={
                "lib/arm64-v8a/libexample.so": build_native_lib(content.strings)})
        elif content.raw:
            spec = ApkSpec("org.example.yara." + content.name, extra_entries={
                "classes2.dex": build_dex(content.strings, code=content.raw)})
        else:
            spec = ApkSpec("org.example.yara." + content.name, dex_strings=tuple(content.strings))
        result = scanner.scan_apk(build_apk(spec), apk_path=f"{content.name}.apk")
        assert [m.rule for m in result.matches] == [content.name], content.name
        assert result.matches[0].rule_file == str(path)
        assert result.matches[0].meta["ref"].startswith("https://github.com/AssoEchap/")


def test_echap_rules_do_not_fire_on_clean_apps(echap: tuple[Path, str], cache_dir: Path) -> None:
    path, _ = echap
    scanner = YaraScanner(compile_rules([path], cache_dir=cache_dir))
    clean = build_apk(ApkSpec("org.example.clean", dex_strings=("hello", "world"),
                              native_libs={"lib/x86_64/libc.so": build_native_lib(["plain"])}))
    assert scanner.scan_apk(clean).matches == ()


def test_results_serialise_to_json(scanner: YaraScanner) -> None:
    from stalkerscan.match.yara_scanner import result_to_dict

    result = scanner.scan_apk(build_apk(ApkSpec("org.example.j", dex_strings=MARKERS)),
                              apk_path="j.apk")
    data = json.loads(json.dumps(result_to_dict(result)))
    assert data["path"] == "j.apk"
    assert data["matches"][0]["rule"] == "example_marker"
    assert data["matches"][0]["meta"] == {"ref": "https://example.org/rules"}
    assert data["bytes_scanned"] == result.bytes_scanned > 0
