"""``stalkerscan simulate PROFILE``: run a simulated phone in the foreground until Ctrl-C."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from stalkerscan.errors import UsageError
from stalkerscan.simulator.serving import check_port_for_user, serve_until_stopped


def serve_forever(profile: str, *, mode: str | None, port: int, console: Console) -> None:
    """Serve one simulated phone and print exactly how to point adb, pymobiledevice3 and
    stalkerscan at it. ``mode``: ``android-host`` (default for Android), ``android-transport``
    or ``ios`` (default for iPhone profiles)."""
    from stalkerscan.demo import simulated_phone

    check_port_for_user(port, "a simulated phone")
    kind, phone = simulated_phone(profile)
    mode = mode or ("ios" if kind == "ios" else "android-host")
    if (mode == "ios") != (kind == "ios"):
        raise UsageError(f"The profile {profile!r} is an {kind} phone; it cannot be served with --{mode}.")
    if mode == "ios":
        _serve_ios(phone, port, console)
    else:
        from stalkerscan.simulator.android.run import serve_android_in_foreground

        serve_android_in_foreground([phone], transport=mode == "android-transport", port=port,
                                    out=lambda text: _say(console, text))
    console.print(f"Stopped. The phone received {phone.log.count()} requests; "
                  f"{len(phone.log.write_attempts())} were refused as not read-only.")


def _say(console: Console, text: str) -> None:
    # Instructions are meant to be copied: never wrapped, never styled.
    console.print(escape(text), soft_wrap=True, highlight=False)


def _serve_ios(phone: object, port: int, console: Console) -> None:
    from stalkerscan.simulator.ios.run import client_instructions, running_usbmuxd

    def say_how_to_connect(address: str) -> None:
        _say(console, f"Simulated iPhone behind usbmuxd at {address}")
        for line in client_instructions(address):
            _say(console, "  " + line)
        _say(console, "  Stop with Ctrl-C.")

    serve_until_stopped(running_usbmuxd([phone], tcp_port=port if port else None),  # type: ignore[list-item]
                        say_how_to_connect)
