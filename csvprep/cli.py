"""The ``csvprep`` command line. Each command parses its options, calls one library function,
renders the result and maps it to an exit code."""

from __future__ import annotations

import json
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


def _use_color() -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _output_format(f: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Output for people (text) or machines (json).",
    )(f)


def _echo_text(text: str) -> None:
    click.echo(text, nl=False)


class _Group(click.Group):
    """Maps csvprep's exceptions to their exit codes, with a one-line message, for every
    command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CsvprepError as e:
            _fail(e)
            ctx.exit(e.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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
@_output_format
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
            _echo_text(render_text(report, color=_use_color()))
    if fmt == "json" and reports:
        click.echo(render_json(reports), nl=False)
    sys.exit(worst)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the outputs (refused when not empty, unless --force).",
)
@validation_options
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    metavar="N",
    help="Split the clean rows into parts of at most N rows (4999 keeps every part "
    "on the standard upload flow).",
)
@click.option(
    "--keep-duplicates",
    is_flag=True,
    help="Keep repeated numbers in the clean file (the first is always kept).",
)
@click.option(
    "--exclude",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Suppression list: a CSV with a phone column, or one number a line.",
)
@click.option(
    "--call-window",
    metavar="HH:MM-HH:MM",
    help="The campaign's calling window, to warn about numbers it rings at night.",
)
@click.option(
    "--timezone",
    "timezone",
    default="Asia/Kolkata",
    show_default=True,
    help="IANA time zone of --call-window.",
)
@click.option(
    "--local-hours",
    default="08:00-21:00",
    show_default=True,
    metavar="HH:MM-HH:MM",
    help="Hours it is acceptable to ring someone, in their own time zone.",
)
@click.option("--force", is_flag=True, help="Write into a folder that is not empty.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@_output_format
def prepare(
    file: Path,
    out_dir: Path,
    variables_map: str | None,
    country_code: str,
    prompt: Path | None,
    mobile_only: bool,
    delimiter: str | None,
    max_problems: int,
    max_rows: int | None,
    keep_duplicates: bool,
    exclude: Path | None,
    call_window: str | None,
    timezone: str,
    local_hours: str,
    force: bool,
    strict: bool,
    fmt: str,
) -> None:
    """Write upload-ready files for FILE: clean rows (or parts), rejects with their reasons,
    the report and a manifest.

    Exit status: 0 every row is clean (repeats and suppressed numbers removed as asked), 1 rows
    were rejected or the file still has errors, 2 bad options, 3 a file cannot be read.
    """
    from .calling_hours import CallWindow
    from .preparing import prepare as run
    from .render import render_prepared

    window = CallWindow.parse(call_window, timezone, local_hours) if call_window else None
    result = run(
        file,
        out_dir,
        variables_map=variables_map,
        country_code=country_code,
        prompt=prompt,
        mobile_only=mobile_only,
        max_problems=max_problems,
        delimiter=_delimiter(delimiter),
        max_rows=max_rows,
        keep_duplicates=keep_duplicates,
        exclude=exclude,
        call_window=window,
        force=force,
    )
    if fmt == "json":
        click.echo(json.dumps(result.manifest, indent=2, ensure_ascii=False))
    else:
        _echo_text(render_prepared(result, color=_use_color()))
    sys.exit(result.exit_code(strict))


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--max-rows",
    required=True,
    type=click.IntRange(min=1),
    metavar="N",
    help="At most N rows a part.",
)
@click.option(
    "--out",
    "-o",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the parts.",
)
@click.option("--force", is_flag=True, help="Write into a folder that is not empty.")
@_output_format
def split(file: Path, max_rows: int, out_dir: Path, force: bool, fmt: str) -> None:
    """Split any CSV into parts of at most N rows, values exactly as given (no validation).

    A file with broken records (wrong cell count, bad quotes) is refused whole: exit 1.
    """
    from .render import render_split
    from .splitting import split as run

    result = run(file, out_dir, max_rows=max_rows, force=force)
    if fmt == "json":
        click.echo(
            json.dumps(
                result.manifest or {"problems": [p.to_dict() for p in result.problems]},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        _echo_text(render_split(result, str(file)))
    sys.exit(result.exit_code())


def main() -> None:
    """Entry point of the ``csvprep`` script: no traceback ever reaches the user."""
    try:
        cli.main(standalone_mode=True)
    except Exception as e:
        if os.environ.get("CSVPREP_DEBUG"):
            raise
        click.echo(
            f"csvprep: internal error: {type(e).__name__}: {e} (set CSVPREP_DEBUG=1 for "
            "details, and please report it)",
            err=True,
        )
        sys.exit(4)
