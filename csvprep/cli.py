"""The ``csvprep`` command line. Each command parses its options, calls one library function,
renders the result and maps it to an exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .errors import CsvprepError

F = TypeVar("F", bound=Callable[..., Any])

_DELIMITER_WORDS = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    return _DELIMITER_WORDS.get(value.lower(), value)


def _fail(error: CsvprepError) -> None:
    click.echo(f"csvprep: error: {error.message}", err=True)


def _color() -> bool | None:
    if os.environ.get("NO_COLOR"):
        return False
    return None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="csvprep")
def cli() -> None:
    """Get contact lists ready for Ringg AI voice-calling campaigns."""


def validation_options(f: F) -> F:
    """Options shared by every command that validates a list."""
    options = [
        click.option(
            "--variables-map",
            "-m",
            metavar="JSON|FILE",
            help="The assistant's variables_map: variable name to CSV header, as inline JSON "
            "or a JSON file. Without it the phone column is 'Mobile Number' and every other "
            "header is a variable.",
        ),
        click.option(
            "--country-code",
            "-c",
            default="+91",
            show_default=True,
            metavar="CODE",
            help="Region of numbers written without a country code: a calling code (+91) or "
            "a region (IN).",
        ),
        click.option(
            "--prompt",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="FILE",
            help="The assistant's prompt: every @{{variable}} in it must have a column.",
        ),
        click.option("--mobile-only", is_flag=True, help="Reject numbers that are not mobiles."),
        click.option(
            "--delimiter",
            metavar="CHAR",
            help="Force the delimiter (, ; tab |) instead of sniffing it.",
        ),
        click.option(
            "--max-problems",
            default=1000,
            show_default=True,
            type=click.IntRange(min=0),
            help="Keep details of at most this many problems (counts cover every row).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@validation_options
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output for people (text) or machines (json).",
)
def validate(
    files: tuple[str, ...],
    variables_map: str | None,
    country_code: str,
    prompt: Path | None,
    mobile_only: bool,
    delimiter: str | None,
    max_problems: int,
    strict: bool,
    fmt: str,
) -> None:
    """Check contact lists (CSV, TSV or .xlsx) and report every problem with its line.

    Exit status: 0 fit to upload (warnings allowed unless --strict), 1 problems in the data,
    2 bad options or configuration, 3 a file cannot be read.
    """
    from .render import render_json, render_text
    from .validation import validate as run

    reports = []
    worst = 0
    for file in files:
        try:
            report = run(
                file,
                variables_map=variables_map,
                country_code=country_code,
                prompt=prompt,
                mobile_only=mobile_only,
                max_problems=max_problems,
                delimiter=_delimiter(delimiter),
            )
        except CsvprepError as e:
            _fail(e)
            if e.exit_code == 2:
                sys.exit(2)  # the same options would fail for every file
            worst = max(worst, e.exit_code)
            continue
        reports.append(report)
        worst = max(worst, report.exit_code(strict))
        if fmt == "text":
            color = _color()
            use_color = sys.stdout.isatty() if color is None else color
            click.echo(render_text(report, color=use_color), nl=False)
    if fmt == "json" and reports:
        click.echo(render_json(reports), nl=False)
    sys.exit(worst)


def main() -> None:
    """Entry point of the ``csvprep`` script: no traceback ever reaches the user."""
    try:
        cli.main(standalone_mode=True)
    except CsvprepError as e:
        _fail(e)
        sys.exit(e.exit_code)
    except Exception as e:
        if os.environ.get("CSVPREP_DEBUG"):
            raise
        click.echo(
            f"csvprep: internal error: {type(e).__name__}: {e} (set CSVPREP_DEBUG=1 for "
            "details, and please report it)",
            err=True,
        )
        sys.exit(4)
