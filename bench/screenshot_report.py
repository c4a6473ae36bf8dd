"""Screenshots of the HTML report, for a person to look at: a desktop and a phone width, light
and dark.

    python bench/screenshot_report.py [FILE...] [--out DIR]

Renders the report of FILE (default: fixtures/excel_mangled_numbers.csv) with ``csvprep
validate --format html`` and has headless Chromium photograph it into DIR (default
``screenshots/``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# name: (window size, extra Chromium flags)
SHOTS = {
    "desktop": ("1200,2600", []),
    "phone": ("390,3200", []),
    "desktop-dark": ("1200,2600", ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = str(ROOT / "fixtures" / "excel_mangled_numbers.csv")
    parser.add_argument("files", nargs="*", default=[default])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    page = args.out / "report.html"
    cmd = [sys.executable, "-m", "csvprep", "validate", *args.files, "--format", "html"]
    subprocess.run([*cmd, "--output", str(page)], check=False)  # exit 1 means problems found
    if not page.exists():
        return 3
    with tempfile.TemporaryDirectory() as profile:
        for name, (size, flags) in SHOTS.items():
            shot = (args.out / f"report-{name}.png").resolve()
            subprocess.run(
                [
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    "--no-first-run",
                    "--disable-background-networking",
                    f"--user-data-dir={profile}",
                    f"--window-size={size}",
                    f"--screenshot={shot}",
                    *flags,
                    page.resolve().as_uri(),
                ],
                check=True,
                capture_output=True,
            )
            print(shot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
