"""The phone model: read-only guard, files, small commands, faults, hostile and huge phones."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from typing import Any

import pytest

from stalkerscan.simulator.android.base import AndroidState, FileStat, TransportFaults
from stalkerscan.simulator.android.phone import SimulatedAndroidPhone
from stalkerscan.simulator.android.profile import ContentFaults, parse_android_profile
from stalkerscan.simulator.profile import load_profile
from stalkerscan.simulator.requestlog import Verdict


def make(apps: list[Any] | None = None, **extra: Any) -> SimulatedAndroidPhone:
    data: dict[str, Any] = {"platform": "android", "name": "phone-test",
                            "device": {"android_version": "14"},
                            "generate": {"ordinary_apps": 10, "seed": 9}, "apps": apps or []}
    data.update(extra)
    return SimulatedAndroidPhone.from_profile(parse_android_profile(data, source="test"))


@pytest.fixture(scope="module")
def infected() -> SimulatedAndroidPhone:
    return SimulatedAndroidPhone.from_profile(load_profile("android-infected"))


# --------------------------------------------------------------------------- read-only guard
@pytest.mark.parametrize("cmdline", [
    "pm uninstall x", "pm 'uninstall' net.example.systemsync", "pm clear com.whatsapp",
    "settings put global package_verifier_enable 1", "am start -n a/.b", "input tap 1 1",
    "rm -rf /sdcard/Download", "cmd package uninstall -k x", "getprop; reboot",
    "dumpsys package > /sdcard/x",
])
def test_writes_are_refused_and_logged(cmdline: str) -> None:
    phone = make()
    before = phone.run_shell("settings get global package_verifier_enable")
    result = phone.shell(cmdline, layer="test")
    assert result.exit_code == 1 and result.stdout == b""
    assert result.stderr.startswith(b"stalkerscan simulator: refused, not read-only")
    refused = phone.log.write_attempts()
    assert [(e.layer, e.request, e.verdict) for e in refused] == [
        ("test", cmdline, Verdict.REFUSED)]
    assert phone.run_shell("settings get global package_verifier_enable") == before


def test_reads_are_logged_as_reads(infected: SimulatedAndroidPhone) -> None:
    infected.log.clear()
    infected.shell("getprop ro.product.model", layer="test")
    infected.shell("dumpsys accessibility", layer="test", service="exec")
    entries = infected.log.entries()
    assert [(e.service, e.request, e.verdict) for e in entries] == [
        ("shell", "getprop ro.product.model", Verdict.READ),
        ("exec", "dumpsys accessibility", Verdict.READ)]
    assert infected.log.write_attempts() == []


# --------------------------------------------------------------------------- identity
def test_banner_and_construction_overrides() -> None:
    profile = load_profile("android-clean")
    phone = SimulatedAndroidPhone.from_profile(profile, serial="SIMX", state="unauthorized",
                                               faults=TransportFaults(latency_ms=5))
    assert phone.serial == "SIMX" and phone.state is AndroidState.UNAUTHORIZED
    assert phone.faults.latency_ms == 5
    assert phone.banner_properties() == {"ro.product.name": "shiba", "ro.product.model": "Pixel 8",
                                         "ro.product.device": "shiba"}
    mapped = SimulatedAndroidPhone.from_profile(profile, faults={"old_pm": True, "crlf": True})
    assert mapped.faults.crlf and mapped.content_faults.pm_unsupported_options == (
        "-U", "--show-versioncode")


# --------------------------------------------------------------------------- files
def test_apk_files_are_real_zips_at_their_paths(infected: SimulatedAndroidPhone) -> None:
    app = infected.profile.app("net.example.systemsync")
    info = infected.stat(app.apk.base_path)
    data = infected.read_file(app.apk.base_path)
    assert info is not None and data is not None
    assert info.size == len(data) and info.mode == 0o100644
    assert info.mtime == app.update_time_ms // 1000
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "AndroidManifest.xml" in archive.namelist()
    assert infected.read_file(app.apk.base_path) == data  # built once, cached, deterministic
    digest = infected.run_shell(f"sha256sum {app.apk.base_path}").stdout.decode()
    assert digest == f"{hashlib.sha256(data).hexdigest()}  {app.apk.base_path}\n"


def test_split_and_factory_apks_exist() -> None:
    phone = make(apps=[{"package": "net.example.split", "apk": {"splits": ["config.en"]}}])
    app = phone.profile.app("net.example.split")
    (split_path,) = app.apk.split_paths
    assert split_path == app.apk.code_path + "/split_config.en.apk"
    assert phone.listdir(app.apk.code_path) == ["base.apk", "split_config.en.apk"]
    split = phone.read_file(split_path)
    assert split is not None and phone.stat(split_path) == FileStat(
        0o100644, len(split), app.update_time_ms // 1000)
    with zipfile.ZipFile(io.BytesIO(split)) as archive:
        assert "res/raw/config.en.bin" in archive.namelist()
    assert phone.stat(app.apk.code_path + "/split_config.fr.apk") is None
    updated = next(a for a in phone.profile.apps if a.updated_system)
    factory, current = phone.read_file(updated.factory.path), phone.read_file(updated.apk.base_path)
    assert factory is not None and current is not None and factory != current
    assert updated.factory.path.startswith(("/system/", "/product/"))
    assert phone.stat(updated.factory.path).mode == phone.stat(updated.apk.base_path).mode == 0o100644


def test_shell_user_view_of_the_file_system(infected: SimulatedAndroidPhone) -> None:
    assert "Download" in infected.listdir("/sdcard")
    assert infected.listdir("/sdcard") == infected.listdir("/storage/emulated/0")
    assert infected.listdir("/data/app") == []
    assert infected.stat("/sdcard/Download/shopping-list.txt").size == 21
    assert infected.read_file("/sdcard/Download/shopping-list.txt").startswith(b"milk")
    assert infected.stat("/nonexistent") is None and infected.read_file("/sdcard") is None
    listing = infected.run_shell("ls /data/app")
    assert (listing.stderr, listing.exit_code) == (b"ls: /data/app: Permission denied\n", 1)


def test_ls_d_root_checks() -> None:
    phone = make(root={"su_paths": ["/system/xbin/su", "/data/adb/magisk"]})
    result = phone.run_shell("ls -d /system/bin/su /system/xbin/su /sbin/su /data/adb/magisk")
    assert result.stdout == b"/system/xbin/su\n"
    assert result.stderr == (b"ls: /system/bin/su: No such file or directory\n"
                             b"ls: /sbin/su: No such file or directory\n"
                             b"ls: /data/adb/magisk: Permission denied\n")
    assert result.exit_code == 1
    assert phone.run_shell("which su").stdout == b"/system/xbin/su\n"
    clean = make()
    assert clean.run_shell("ls -d /system/xbin/su").exit_code == 1
    assert clean.run_shell("which su").exit_code == 1
    assert clean.run_shell("ls -d /system/bin/sh /sdcard") == \
        clean.run_shell("ls -d /sdcard /system/bin/sh")


# --------------------------------------------------------------------------- small commands
def test_small_commands() -> None:
    phone = make(clock={"offset_seconds": -3600})
    now = int(phone.run_shell("date +%s").stdout)
    assert abs(now - (time.time() - 3600)) < 5
    assert phone.run_shell("id").stdout.startswith(b"uid=2000(shell) gid=2000(shell) groups=")
    assert phone.run_shell("echo hello  'two words'").stdout == b"hello two words\n"
    assert phone.run_shell("getprop ro.build.version.sdk").stdout == b"34\n"
    assert phone.run_shell("getprop no.such.prop").stdout == b"\n"
    full = phone.run_shell("getprop").stdout.decode().splitlines()
    keys = [line.split("]: [", 1)[0] for line in full]
    assert keys == sorted(keys) and "[ro.product.model]: [Pixel 7]" in full
    assert phone.run_shell("whoami").stdout == b"shell\n"
    assert phone.run_shell("true").exit_code == 0


def test_unknown_commands_answer_like_the_shell() -> None:
    phone = make()
    assert phone.run_shell("frobnicate --now") == phone.run_shell("frobnicate")
    result = phone.run_shell("frobnicate --now")
    assert (result.stdout, result.stderr, result.exit_code) == (
        b"", b"/system/bin/sh: frobnicate: inaccessible or not found\n", 127)
    missing = phone.run_shell("cmd nosuchservice list")
    assert (missing.stderr, missing.exit_code) == (b"cmd: Can't find service: nosuchservice\n", 20)


def test_stderr_redirect_to_dev_null_is_honoured() -> None:
    phone = make()
    result = phone.run_shell("ls -d /system/xbin/su 2>/dev/null")
    assert (result.stdout, result.stderr, result.exit_code) == (b"", b"", 1)


def test_settings_outputs() -> None:
    phone = make(settings={"global": {"package_verifier_enable": False, "custom": "a=b"},
                           "secure": {"android_id": None}})
    listing = phone.run_shell("settings list global").stdout.decode().splitlines()
    assert listing == sorted(listing)
    assert "package_verifier_enable=0" in listing and "custom=a=b" in listing
    assert phone.run_shell("settings get global package_verifier_enable").stdout == b"0\n"
    assert phone.run_shell("settings get secure android_id").stdout == b"null\n"
    assert phone.run_shell("cmd settings get global custom").stdout == b"a=b\n"
    bad = phone.run_shell("settings list nowhere")
    assert bad.exit_code == 255 and bad.stderr.startswith(b"Invalid namespace 'nowhere'")


def test_appops_outputs() -> None:
    phone = make(apps=[{"package": "net.example.a"}, {"package": "net.example.b"}],
                 usage_access=["net.example.a"],
                 app_ops={"GET_USAGE_STATS": {"net.example.b": "deny"}})
    cmd = "cmd appops query-op --user 0 GET_USAGE_STATS"
    assert phone.run_shell(cmd + " allow").stdout == b"net.example.a\n"
    assert phone.run_shell(cmd + " deny").stdout == b"net.example.b\n"
    assert phone.run_shell(cmd).stdout == b""  # default mode "ignore": nobody
    assert phone.run_shell("cmd appops query-op SYSTEM_ALERT_WINDOW allow").stdout == \
        b"No operations.\n"
    unknown = phone.run_shell("cmd appops query-op NOT_AN_OP allow")
    assert (unknown.stderr, unknown.exit_code) == (
        b"Error: Unknown operation string: NOT_AN_OP\n", 255)
    assert phone.run_shell("cmd appops get net.example.a").stdout == b"GET_USAGE_STATS: allow\n"


# --------------------------------------------------------------------------- faults
def test_non_utf8_fault_puts_invalid_bytes_into_outputs(infected: SimulatedAndroidPhone) -> None:
    phone = SimulatedAndroidPhone.from_profile(infected.profile, faults={"non_utf8": True})
    settings = phone.run_shell("settings list global").stdout
    with pytest.raises(UnicodeDecodeError):
        settings.decode("utf-8")
    assert b"device_name=Jos\xe9's phone\n" in settings
    a11y = phone.run_shell("dumpsys accessibility").stdout
    assert b"label=System Sync \xff\xfe," in a11y
    phone.content_faults = ContentFaults()
    assert phone.run_shell("settings list global").stdout.decode("utf-8")


def test_faults_can_change_on_a_running_phone() -> None:
    phone = make()
    full = "pm list packages -f -i -U -u --show-versioncode"
    assert phone.run_shell(full).exit_code == 0
    phone.content_faults = ContentFaults(pm_unsupported_options=("-U",))
    assert phone.run_shell(full).stdout == b"Error: Unknown option: -U\n"


# --------------------------------------------------------------------------- hostile strings
HOSTILE = {
    "html": "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "path": "../../../../etc/passwd",
    "nul": "Sys\x00tem\x01\x1b[31mRed",
    "rtl": "Update\u202egpj.exe",
    "invalid": "Bad\udcff\udcfeBytes",
    "emoji": "Fam\U0001F468\u200d\U0001F469\u200d\U0001F467ily",
}


def test_hostile_strings_survive_byte_for_byte() -> None:
    apps = [{"package": f"net.example.h{i}", "label": label, "version_name": label,
             "accessibility_services": [{"class": ".S", "label": label}]}
            for i, label in enumerate(HOSTILE.values())]
    phone = make(apps=apps, settings={"secure": {f"hostile_{k}": v for k, v in HOSTILE.items()}})
    a11y = phone.run_shell("dumpsys accessibility").stdout
    dump = phone.run_shell("dumpsys package").stdout
    secure = phone.run_shell("settings list secure").stdout
    activities = phone.run_shell("cmd package query-activities --user 0 -a "
                                 "android.intent.action.MAIN -c "
                                 "android.intent.category.LAUNCHER").stdout
    for key, value in HOSTILE.items():
        raw = value.encode("utf-8", "surrogateescape")
        assert b"label=" + raw + b", feedbackType" in a11y, key
        assert b"\n    versionName=" + raw + b"\n" in dump, key
        assert b"hostile_" + key.encode() + b"=" + raw + b"\n" in secure, key
        assert b"nonLocalizedLabel=" + raw + b" icon=" in activities, key


def test_megabyte_label_and_label_with_newline() -> None:
    big = "A" * (1 << 20)
    phone = make(apps=[{"package": "net.example.big", "label": big,
                        "accessibility_services": [{"class": ".S", "label": big + "\nfake line"}]}])
    a11y = phone.run_shell("dumpsys accessibility").stdout
    assert (b"label=" + big.encode() + b"\nfake line, feedbackType") in a11y
    apk = phone.read_file(phone.profile.app("net.example.big").apk.base_path)
    assert apk is not None and apk[:2] == b"PK"


# --------------------------------------------------------------------------- big phones
def test_ten_thousand_app_phone_answers_every_batch_command() -> None:
    phone = make(generate={"ordinary_apps": 10_000, "seed": 1})
    count = len(phone.profile.apps)
    listing = phone.run_shell("pm list packages -f -i -U -u --show-versioncode").stdout
    assert listing.count(b"\n") == count
    dump = phone.run_shell("dumpsys package").stdout
    assert dump.count(b"\n  Package [") == count + sum(a.updated_system for a in phone.profile.apps)
    launcher = phone.run_shell("cmd package query-activities --brief --user 0 -a "
                               "android.intent.action.MAIN -c android.intent.category.LAUNCHER")
    assert launcher.stdout.startswith(b"%d activities found:" % sum(
        1 for a in phone.profile.apps if a.launcher_activity and a.enabled))
