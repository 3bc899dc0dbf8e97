"""The read-only guarantee, checked from both ends.

- stalkerscan's side: :mod:`stalkerscan.acquire.android.channel` is the only way anything
  reaches an Android phone; it sends nothing but its fixed templates, and a device-supplied
  package name or APK path gets into a request only after validation, needing no quoting.
- the simulated phone's side: its judge (:func:`stalkerscan.simulator.requestlog.judge_shell`)
  is an allowlist, so any request that could change a phone is refused and recorded.
"""

from __future__ import annotations

import shlex
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stalkerscan.acquire.android.channel import (
    APK_PATHS_TEMPLATE,
    SHELL_TEMPLATES,
    AndroidChannel,
    ShellCommand,
    apk_paths_command,
    is_allowed,
    validate_apk_path,
    validate_package,
)
from stalkerscan.errors import RequestRefusedError, UnsafeDeviceStringError
from stalkerscan.simulator.requestlog import Verdict, judge_shell

WRITES = [
    "pm uninstall org.example.spy", "pm install /data/local/tmp/x.apk", "pm clear org.example.a",
    "pm disable-user org.example.a", "pm grant org.example.a android.permission.CAMERA",
    "pm revoke org.example.a android.permission.CAMERA", "pm hide org.example.a",
    "pm --user 0 uninstall org.example.a", "pm set-installer org.example.a x",
    "cmd package uninstall org.example.a", "cmd package install-existing org.example.a",
    "settings put global adb_enabled 0", "settings delete secure x", "cmd settings put global x 1",
    "am start -n org.example.a/.Main", "am force-stop org.example.a", "am broadcast -a x",
    "input tap 10 10", "input keyevent 26", "rm -rf /sdcard", "mv /sdcard/a /sdcard/b",
    "setprop persist.sys.x 1", "svc wifi disable", "reboot", "content insert --uri x",
    "appops set org.example.a CAMERA deny", "cmd appops set org.example.a CAMERA deny",
    "monkey -p org.example.a 1", "wm size 100x100", "dpm remove-active-admin x/.A",
    "date -s 20200101.000000", "date 010100002020", "date +%s -s 20200101",
    "command pm uninstall org.example.a", "command rm -rf /sdcard",
    "dumpsys battery set level 5", "dumpsys battery unplug", "dumpsys battery reset",
    "dumpsys batterystats --reset", "dumpsys deviceidle force-idle",
    "dumpsys deviceidle whitelist +org.example.a", "dumpsys procstats --clear",
    "dumpsys netpolicy --reset", "dumpsys activity service org.example.a kill",
    "getprop; pm uninstall org.example.a", "getprop && rm -rf /", "echo x > /sdcard/x",
    "ls $(rm -rf /)", "ls `reboot`", "cat /sdcard/x | sh", "sh -c 'pm uninstall x'",
    "toybox rm /sdcard/x", "busybox rm /sdcard/x", "/system/bin/pm uninstall org.example.a",
    "su -c id", "run-as org.example.a", "log -t x y", "screencap /sdcard/x.png",
]


@pytest.mark.parametrize("cmdline", WRITES)
def test_the_simulated_phone_refuses_every_write(cmdline):
    verdict, reason = judge_shell(cmdline)
    assert verdict is Verdict.REFUSED, cmdline
    assert reason


def test_every_command_stalkerscan_can_send_is_a_read_for_the_simulated_phone():
    for variants in SHELL_TEMPLATES.values():
        for argv in variants:
            assert judge_shell(shlex.join(argv)) == (Verdict.READ, ""), argv
    assert judge_shell(apk_paths_command("org.example.spy").command_line)[0] is Verdict.READ


@pytest.mark.parametrize("argv", [
    ("pm", "uninstall", "org.example.spy"),
    ("pm", "path", "org.example.spy;reboot"),
    ("pm", "path", "org.example.spy", "extra"),
    ("pm", "path"),
    ("settings", "put", "global", "adb_enabled", "0"),
    ("am", "start", "x"),
    ("dumpsys", "battery", "set", "level", "5"),
    ("date", "-s", "20200101"),
    ("getprop", "ro.product.model"),  # not a template either: the list is exact
    ("sh", "-c", "getprop"),
])
def test_the_channel_refuses_anything_outside_its_templates(argv):
    command = ShellCommand("x", tuple(argv))
    assert not is_allowed(command)
    sent = []

    class Recorder:
        def shell(self, *args, **kwargs):
            sent.append(args)

    channel = AndroidChannel(Recorder(), "SERIAL", shell_v2=True)  # type: ignore[arg-type]
    with pytest.raises(RequestRefusedError):
        channel.run(command, lambda stream, chunk: None)
    assert sent == []


def test_the_channel_never_reads_a_path_that_is_not_an_apk():
    pulled = []

    class Recorder:
        def pull(self, *args, **kwargs):
            pulled.append(args)

    channel = AndroidChannel(Recorder(), "SERIAL", shell_v2=True)  # type: ignore[arg-type]
    for path in ("/data/data/org.example.a/databases/x.db", "/sdcard/DCIM/x.jpg",
                 "/data/app/../../data/system/accounts.db.apk", "/data/app/x/base.apk\n",
                 "data/app/x/base.apk", "/data/app/x y/base.apk", "/data/app/x/base.apk;id"):
        with pytest.raises(UnsafeDeviceStringError):
            channel.pull(path, lambda stream, chunk: None)
    assert pulled == []


_SAFE_IN_SHELL = frozenset(string.ascii_letters + string.digits + "._")


@settings(max_examples=400, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_a_package_name_from_the_phone_is_used_only_when_it_needs_no_quoting(name):
    try:
        validate_package(name)
    except UnsafeDeviceStringError:
        return
    command = apk_paths_command(name)
    assert set(name) <= _SAFE_IN_SHELL  # nothing the shell would interpret
    assert command.command_line == f"pm path {name}"  # shlex had nothing to quote
    assert shlex.split(command.command_line) == list(command.argv)
    assert len(command.argv) == len(APK_PATHS_TEMPLATE) and is_allowed(command)
    assert judge_shell(command.command_line)[0] is Verdict.READ


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.text(max_size=200),
    st.builds(lambda tail: "/data/app/" + tail, st.text(max_size=200)),
    st.builds(lambda a, b: f"/data/app/{a}/{b}.apk", st.text(max_size=60), st.text(max_size=60)),
))
def test_an_apk_path_from_the_phone_is_requested_only_when_plain(path):
    try:
        validate_apk_path(path)
    except UnsafeDeviceStringError:
        return
    assert path.startswith("/") and path.endswith(".apk")
    assert ".." not in path.split("/") and "." not in path.split("/")
    assert not any(ch.isspace() or ch in "\x00;&|`$<>'\"\\*?" for ch in path)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_lowercase + "-_", min_size=1, max_size=12),
       st.lists(st.text(alphabet=string.ascii_letters + string.digits + "-._/", max_size=12),
                max_size=4))
def test_the_judge_is_an_allowlist(command, args):
    known = {"getprop", "id", "echo", "ls", "which", "uname", "whoami", "true", "cat", "stat",
             "sha256sum", "sha1sum", "md5sum", "pm", "cmd", "settings", "appops", "dumpsys",
             "date", "command"}
    verdict, _ = judge_shell(shlex.join([command, *args]))
    if command not in known:
        assert verdict is Verdict.REFUSED
