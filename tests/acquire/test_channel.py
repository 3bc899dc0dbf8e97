"""The Android choke point: only allowlisted templates, validated device strings."""

from __future__ import annotations

import pytest

from stalkerscan.acquire.android.channel import (
    SHELL_TEMPLATES,
    AndroidChannel,
    ShellCommand,
    apk_paths_command,
    is_allowed,
    shell_variants,
    validate_apk_path,
)
from stalkerscan.errors import RequestRefusedError, UnsafeDeviceStringError
from stalkerscan.model.artifacts import AndroidArtifact
from stalkerscan.simulator.requestlog import Verdict, judge_shell


class ExplodingClient:
    """Fails the test if anything reaches the wire."""

    def shell(self, *args, **kwargs):
        raise AssertionError("a refused command reached the client")

    def pull(self, *args, **kwargs):
        raise AssertionError("a refused path reached the client")


@pytest.mark.parametrize("argv", [
    ("pm", "uninstall", "com.example"),
    ("pm", "clear", "com.example"),
    ("settings", "put", "global", "adb_enabled", "0"),
    ("rm", "-rf", "/sdcard"),
    ("am", "start", "x"),
    ("input", "tap", "1", "1"),
    ("getprop", ";", "reboot"),
    ("pm", "path", "com.example; reboot"),
    ("pm", "path", "../../x"),
])
def test_unlisted_commands_are_refused_before_the_wire(argv):
    channel = AndroidChannel(ExplodingClient(), "S", shell_v2=True)
    with pytest.raises(RequestRefusedError):
        channel.run(ShellCommand("x", argv), lambda s, c: None)  # ExplodingClient: nothing sent


def test_every_template_is_a_read_for_the_simulator_guard():
    # The simulator's independent judge must agree that everything we may send is a read.
    for artifact, variants in SHELL_TEMPLATES.items():
        for index, argv in enumerate(variants):
            command = ShellCommand(artifact.value, argv, index)
            assert is_allowed(command)
            verdict, reason = judge_shell(command.command_line)
            assert verdict is Verdict.READ, (command.command_line, reason)


def test_inventory_budget_is_at_most_twenty_requests():
    # One first-choice request per artifact, plus every fallback, stays within budget.
    worst_case = sum(len(v) for a, v in SHELL_TEMPLATES.items())
    assert len(SHELL_TEMPLATES) <= 15
    assert worst_case <= 25  # only reached if every first choice fails
    assert len(shell_variants(AndroidArtifact.PACKAGE_LIST)) == 5


def test_package_command_is_validated_and_quoted():
    command = apk_paths_command("com.example.app_1")
    assert command.command_line == "pm path com.example.app_1"
    assert is_allowed(command)
    for hostile in ("com.example;reboot", "$(reboot)", "a", "com..x", "com.example\nrm", "<b>x</b>.y"):
        with pytest.raises(UnsafeDeviceStringError):
            apk_paths_command(hostile)


@pytest.mark.parametrize("path", [
    "/data/app/~~u8EWDDGnuXkFENCePu7QGg==/com.google.android.youtube-BOiL4HRBgp25BzgQsxLuoA==/base.apk",
    "/data/app/com.example-1/split_config.en.apk",
    "/system/priv-app/Phonesky/Phonesky.apk",
    "/product/app/Maps/Maps.apk",
])
def test_real_apk_paths_are_accepted(path):
    assert validate_apk_path(path) == path


@pytest.mark.parametrize("path", [
    "/data/app/../../data/system/locksettings.db", "/sdcard/x.apk", "/data/app/x/base.apk;rm",
    "/data/app/x/base.apk\n", "relative/base.apk", "/data/data/com.whatsapp/databases/msgstore.db",
    "/data/app/x/base.APK.txt",
])
def test_other_paths_are_refused(path):
    channel = AndroidChannel(ExplodingClient(), "S", shell_v2=True)
    with pytest.raises(UnsafeDeviceStringError):
        channel.pull(path, lambda s, c: None)
