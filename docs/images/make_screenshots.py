"""Regenerate the report screenshots in this folder from the two demos.

    .venv/bin/python docs/images/make_screenshots.py

Needs Chromium (Debian package ``chromium``). Nothing here is part of the package.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from stalkerscan.demo import run_demo

HERE = Path(__file__).resolve().parent


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("google-chrome")
    if chromium is None:
        raise SystemExit("Chromium is needed (apt install chromium).")
    with tempfile.TemporaryDirectory() as work:
        for platform in ("android", "ios"):
            case, _, _ = run_demo(platform=platform, out=Path(work) / platform)
            target = HERE / f"report-{platform}.png"
            subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={Path(work) / 'chromium'}", "--hide-scrollbars",
                 "--window-size=900,1500", f"--screenshot={target}", case.report_html.as_uri()],
                check=True, capture_output=True, timeout=120,
            )
            print(f"wrote {target}")


if __name__ == "__main__":
    main()
