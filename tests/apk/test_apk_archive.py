"""The safe archive reader against hostile APKs: bombs, traversal names, truncation, nesting."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest
from apk_hostile_builders import (
    plain_zip,
    rename_entry,
    set_declared_size,
    set_flag_bits,
    zip_bomb_entry,
)

from stalkerscan.apk import ArchiveLimits, SafeArchive, inspect_apk_details
from stalkerscan.simulator.apkgen import ApkSpec, build_apk

MIB = 1024 * 1024


@pytest.fixture
def empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty folder, so a test can prove nothing was written to disk."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _messages(problems) -> str:
    return " | ".join(p.message for p in problems)


def test_reads_a_real_apk() -> None:
    apk = build_apk(ApkSpec("org.example.ok", dex_strings=("marker",)))
    with SafeArchive.open(apk, source="ok.apk") as archive:
        assert archive.complete and archive.problems == []
        read = archive.read("classes.dex")
        assert read.ok and read.data is not None and read.data[:4] == b"dex\n"
        assert b"marker" in read.data


def test_zip_bomb_is_stopped_by_the_ratio_limit() -> None:
    bomb = zip_bomb_entry(unpacked=40 * MIB)
    with SafeArchive.open(bomb, source="bomb.apk") as archive:
        entry = archive.find("classes.dex")
        assert entry is not None and entry.declared_ratio > 200
        read = archive.read(entry)
    assert read.data is None
    assert "zip bomb" in _messages(read.problems)
    assert "max_ratio" in _messages(read.problems)


def test_bomb_that_understates_its_size_is_stopped_while_reading() -> None:
    # Declares 1 KiB per 1 KiB packed so no declared check fires; really unpacks ~1000x.
    bomb = zip_bomb_entry(unpacked=40 * MIB)
    info = zipfile.ZipFile(__import__("io").BytesIO(bomb)).getinfo("classes.dex")
    lying = set_declared_size(bomb, "classes.dex", info.compress_size)
    with SafeArchive.open(lying, source="lying.apk") as archive:
        read = archive.read("classes.dex")
    assert read.data is None
    # zipfile stops at the declared size and the CRC no longer matches.
    assert "corrupt" in _messages(read.problems) or "zip bomb" in _messages(read.problems)


def test_huge_declared_size_is_refused_before_reading() -> None:
    apk = set_declared_size(plain_zip({"classes.dex": b"dex\n035\x00"}), "classes.dex",
                            0xFFFFFFF0)
    with SafeArchive.open(apk, source="huge.apk") as archive:
        read = archive.read("classes.dex")
    assert read.data is None
    assert "max_entry_bytes" in _messages(read.problems)


def test_total_size_limit_spans_entries() -> None:
    data = random.Random(3).randbytes(300 * 1024)
    apk = plain_zip({f"classes{i}.dex": data for i in range(1, 6)})
    limits = ArchiveLimits(max_total_bytes=1 * MIB)
    with SafeArchive.open(apk, source="many.apk", limits=limits) as archive:
        reads = list(archive.iter_reads(lambda e: e.name.endswith(".dex")))
    assert [r.ok for r in reads] == [True, True, True, False, False]
    assert "max_total_bytes" in _messages(reads[3].problems)


def test_entry_count_limit_refuses_cheaply() -> None:
    apk = plain_zip({f"assets/{i}": b"x" for i in range(50)})
    with SafeArchive.open(apk, source="wide.apk", limits=ArchiveLimits(max_entries=10)) as archive:
        assert archive.entries == ()
        assert "max_entries" in _messages(archive.problems)


def test_time_limit_stops_reading() -> None:
    apk = plain_zip({"classes.dex": random.Random(1).randbytes(3 * MIB)})
    with SafeArchive.open(apk, source="slow.apk", limits=ArchiveLimits(max_seconds=0)) as archive:
        read = archive.read("classes.dex")
    assert read.data is None and "max_seconds" in _messages(read.problems)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../../../tmp/evil.so", "climbs out"),
        ("lib/../../evil.so", "climbs out"),
        ("/etc/cron.d/evil", "absolute path"),
        ("lib\\..\\..\\evil.dex", "backslash"),
        ("C:/Windows/evil.dll", "drive letter"),
    ],
)
def test_traversal_names_are_reported_never_extracted(empty_cwd: Path, name: str,
                                                      reason: str) -> None:
    apk = build_apk(ApkSpec("org.example.trav", extra_entries={name: b"payload"}))
    details = inspect_apk_details(apk, device_path="d", case_path="c")
    assert details.unsafe_entry_names == (name,)
    assert reason in _messages(details.apk.problems)
    with SafeArchive.open(apk, source="t.apk") as archive:
        read = archive.read(name)
        assert read.data == b"payload"  # content is still checked, in memory
    assert list(empty_cwd.iterdir()) == []
    assert not Path("/tmp/evil.so").exists()


def test_nul_byte_name_is_reported_with_the_full_name(empty_cwd: Path) -> None:
    apk = rename_entry(plain_zip({"AndroidManifest.xml": b"", "lib/evilX.so.txt": b"x"}),
                       "lib/evilX.so.txt", b"lib/evil\x00.so.txt")
    with SafeArchive.open(apk, source="nul.apk") as archive:
        names = [e.name for e in archive.entries]
        assert "lib/evil\x00.so.txt" in names
        assert "NUL byte" in _messages(archive.problems)
        # The excerpt is cleaned of control characters.
        assert all("\x00" not in p.excerpt for p in archive.problems)
    assert list(empty_cwd.iterdir()) == []


def test_duplicate_entry_names_are_reported() -> None:
    import io
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("classes.dex", b"dex\n035\x00one")
        archive.writestr("classes.dex", b"dex\n035\x00two")
    with SafeArchive.open(buffer.getvalue(), source="dup.apk") as safe:
        assert len(safe.entries) == 2
        assert "share this name" in _messages(safe.problems)
        assert [safe.read(e).data for e in safe.entries] == [b"dex\n035\x00one",
                                                             b"dex\n035\x00two"]


def test_fake_encryption_flag_is_read_as_plain() -> None:
    apk = set_flag_bits(plain_zip({"classes.dex": b"dex\n035\x00hidden"}), "classes.dex", 0x1)
    with SafeArchive.open(apk, source="enc.apk") as archive:
        read = archive.read("classes.dex")
    assert read.data == b"dex\n035\x00hidden"
    assert "encrypted" in _messages(read.problems)


def test_unsupported_compression_is_not_read() -> None:
    apk = plain_zip({"classes.dex": b"dex\n035\x00" * 10}, method=zipfile.ZIP_BZIP2)
    with SafeArchive.open(apk, source="bz.apk") as archive:
        read = archive.read("classes.dex")
    assert read.data is None and "compression method 12" in _messages(read.problems)


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.999])
def test_truncated_apk(cut: float) -> None:
    apk = build_apk(ApkSpec("org.example.trunc", schemes=("v1", "v2", "v3"), padding_bytes=50_000))
    short = apk[: int(len(apk) * cut)]
    details = inspect_apk_details(short, device_path="d", case_path="c")
    assert details.apk.size == len(short)
    assert details.apk.certificates == ()
    assert "truncated" in _messages(details.apk.problems)
    assert details.manifest is None


def test_random_bytes_and_empty_file() -> None:
    for data in (b"", random.Random(7).randbytes(100_000), b"PK\x03\x04" + bytes(100)):
        details = inspect_apk_details(data, device_path="d", case_path="c")
        assert details.apk.size == len(data)
        assert details.apk.problems
        assert details.entry_count == 0


def test_missing_file_is_a_problem(tmp_path: Path) -> None:
    details = inspect_apk_details(tmp_path / "nope.apk", device_path="d", case_path="c")
    assert "could not be opened" in _messages(details.apk.problems)


def test_nested_apk_is_listed_and_opened_within_the_depth_limit() -> None:
    innermost = build_apk(ApkSpec("org.example.level3", dex_strings=("deepest",)))
    level2 = build_apk(ApkSpec("org.example.level2", extra_entries={"assets/l3.apk": innermost}))
    level1 = build_apk(ApkSpec("org.example.level1", extra_entries={"assets/l2.apk": level2}))
    details = inspect_apk_details(level1, device_path="d", case_path="c")
    assert details.nested_archives == ("assets/l2.apk",)
    with SafeArchive.open(level1, source="outer.apk",
                          limits=ArchiveLimits(max_nesting=1)) as outer:
        inner = outer.open_nested("assets/l2.apk")
        assert isinstance(inner, SafeArchive) and inner.depth == 1
        assert inner.source == "outer.apk!assets/l2.apk"
        too_deep = inner.open_nested("assets/l3.apk")
        assert not isinstance(too_deep, SafeArchive)
        assert "max_nesting" in _messages(too_deep.problems)


def test_nested_archives_share_the_byte_budget() -> None:
    payload = random.Random(5).randbytes(700 * 1024)
    inner = plain_zip({"classes.dex": payload})
    outer = plain_zip({"assets/inner.apk": inner, "classes.dex": payload})
    limits = ArchiveLimits(max_total_bytes=2 * MIB)
    with SafeArchive.open(outer, source="o.apk", limits=limits) as archive:
        assert archive.read("classes.dex").ok  # 0.7 MiB
        nested = archive.open_nested("assets/inner.apk")  # + ~0.7 MiB
        assert isinstance(nested, SafeArchive)
        last = nested.read("classes.dex")  # would pass 2 MiB
    assert not last.ok and "max_total_bytes" in _messages(last.problems)


def test_archive_size_limit() -> None:
    apk = build_apk(ApkSpec("org.example.small"))
    with SafeArchive.open(apk, limits=ArchiveLimits(max_archive_bytes=100)) as archive:
        assert archive.entries == () and "max_archive_bytes" in _messages(archive.problems)


def test_no_files_written_anywhere_by_a_full_inspection(empty_cwd: Path) -> None:
    bomb = zip_bomb_entry(unpacked=8 * MIB)
    apk = build_apk(ApkSpec("org.example.w", extra_entries={"../../escape.dex": b"dex\n"}))
    for data in (bomb, apk):
        inspect_apk_details(data, device_path="d", case_path="c")
    assert list(empty_cwd.iterdir()) == []
    assert not (empty_cwd.parent.parent / "escape.dex").exists()
