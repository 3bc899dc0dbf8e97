"""``stalkerscan``: check a phone for stalkerware, read-only, and keep the evidence.

Exit codes (docs/cli.md): 0 nothing found, 1 findings, 2 usage error, 3 device or
acquisition error, 4 incomplete scan.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from stalkerscan import __version__
from stalkerscan.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_NOTHING_FOUND
from stalkerscan.preserve.manifest import case_fingerprint

from .console import RichProgress, err, handle_errors, out, safe

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _adb_options(func):
    func = click.option("--adb-port", type=int, default=None,
                        help="Port of the adb server (default: $ANDROID_ADB_SERVER_PORT or 5037).")(func)
    func = click.option("--adb-host", default=None, help="Host of the adb server (default: this computer).")(func)
    func = click.option("--usbmux", "usbmux_address", default=None,
                        help="usbmuxd address for iPhones (default: $USBMUXD_SOCKET_ADDRESS or the system's).")(func)
    return func


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="stalkerscan")
def main() -> None:
    """Check a phone for stalkerware over USB. Reads only; never changes the phone.

    \b
    First time? Try the simulated phone:   stalkerscan demo
    Scan a connected phone:                stalkerscan scan --out CASE_FOLDER
    See connected phones:                  stalkerscan devices
    """


# --------------------------------------------------------------------------- devices
@main.command(context_settings=CONTEXT)
@_adb_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handle_errors
def devices(adb_host: str | None, adb_port: int | None, usbmux_address: str | None, as_json: bool) -> None:
    """List connected phones and say what to do for each one that is not ready."""
    from rich.table import Table

    from stalkerscan.devices import list_phones_with_problems

    phones, problems = list_phones_with_problems(adb_host=adb_host, adb_port=adb_port, usbmux_address=usbmux_address)
    if as_json:
        out.print_json(json.dumps({
            "phones": [p.__dict__ for p in phones],
            "problems": [p.__dict__ for p in problems],
        }))
        return
    if phones:
        table = Table(title="Connected phones")
        for column in ("Platform", "Serial", "Model", "State", "What to do"):
            table.add_column(column, overflow="fold")
        for phone in phones:
            state = f"[green]{safe(phone.state)}[/]" if phone.ready else f"[yellow]{safe(phone.state)}[/]"
            table.add_row(phone.platform, safe(phone.serial), safe(phone.model or "?"), state, safe(phone.guidance))
        out.print(table)
    else:
        out.print("No phone found. Connect the phone with a USB cable that carries data and unlock it.")
    for problem in problems:
        err.print(f"[yellow]{problem.platform}:[/] {safe(problem.message)}")
        if problem.advice:
            err.print(f"  {safe(problem.advice)}")


# --------------------------------------------------------------------------- scan
def _print_outcome(case) -> None:
    """The end of a scan or analysis: verdict, summary, where things are."""
    if case.result is not None:
        from stalkerscan.report.terminal import render_terminal

        render_terminal(case.result, out)
    else:
        err.print("[bold red]The analysis failed[/], but the evidence is kept. "
                  "Run `stalkerscan analyze` on the case folder to try again.")
    if case.error is not None or (case.result is not None and not case.result.info.complete):
        reason = case.result.info.incomplete_reason if case.result else None
        err.print(f"[bold yellow]This scan is incomplete.[/] {safe(reason or case.error or '')}")
        if case.error is not None and case.error.advice:
            err.print(f"[yellow]What to do:[/] {safe(case.error.advice)}")
        err.print("Everything read before that is kept, hashed and verifiable.")
    # Paths are printed whole (soft_wrap), so they can be copied.
    out.print(f"Case folder: [bold]{safe(case.path)}[/]", soft_wrap=True)
    fingerprint = case_fingerprint(case.path)
    if fingerprint:
        out.print(f"Case fingerprint (SHA-256 of manifest.json): [bold]{fingerprint}[/]\n"
                  "  Write it in your case notes: `stalkerscan verify --fingerprint` checks it later.",
                  soft_wrap=True)
    if case.report_html.exists():
        out.print(f"Report:      [bold]{safe(case.report_html)}[/]  (open it in a web browser, or print it)",
                  soft_wrap=True)


@main.command(context_settings=CONTEXT)
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="New folder for the case (must not exist, or be empty).")
@click.option("--platform", type=click.Choice(["android", "ios"]), default=None,
              help="Force the platform (default: detected).")
@click.option("--serial", default=None, help="Serial (Android) or UDID (iPhone) when several phones are connected.")
@_adb_options
@click.option("--examiner", default=None, help="Your name, for the chain of custody.")
@click.option("--case-id", default=None, help="Your case reference, for the chain of custody.")
@click.option("--pull-apks", type=click.Choice(["none", "flagged", "sideloaded", "all", "default"]),
              default="default", show_default=True,
              help="Which app files to copy: default = flagged + sideloaded.")
@click.option("--signatures", "signature_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Extra signature file or folder for this run (repeatable).")
@click.option("--locale", default="en", show_default=True, help="Report language and helplines (en, en-GB).")
@click.option("--wait", "wait_seconds", type=float, default=60.0, show_default=True,
              help="Seconds to wait for the person to tap Allow / Trust on the phone.")
@click.option("--timeout", "request_timeout", type=float, default=300.0, show_default=True,
              help="Longest wait for one answer from the phone, in seconds.")
@click.option("--ios-backup", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Analyse an existing iTunes / Finder backup folder instead of a connected phone.")
@click.option("--androidqf", "androidqf_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Analyse an existing androidqf acquisition folder instead of a connected phone.")
@handle_errors
def scan(out_dir: Path, platform: str | None, serial: str | None, adb_host: str | None, adb_port: int | None,
         usbmux_address: str | None, examiner: str | None, case_id: str | None, pull_apks: str,
         signature_paths: tuple[Path, ...], locale: str, wait_seconds: float, request_timeout: float,
         ios_backup: Path | None, androidqf_dir: Path | None) -> None:
    """Scan a connected phone (read-only) into a new case folder, and report."""
    from stalkerscan import api

    progress = RichProgress()
    if ios_backup is not None and androidqf_dir is not None:
        raise click.UsageError("Give either --ios-backup or --androidqf, not both.")
    if androidqf_dir is not None:
        case = api.scan_androidqf(androidqf_dir, out_dir, examiner=examiner, case_id=case_id,
                                  signatures=list(signature_paths), locale=locale, progress=progress)
    elif ios_backup is not None:
        from stalkerscan.acquire.ios.backup import scan_backup

        case = scan_backup(
            ios_backup, out_dir, examiner=examiner, case_id=case_id, signatures=list(signature_paths),
            locale=locale, progress=progress,
            # Asked interactively, never on the command line (it would stay in shell history).
            password_prompt=lambda: click.prompt("Backup password (press Enter to skip)", hide_input=True,
                                                 default="", show_default=False),
        )
    else:
        case = api.scan(
            out_dir, platform=platform, serial=serial, adb_host=adb_host, adb_port=adb_port,
            usbmux_address=usbmux_address, examiner=examiner, case_id=case_id, pull_apks=pull_apks,
            signatures=list(signature_paths), locale=locale, wait_seconds=wait_seconds,
            request_timeout=request_timeout, progress=progress,
            on_wait=lambda advice: err.print(f"[bold yellow]Waiting for the phone.[/] {safe(advice)}"),
        )
    _print_outcome(case)
    sys.exit(case.exit_code)


@main.command(context_settings=CONTEXT)
@click.argument("case_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--signatures", "signature_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Extra signature file or folder for this run (repeatable).")
@click.option("--locale", default="en", show_default=True, help="Report language and helplines.")
@handle_errors
def analyze(case_dir: Path, signature_paths: tuple[Path, ...], locale: str) -> None:
    """Re-analyse a case from its saved evidence with the current signatures (no phone needed)."""
    from stalkerscan import api

    case = api.analyze(case_dir, signatures=list(signature_paths), locale=locale)
    _print_outcome(case)
    sys.exit(case.exit_code)


@main.command(context_settings=CONTEXT)
@click.argument("case_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "formats", multiple=True, type=click.Choice(["html", "json", "md", "pdf"]),
              default=("html",), show_default=True, help="Report format (repeatable).")
@click.option("--locale", default="en", show_default=True, help="Report language and helplines.")
@handle_errors
def report(case_dir: Path, formats: tuple[str, ...], locale: str) -> None:
    """Render the report of a case again (into a new analyses/ folder; nothing is changed)."""
    from stalkerscan import api

    for path in api.report(case_dir, formats=formats, locale=locale):
        out.print(f"Written: {safe(path)}", soft_wrap=True)


@main.command(context_settings=CONTEXT)
@click.argument("case_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--fingerprint", default=None, metavar="SHA256",
              help="The case fingerprint noted when the scan ended; it must still match.")
@handle_errors
def verify(case_dir: Path, as_json: bool, fingerprint: str | None) -> None:
    """Check that no file of a case changed since it was written. Exit 0 only if none did."""
    import dataclasses

    from stalkerscan import api
    from stalkerscan.preserve.verify import as_json as verify_json
    from stalkerscan.preserve.verify import report_lines

    result = api.verify(case_dir)
    if fingerprint is not None:
        # The one check that also catches a case rewritten consistently from end to end.
        actual = case_fingerprint(case_dir)
        if actual != fingerprint.strip().lower():
            result = dataclasses.replace(result, custody_problems=(
                *result.custody_problems,
                f"manifest.json has SHA-256 {actual or '(none: never sealed)'}, not the fingerprint "
                f"noted when the scan ended ({fingerprint.strip().lower()})"))
    if as_json:
        click.echo(verify_json(result))
    else:
        for line in report_lines(result):
            out.print(safe(line))
        if result.ok:
            out.print(f"[green]OK[/]: all {result.files_checked} recorded files are unchanged "
                      "and the custody log is intact.")
        else:
            out.print("[bold red]CHANGED[/]: this case folder is not as it was written (see above).")
        if not result.sealed:
            out.print("[yellow]Note:[/] the scan never closed this case (it was stopped abruptly); "
                      "files were checked against the custody log.")
    sys.exit(EXIT_NOTHING_FOUND if result.ok else EXIT_FINDINGS)


# --------------------------------------------------------------------------- demo / simulate
@main.command(context_settings=CONTEXT)
@click.option("--platform", type=click.Choice(["android", "ios"]), default="android", show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Folder for the demo case (default: a new stalkerscan-demo-* folder here).")
@click.option("--profile", default=None, help="Built-in profile or YAML file (default: the infected phone).")
@click.option("--locale", default="en", show_default=True, help="Report language and helplines.")
@handle_errors
def demo(platform: str, out_dir: Path | None, profile: str | None, locale: str) -> None:
    """Scan a built-in simulated phone, to practise or to see what a report looks like."""
    from stalkerscan.demo import run_demo

    out.print("[bold]This is a demonstration on a simulated phone.[/] No real phone is read.")
    case, requests, writes = run_demo(platform=platform, out=out_dir, profile=profile, locale=locale,
                                      progress=RichProgress())
    _print_outcome(case)
    out.print(f"The simulated phone received {requests} requests; "
              f"{'none' if not writes else len(writes)} tried to change it.")
    sys.exit(EXIT_NOTHING_FOUND if case.result is not None else EXIT_INCOMPLETE)


@main.command(context_settings=CONTEXT)
@click.argument("profile")
@click.option("--android-host", "mode", flag_value="android-host",
              help="Serve the ADB host protocol (what pure-python-adb and the adb CLI talk to).")
@click.option("--android-transport", "mode", flag_value="android-transport",
              help="Serve the ADB transport protocol; connect a real adb server with `adb connect`.")
@click.option("--ios", "mode", flag_value="ios", help="Serve usbmuxd + lockdownd for iOS tools.")
@click.option("--port", type=int, default=0, help="TCP port (default: a random free one).")
@handle_errors
def simulate(profile: str, mode: str | None, port: int) -> None:
    """Run a simulated phone in the foreground until Ctrl-C, and print how to reach it."""
    from stalkerscan.simulator.serve import serve_forever

    serve_forever(profile, mode=mode, port=port, console=out)


def _register_optional_commands() -> None:
    """Command groups that live in their own modules (skipped while one is being written)."""
    import importlib

    for module, attribute, name in (("signatures_cmd", "signatures_group", "signatures"),
                                    ("yara_cmd", "yara_command", "yara")):
        try:
            command = getattr(importlib.import_module(f"{__package__}.{module}"), attribute)
        except (ImportError, AttributeError):
            continue
        main.add_command(command, name)


_register_optional_commands()


__all__ = ["main", "EXIT_FINDINGS", "EXIT_INCOMPLETE"]


if __name__ == "__main__":  # python -m stalkerscan.cli.main
    main()
