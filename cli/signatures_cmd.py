"""``stalkerscan signatures``: list, show, lint, test, update and propose signature families.

Exit codes: 0 fine, 1 lint errors or failing test cases, 2 usage error (bad path, failed
update: the previous signatures are kept).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click
from rich.table import Table

from stalkerscan.errors import EXIT_FINDINGS, EXIT_NOTHING_FOUND, UsageError

from .console import err, handle_errors, out, safe

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan"}


def _signatures_option(func):  # type: ignore[no-untyped-def]
    func = click.option("--no-community", is_flag=True,
                        help="Leave out the downloaded community set.")(func)
    return click.option("--signatures", "extra", multiple=True,
                        type=click.Path(exists=True, path_type=Path),
                        help="Also load this file or folder (any supported format; repeatable).")(func)


def _load(extra: tuple[Path, ...], no_community: bool):  # type: ignore[no-untyped-def]
    from stalkerscan.signatures import load_signature_set

    return load_signature_set(extra, include_community=not no_community)


@click.group("signatures", context_settings=_CONTEXT)
def signatures_group() -> None:
    """Stalkerware signatures: see, check, test and update them.

    \b
    Loaded for every scan: stalkerscan's own families, then the last downloaded
    community set (Echap's stalkerware-indicators), then any --signatures PATH.
    """


@signatures_group.command("list", context_settings=_CONTEXT)
@_signatures_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@handle_errors
def list_command(extra: tuple[Path, ...], no_community: bool, as_json: bool) -> None:
    """List the signature families in use, with their sources."""
    sset = _load(extra, no_community)
    rows: dict[str, dict[str, object]] = {}
    for family in sset.families:
        row = rows.setdefault(family.id, {"id": family.id, "name": family.name, "types": [],
                                          "sources": [], "indicators": 0})
        if family.type not in row["types"]:  # type: ignore[operator]
            row["types"].append(family.type)  # type: ignore[union-attr]
        if family.provenance.source not in row["sources"]:  # type: ignore[operator]
            row["sources"].append(family.provenance.source)  # type: ignore[union-attr]
        row["indicators"] = int(row["indicators"]) + family.indicator_count()  # type: ignore[call-overload]
        if not family.id_from_name:
            row["name"] = family.name
    if as_json:
        out.print_json(json.dumps({"summary": sset.summary(), "counts": sset.counts(),
                                   "warnings": list(sset.warnings),
                                   "families": sorted(rows.values(), key=lambda r: str(r["id"]))}))
        return
    table = Table(title=sset.summary(), title_justify="left")
    for column in ("id", "name", "type", "sources", "indicators"):
        table.add_column(column, justify="right" if column == "indicators" else "left")
    for row in sorted(rows.values(), key=lambda r: str(r["id"])):
        table.add_row(safe(row["id"]), safe(row["name"]), safe(", ".join(row["types"])),  # type: ignore[arg-type]
                      safe(", ".join(row["sources"])), str(row["indicators"]))  # type: ignore[arg-type]
    out.print(table)
    _print_warnings(sset)


def _print_warnings(sset) -> None:  # type: ignore[no-untyped-def]
    for warning in sset.warnings:
        err.print(f"[yellow]Note:[/] {safe(warning)}")
    for skipped in sset.skipped:
        err.print(f"[yellow]Skipped:[/] {safe(skipped)}")


@signatures_group.command("show", context_settings=_CONTEXT)
@click.argument("family_id")
@_signatures_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def show_command(family_id: str, extra: tuple[Path, ...], no_community: bool, as_json: bool) -> None:
    """Show everything every source says about one family."""
    sset = _load(extra, no_community)
    found = sset.family(family_id.lower())
    if not found:
        close = [f for f in sset.family_ids() if family_id.lower() in f][:10]
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UsageError(f"no family with id {family_id!r}.{hint}",
                         advice="Run 'stalkerscan signatures list' to see the ids.")
    if as_json:
        out.print_json(json.dumps([_family_json(f) for f in found]))
        return
    for family in found:
        p = family.provenance
        out.print(f"[bold]{safe(family.name)}[/] ({safe(family.id)}) - {safe(family.type)}")
        out.print(f"  source: {safe(p.source)}  licence: {safe(p.licence or 'unknown')}  "
                  f"version: {safe(p.version or 'n/a')}")
        out.print(f"  file: {safe(family.location or p.file or '')}")
        if family.aliases:
            out.print(f"  also sold as: {safe(', '.join(family.aliases))}")
        for label, values in _indicator_lines(family):
            shown = ", ".join(values[:12]) + (f" ... (+{len(values) - 12})" if len(values) > 12 else "")
            out.print(f"  {label}: {safe(shown)}")
        for ref in family.references:
            out.print(f"  reference: {safe(ref)}")
        out.print()


def _indicator_lines(family) -> list[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    a, i, n = family.android, family.ios, family.network
    pairs = [("packages", a.packages), ("certificate SHA-1", a.certificate_sha1),
             ("certificate SHA-256", a.certificate_sha256), ("APK SHA-256", a.apk_sha256),
             ("accessibility services", a.accessibility_services),
             ("device-admin receivers", a.device_admin_receivers),
             ("notification listeners", a.notification_listeners),
             ("bundle ids", i.bundle_ids), ("profile identifiers", i.profile_identifiers),
             ("profile UUIDs", i.profile_uuids), ("signer identities", i.signer_identities),
             ("C2 domains", n.c2_domains), ("C2 IPs", n.c2_ips), ("websites", n.websites),
             ("distribution", (*n.distribution, *n.distribution_ips)), ("URLs", n.urls),
             ("YARA rules", family.yara_rules)]
    return [(label, list(values)) for label, values in pairs if values]


def _family_json(family) -> dict[str, object]:  # type: ignore[no-untyped-def]
    data = asdict(family)
    data.pop("indicator_lines", None)
    return data


@signatures_group.command("lint", context_settings=_CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too, not only on errors.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def lint_command(paths: tuple[Path, ...], strict: bool, as_json: bool) -> None:
    """Check signature files (default: stalkerscan's own) and say where each problem is."""
    from stalkerscan.signatures import lint_paths
    from stalkerscan.signatures.paths import bundled_dir

    targets = list(paths) or [bundled_dir()]
    for target in targets:
        if not target.exists():
            raise UsageError(f"{target}: no such file or folder")
    report = lint_paths(targets)
    failed = bool(report.errors) or (strict and bool(report.warnings))
    if as_json:
        out.print_json(json.dumps({"files": report.files, "families": len(report.families),
                                   "problems": [asdict(p) for p in report.problems],
                                   "ok": not failed}))
    else:
        for problem in report.problems:
            style = _SEVERITY_STYLE.get(problem.severity, "")
            out.print(f"{safe(problem.location or '')}: [{style}]{problem.severity}[/]: "
                      f"{safe(problem.message)}", soft_wrap=True)
        verdict = "[red]FAILED[/]" if failed else "[green]OK[/]"
        out.print(f"{verdict}: {report.files} file(s), {len(report.families)} family(ies), "
                  f"{len(report.errors)} error(s), {len(report.warnings)} warning(s), "
                  f"{len(report.yara_files)} YARA file(s).")
    sys.exit(EXIT_FINDINGS if failed else EXIT_NOTHING_FOUND)


@signatures_group.command("test", context_settings=_CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@handle_errors
def test_command(paths: tuple[Path, ...]) -> None:
    """Run the test cases written in family files (default: stalkerscan's own)."""
    from stalkerscan.signatures import lint_paths, run_family_tests
    from stalkerscan.signatures.paths import bundled_dir

    report = lint_paths(list(paths) or [bundled_dir()])
    for problem in report.errors:
        out.print(f"{safe(problem.location or '')}: [bold red]error[/]: {safe(problem.message)}",
                  soft_wrap=True)
    outcomes = run_family_tests(report.families)
    for outcome in outcomes:
        mark = "[green]PASS[/]" if outcome.passed else "[bold red]FAIL[/]"
        out.print(f"{mark} {safe(outcome.family_id)}: {safe(outcome.description)}", soft_wrap=True)
        if not outcome.passed:
            out.print(f"     {safe(outcome.location or '')}: {safe(outcome.detail)}", soft_wrap=True)
    failed = sum(not o.passed for o in outcomes)
    untested = sorted({f.id for f in report.families if not f.tests})
    out.print(f"{len(outcomes) - failed} passed, {failed} failed")
    if untested:
        err.print(f"[yellow]Families without test cases:[/] {safe(', '.join(untested))}")
    sys.exit(EXIT_FINDINGS if failed or report.errors else EXIT_NOTHING_FOUND)


@signatures_group.command("update", context_settings=_CONTEXT)
@click.option("--from", "location", metavar="URL_OR_PATH", default=None,
              help="Update from a mirror URL, a single file URL, a folder or a file instead of "
                   "Echap's GitHub repository.")
@click.option("--timeout", type=float, default=30.0, show_default=True,
              help="Seconds to wait for each server answer.")
@handle_errors
def update_command(location: str | None, timeout: float) -> None:
    """Download the community signatures (goes online; nothing else in stalkerscan does).

    The new set is checked before it replaces the old one; if anything fails, the
    previous set stays in use.
    """
    from stalkerscan.signatures import update_signatures

    err.print("Downloading community signatures..." if not location or "://" in location
              else f"Reading signatures from {safe(location)}...")
    result = update_signatures(location, http_timeout=timeout)
    installed = result.installed
    for fetched in installed.files:
        out.print(f"  {safe(fetched.name)}  {fetched.size:,} bytes  sha256 {fetched.sha256}  "
                  f"from {safe(fetched.url)}")
    from stalkerscan.signatures import load_signature_set
    from stalkerscan.signatures.signature_set import indicator_kinds_summary

    sset = load_signature_set()
    out.print(f"[green]Updated[/] ({installed.fetched_at}): {indicator_kinds_summary(sset)}.")
    if result.previous:
        out.print(f"Replaced the set downloaded on {result.previous.fetched_at[:10]}.")


@signatures_group.command("propose", context_settings=_CONTEXT)
@click.argument("case_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--app", "package", required=True, metavar="PKG", help="Package name of the app.")
@click.option("--id", "family_id", default=None, help="Family id to use in the draft.")
@click.option("--out", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the draft to this file (never overwritten) instead of printing it.")
@handle_errors
def propose_command(case_dir: Path, package: str, family_id: str | None, output: Path | None) -> None:
    """Draft a family file from a case's evidence about one app, for a researcher to finish."""
    from stalkerscan import stored
    from stalkerscan.model.android import AndroidInventory
    from stalkerscan.signatures import propose_family

    inventory = stored.load_inventory(case_dir)  # the case's latest analysis
    if not isinstance(inventory, AndroidInventory):
        raise UsageError("this case is of an iPhone; a draft family is made from an Android app",
                         advice="Run it on the case folder of an Android phone.")
    app = inventory.app(package)
    if app is None:
        raise UsageError(f"the case has no Android app named {package!r}",
                         advice="Check the package name (it is case-sensitive) in the case report.")
    text = propose_family(app, inventory, family_id=family_id, case_name=case_dir.name)
    if output is None:
        out.print(text, markup=False, highlight=False, soft_wrap=True)
        return
    try:
        with output.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError as exc:
        raise UsageError(f"{output} already exists; it is not overwritten") from exc
    # soft_wrap: the path and the command are meant to be copied whole.
    err.print(f"Draft written to {safe(output)}. Complete the TODOs, then run "
              f"'stalkerscan signatures lint {safe(output)}'.", soft_wrap=True)
