"""``stalkerscan yara``: scan APKs, DEX files and native libraries with YARA rules.

For researchers: point it at files or folders; each APK's DEX files and ``.so`` libraries
(nested APKs and payloads hidden under other names included) are scanned within safe
limits. Exit codes: 0 no rule fired, 1 some rule fired, 2 usage error (no usable rules,
missing path).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from stalkerscan.errors import EXIT_FINDINGS, EXIT_NOTHING_FOUND, SignatureError

from .console import err, handle_errors, out, safe

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _rules_summary(compiled) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "files": [{"path": f.path, "namespace": f.namespace, "sha256": f.sha256}
                  for f in compiled.files],
        "rule_count": compiled.rule_count,
        "cache_key": compiled.cache_key,
        "from_cache": compiled.from_cache,
        "errors": [{"location": e.location, "message": e.message} for e in compiled.errors],
        "warnings": list(compiled.warnings),
    }


@click.command("yara", context_settings=_CONTEXT)
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--rules", "rule_paths", multiple=True, type=click.Path(path_type=Path),
              help="YARA rule file or folder of .yar/.yara files (repeatable). Default: the "
                   "bundled rules and the downloaded community set.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on standard output.")
@click.option("--timeout", "timeout_seconds", type=click.IntRange(1, 3600), default=30,
              show_default=True, help="Seconds YARA may spend on one DEX or library.")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
              help="Where compiled rule sets are cached (default: the user cache folder).")
@click.option("--no-cache", is_flag=True, help="Compile the rules without using the cache.")
@handle_errors
def yara_command(paths: tuple[Path, ...], rule_paths: tuple[Path, ...], as_json: bool,
                 timeout_seconds: int, cache_dir: Path | None, no_cache: bool) -> None:
    """Scan APKs, DEX files and native libraries (files or folders) with YARA rules.

    \b
    Inside an APK, every DEX file and .so library is scanned on its own (not the zip), so
    rules testing the DEX or ELF magic work. Zip bombs, path-traversal names and deep nesting
    are stopped by limits and reported.

    \b
    Example:  stalkerscan yara suspicious.apk --rules ~/rules/echap.yar --json
    """
    from stalkerscan.match.yara_scanner import (
        YaraScanner,
        compile_rules,
        default_rule_files,
        expand_rule_paths,
        result_to_dict,
    )

    files = expand_rule_paths(rule_paths) if rule_paths else default_rule_files()
    if not files:
        raise SignatureError(
            "No YARA rule files found.",
            advice="Pass a rule file or folder with --rules, or run 'stalkerscan signatures "
                   "update' to download the community rules.")
    compiled = compile_rules(files, cache_dir=cache_dir, use_cache=not no_cache)
    for error in compiled.errors:
        err.print(f"[yellow]Skipped:[/] {safe(error.message)}")
    if compiled.rules is None:
        raise SignatureError(
            "None of the YARA rule files could be used (see the messages above).",
            advice="Fix the rule files named above, or pass others with --rules.")
    if not as_json:
        source = "cache" if compiled.from_cache else "compiled"
        err.print(f"{compiled.rule_count} rules from {len(compiled.files)} file(s) ({source}).")

    scanner = YaraScanner(compiled, timeout_seconds=timeout_seconds)
    progress = Progress(TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                        console=err, transient=True, disable=not err.is_terminal)
    with progress:
        task = progress.add_task("Scanning", total=None)

        def on_file(path: Path, index: int, total: int) -> None:
            progress.update(task, total=total, completed=index - 1,
                            description=safe(path.name)[:60])

        results = scanner.scan_paths(paths, on_file=on_file)
        progress.update(task, completed=len(results))

    matches = [m for r in results for m in r.matches]
    if as_json:
        document = {"rules": _rules_summary(compiled),
                    "results": [result_to_dict(r) for r in results]}
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        _print_table(results, matches)
    sys.exit(EXIT_FINDINGS if matches else EXIT_NOTHING_FOUND)


def _print_table(results, matches) -> None:  # type: ignore[no-untyped-def]
    if matches:
        table = Table(title="YARA matches")
        for column in ("File", "Entry", "Rule", "Rule file", "Strings"):
            table.add_column(column, overflow="fold")
        for m in matches:
            table.add_row(safe(m.apk_path), safe(m.entry or "-"), safe(m.rule),
                          safe(Path(m.rule_file).name), str(m.strings_matched))
        out.print(table)
    scanned = sum(len(r.scanned) for r in results)
    total_bytes = sum(r.bytes_scanned for r in results)
    out.print(f"{len(results)} file(s), {scanned} DEX/library part(s), "
              f"{total_bytes / 1e6:.1f} MB scanned: "
              + (f"[bold]{len(matches)} match(es)[/]" if matches else "no rule fired."))
    for result in results:
        for problem in result.problems:
            line = f"[yellow]Note:[/] {safe(result.path)}: {safe(problem.message)}"
            if problem.excerpt:
                line += f" ({safe(problem.excerpt)})"
            err.print(line)
