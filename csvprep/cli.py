"""The ``csvprep`` command line. Each command parses its options, merges them over the project
configuration, calls one library function, renders the result and maps it to an exit code.

The modules that load Polars (the writer and every stage), rich's drawing or httpx are
imported inside the commands that use them, never here: :func:`main` tunes Polars' allocator
before Polars loads, and ``--help``, ``--version``, ``schema``, ``init`` and every TAB of shell
completion load this module alone. The rest (configuration, resources) is imported here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from ._signals import stop_on_signals
from .config import settings_for
from .errors import CsvprepError, UsageError
from .resources import example_text, schema_text
from .settings import DEFAULTS as BUILT_IN
from .settings import delimiter_from

if TYPE_CHECKING:
    from .report import Report

F = TypeVar("F", bound=Callable[..., Any])

# Built-in values of the settings a flag or the project configuration may give (the library's).
DEFAULTS: dict[str, Any] = BUILT_IN.as_dict()
# Files at least this big get a progress display (on a terminal only).
_PROGRESS_BYTES = 5_000_000


def _fail(error: CsvprepError) -> None:
    click.echo(f"csvprep: error: {error.message}", err=True)


def _usage_error(error: click.UsageError, ctx: click.Context) -> NoReturn:
    """click's usage errors in csvprep's one-line style (not click's three lines), exit 2."""
    where = (error.ctx or ctx).command_path
    message = error.format_message().rstrip(".")
    click.echo(f"csvprep: error: {message} (see '{where} --help')", err=True)
    ctx.exit(2)


def _settings(file: str | Path, given: dict[str, Any]) -> dict[str, Any]:
    """Flags over the project configuration over the built-in defaults."""
    flags = {k: v for k, v in given.items() if v is not None}
    merged = {**DEFAULTS, **settings_for(file), **flags}
    merged["delimiter"] = delimiter_from(merged["delimiter"])
    if isinstance(merged["prompt"], str) and "\n" not in merged["prompt"]:
        merged["prompt"] = Path(merged["prompt"])  # a path; fetched prompt text has lines
    return merged


@contextlib.contextmanager
def _progress(
    file: str | Path, quiet: bool, then: str = "adding up"
) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr while a large file is read, only on a terminal, with its rate
    and time left, then ``then`` (what follows the read): the callback for the library's
    ``progress`` option, or None."""
    try:
        size = Path(file).stat().st_size
    except OSError:
        size = 0
    if quiet or size < _PROGRESS_BYTES or not sys.stderr.isatty():
        yield None
        return
    # lazy: rich's progress display costs a tenth of a second to import; only a big file on a
    # terminal shows it
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    reading, after = escape(f"checking {file}"), escape(f"{file}: read; {then}")
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(reading, total=size)

        def update(done: int, total: int) -> None:
            # once the file is read the bar would sit full: say what is happening instead
            bar.update(
                task, completed=done, total=total, description=after if done >= total else reading
            )

        yield update


class Output:
    """Where results go and how they look: the format, colour and quietness flags."""

    def __init__(self, fmt: str, quiet: bool, no_color: bool) -> None:
        self.fmt, self.quiet = fmt, quiet
        self.color = not no_color and not os.environ.get("NO_COLOR") and sys.stdout.isatty()

    def text(self, render: Callable[[], str]) -> None:
        """Print what ``render`` makes, unless quiet: then it is not even made (rich's import
        and the layout cost a pre-commit hook's run time for nothing)."""
        if not self.quiet:
            click.echo(render(), nl=False)


def output_options(f: F, *, html: bool = False) -> F:
    """--format, --quiet and --no-color (and the html format, where ``html``)."""
    formats = ["text", "json", "github", *(["html"] if html else [])]
    also = ", a self-contained page (html)" if html else ""
    options = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(formats),
            default="text",
            show_default=True,
            help=f"For people (text), machines (json), GitHub Actions annotations (github){also}.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="No summary: the exit code says it."),
        click.option("--no-color", is_flag=True, help="No colour (also when NO_COLOR is set)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def api_options(f: F) -> F:
    """--api-key-file and --base-url, for every command that talks to the platform."""
    f = click.option(
        "--base-url",
        envvar="RINGG_BASE_URL",
        default=None,
        help="API base URL (default the platform's; also RINGG_BASE_URL).",
    )(f)
    return click.option(
        "--api-key-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="A file holding the API key (default: the RINGG_API_KEY variable).",
    )(f)


def out_options(what: str) -> Callable[[F], F]:
    """--out FOLDER and --force, for the commands that write files."""

    def decorate(f: F) -> F:
        f = click.option("--force", is_flag=True, help="Write into a folder that is not empty.")(f)
        return click.option(
            "--out",
            "-o",
            "out_dir",
            required=True,
            type=click.Path(file_okay=False, path_type=Path),
            help=f"Folder for {what} (refused when not empty, unless --force).",
        )(f)

    return decorate


class _Group(click.Group):
    """Maps csvprep's exceptions to their exit codes, with a one-line message, for every
    command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as e:
            _usage_error(e, ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CsvprepError as e:
            _fail(e)
            ctx.exit(e.exit_code)
        except click.UsageError as e:
            _usage_error(e, ctx)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="csvprep")
def cli() -> None:
    """Get contact lists ready for Ringg AI voice-calling campaigns.

    Settings come from flags, then from csvprep.toml or [tool.csvprep] in pyproject.toml
    (found by walking up from each file), then from the defaults.
    """


def validation_options(f: F) -> F:
    """Options shared by every command that validates a list. Unset ones come from the
    project configuration, then :data:`DEFAULTS`."""
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
            metavar="CODE",
            help="Region of numbers written without a country code: a calling code (+91) or "
            "a region (IN). Default +91.",
        ),
        click.option(
            "--prompt",
            metavar="FILE",
            help="The assistant's prompt: every @{{variable}} in it must have a column.",
        ),
        click.option(
            "--mobile-only/--any-type",
            default=None,
            help="Reject numbers that are not mobiles (default: any type).",
        ),
        click.option(
            "--delimiter",
            metavar="CHAR",
            help="Force the delimiter (, ; tab |) instead of sniffing it.",
        ),
        click.option(
            "--max-problems",
            type=click.IntRange(min=0, max=sys.maxsize),
            help=f"Keep details of at most this many problems (default {BUILT_IN.max_problems}; "
            "counts cover "
            "every row).",
        ),
        click.option(
            "--rules", metavar="FILE", help="Column rules (TOML): what each column must hold."
        ),
        click.option("--strict/--no-strict", default=None, help="Fail (exit 1) on warnings too."),
        click.option(
            "--max-cells",
            type=click.IntRange(min=1),
            metavar="N",
            help="Refuse a workbook whose sheet spans more cells "
            f"(default {BUILT_IN.max_cells:,}).",
        ),
        click.option(
            "--sheet",
            metavar="NAME|N",
            help="The workbook's sheet to read: its name or its number from 1 (default: the "
            "first).",
        ),
        click.option(
            "--encoding",
            metavar="NAME",
            help="The file's encoding (any Python codec name: utf-8, cp1252, cp1251, "
            "iso8859_7...) instead of detecting it.",
        ),
        click.option(
            "--skip-rows",
            type=click.IntRange(min=0),
            metavar="N",
            help="Skip the first N lines (sheet rows) of the file: titles or comments above "
            "the header.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _validate_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: settings[k] for k in DEFAULTS if k != "strict"}


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@validation_options
@click.option(
    "--agent-id",
    help="Fetch the assistant and check the headers against its custom "
    "variables and prompt (needs RINGG_API_KEY or --api-key-file).",
)
@api_options
@click.option(
    "--name",
    metavar="NAME",
    help="What a list read from standard input (FILE '-') is called in the report and the "
    "output names (default stdin.csv).",
)
@partial(output_options, html=True)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the report (any format) to FILE instead of standard output.",
)
def validate(
    files: tuple[str, ...],
    fmt: str,
    quiet: bool,
    no_color: bool,
    name: str | None,
    output: Path | None,
    agent_id: str | None,
    api_key_file: Path | None,
    base_url: str | None,
    **given: Any,
) -> None:
    """Check contact lists (CSV, TSV or .xlsx) and report every problem with its line.

    With several files, only those with problems are summarised (as a pre-commit hook or a
    linter would), then one line of totals; JSON is then one array with an entry per file (an
    unreadable file's entry holds its error and exit status).

    \b
    Examples:
      csvprep validate contacts.csv -m '{"mobile_number": "Phone", "callee_name": "Name"}'
      csvprep validate lists/*.csv --format json > reports.json
      csvprep validate lists/*.csv --format github     # annotations in GitHub Actions

    Exit status: 0 fit to upload (warnings allowed unless --strict), 1 problems in the data,
    2 bad options or configuration, 3 a file cannot be read, 4 a bug in csvprep.
    """
    from .render import plural, render_github, render_github_error, render_text  # lazy: Polars

    out = Output(fmt, quiet, no_color)
    if output is not None:
        from .io.writing import check_report_target  # lazy: Polars

        out.color = False  # a file gets no terminal colour codes
        try:
            check_report_target(output, _inputs(files, given, api_key_file))
        except CsvprepError as e:
            _fail(e)
            sys.exit(e.exit_code)
    written: list[str] = []  # what --output gets, in order
    if agent_id:
        from .upload import DEFAULT_BASE_URL, Api, agent_prompt  # lazy: httpx

        with Api(_api_key(api_key_file), base_url or DEFAULT_BASE_URL) as api:
            given["prompt"] = agent_prompt(api, agent_id)
    several = len(files) > 1
    entries: list[dict[str, Any]] = []  # JSON: a report, or an unreadable file's error
    reports: list[Report] = []

    def emit(text: str) -> None:
        if output is None:
            click.echo(text, nl=False)
        else:
            written.append(text)

    worst, passed, summarised = 0, 0, 0
    for file in files:
        outcome = _validate_one(file, given, quiet, name)
        if isinstance(outcome, CsvprepError):
            _fail(outcome)
            if outcome.exit_code == 2:
                sys.exit(2)  # a configuration error would fail every file the same way
            worst = max(worst, outcome.exit_code)
            entries.append({"file": file, "error": outcome.message, "exit_code": outcome.exit_code})
            if fmt == "github":
                emit(render_github_error(file, outcome.message))
            continue
        report, code = outcome
        worst = max(worst, code)
        entries.append(report.to_dict())
        reports.append(report)
        if fmt == "text" and not quiet:
            if several and code == 0 and not report.problems:
                passed += 1  # a passing file says nothing, as ruff or pre-commit would
                continue
            emit(("\n" if summarised else "") + render_text(report, color=out.color))
            summarised += 1
        elif fmt == "github":
            emit(render_github(report))
    if fmt == "json" and entries and (several or "error" not in entries[0]):
        emit(json.dumps(entries if several else entries[0], indent=2, ensure_ascii=False) + "\n")
    elif fmt == "html" and reports:
        from .report.html import render_html  # lazy: Polars

        emit(render_html(reports))
    if fmt == "text" and several and not quiet:
        failed = len(files) - passed
        emit(f"\n{plural(len(files), 'file')} checked: {passed:,} OK, {failed:,} not\n")
    if output is not None:
        _write_output(output, "".join(written))
    sys.exit(worst)


def _validate_one(
    file: str, given: dict[str, Any], quiet: bool, name: str | None
) -> tuple[Report, int] | CsvprepError:
    """One file's report and exit status, or the error that stopped it."""
    from .pipeline.validation import validate as run  # lazy: Polars (see the module's note)

    try:
        settings = _settings(file, given)
        with _source(file, name) as (path, label), _progress(path, quiet) as progress:
            report = run(path, progress=progress, **_validate_kwargs(settings))
    except CsvprepError as e:
        return e
    if label is not None:
        report = replace(report, file=label)
    return report, report.exit_code(settings["strict"])


@contextlib.contextmanager
def _source(file: str | Path, name: str | None) -> Iterator[tuple[Path, str | None]]:
    """FILE as given, or for ``-`` standard input spooled to a temporary file named as
    ``name`` says (the readers take files: they sniff, batch and re-read), with that name."""
    if str(file) != "-":
        yield Path(file), None
        return
    label = name or "stdin.csv"
    with tempfile.TemporaryDirectory(prefix="csvprep-stdin-") as temp:
        path = Path(temp) / (Path(label).name.strip(".") or "stdin.csv")
        with path.open("wb") as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool)
        try:
            yield path, label
        except CsvprepError as e:
            # the spooled copy's path means nothing to the user: name the input as --name does
            e.message = e.message.replace(str(path), label)
            e.args = (e.message,)
            raise


def _inputs(files: Sequence[str], given: dict[str, Any], key_file: Path | None) -> list[object]:
    """Every file a validate run reads: the lists, the key file, and each list's settings
    files, from the flags or the project configuration (and that configuration's own file)."""
    from .config import find_config
    from .pipeline.validation import FILE_OPTIONS  # lazy: Polars

    found: list[object] = [*files, key_file]
    for file in files:
        if file == "-":
            continue
        settings = _settings(file, given)
        found += (settings.get(k) for k in FILE_OPTIONS)
        config = find_config(Path(file))
        if config is not None:
            found.append(config.path)
    return found


def _write_output(path: Path, text: str) -> None:
    """``--output``: the whole report at once (atomically), or exit 7 saying why not."""
    from .io.writing import write_report  # lazy: Polars

    # a file name that is not UTF-8 (its bytes held as surrogates) is written escaped, as
    # JSON's own \u escapes read it back
    write_report(path, text.encode("utf-8", "backslashreplace"))


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@out_options("the outputs")
@validation_options
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    metavar="N",
    help="Split the clean rows into parts of at most N rows (4999 keeps every part on the "
    "standard upload flow).",
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
@click.option(
    "--name",
    metavar="NAME",
    help="What a list read from standard input (FILE '-') is called in the report and the "
    "output names (default stdin.csv).",
)
@output_options
def prepare(
    file: Path,
    out_dir: Path,
    max_rows: int | None,
    keep_duplicates: bool,
    exclude: Path | None,
    call_window: str | None,
    timezone: str,
    local_hours: str,
    force: bool,
    fmt: str,
    quiet: bool,
    no_color: bool,
    name: str | None,
    **given: Any,
) -> None:
    """Write upload-ready files for FILE: clean rows (or parts), rejects with their reasons,
    the report and a manifest.

    \b
    Examples:
      csvprep prepare contacts.csv --out ready/ -m map.json --max-rows 4999
      csvprep prepare contacts.csv --out ready/ --exclude do_not_call.csv --force

    Exit status: 0 every row is clean (repeats and suppressed numbers removed as asked), 1 rows
    were rejected or the file still has errors, 2 bad options, 3 a file cannot be read, 7 an
    output cannot be written (read-only folder, full disk).
    """
    # lazy: Polars (see the module's note)
    from .checks.calling_hours import CallWindow
    from .outputs.preparing import prepare as run
    from .render import render_github, render_prepared

    out = Output(fmt, quiet, no_color)
    settings = _settings(file, given)
    window = CallWindow.parse(call_window, timezone, local_hours) if call_window else None
    with (
        _source(file, name) as (path, label),
        _progress(path, quiet, then="writing the outputs") as progress,
    ):
        result = run(
            path,
            out_dir,
            name=label,
            progress=progress,
            **_validate_kwargs(settings),
            max_rows=max_rows,
            keep_duplicates=keep_duplicates,
            exclude=exclude,
            call_window=window,
            force=force,
        )
    if fmt == "json":
        click.echo(json.dumps(result.manifest, indent=2, ensure_ascii=False))
    elif fmt == "github":
        click.echo(render_github(result.report), nl=False)
    else:
        out.text(partial(render_prepared, result, color=out.color))
    sys.exit(result.exit_code(settings["strict"]))


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
    "--encoding",
    metavar="NAME",
    help="The file's encoding (a Python codec name) instead of detecting it.",
)
@click.option(
    "--skip-rows",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Skip the first N lines of the file (titles or comments above the header).",
)
@out_options("the parts")
@output_options
def split(
    file: Path,
    max_rows: int,
    encoding: str | None,
    skip_rows: int,
    out_dir: Path,
    force: bool,
    fmt: str,
    quiet: bool,
    no_color: bool,
) -> None:
    """Split any CSV into parts of at most N rows, values exactly as given (no validation).

    \b
    Example:
      csvprep split big.csv --max-rows 4999 --out parts/

    A file with broken records (wrong cell count, bad quotes) is refused whole: exit 1. Exit 7
    when a part cannot be written (read-only folder, full disk).
    """
    # lazy: Polars (see the module's note)
    from .outputs.splitting import split as run
    from .render import render_split

    out = Output(fmt, quiet, no_color)
    result = run(
        file, out_dir, max_rows=max_rows, force=force, encoding=encoding, skip_rows=skip_rows
    )
    if fmt == "json":
        payload = result.manifest or {"problems": [p.to_dict() for p in result.problems]}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        out.text(partial(render_split, result, str(file)))
    sys.exit(result.exit_code())


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--campaign",
    "campaign_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Campaign settings (TOML or JSON); the flags below override them.",
)
@click.option("--agent-id", help="The assistant that makes the calls.")
@click.option("--campaign-name", help="Name of the campaign.")
@click.option("--start-time", "campaign_start_time", metavar="'DD/MM/YYYY, HH:MM'")
@click.option("--end-time", "campaign_end_time", metavar="'DD/MM/YYYY, HH:MM'")
@click.option(
    "--from-number",
    "from_numbers",
    multiple=True,
    help="A caller number id (repeatable); or --number-pool-id.",
)
@click.option("--number-pool-id", help="A managed number pool, instead of --from-number.")
@click.option("--start-calls", is_flag=True, help="Start the calls after the upload.")
@click.option("--dry-run", is_flag=True, help="Print every request it would send; send none.")
@click.option(
    "--remove-invalid-rows",
    is_flag=True,
    help="Upload although some rows were rejected (and ask the platform to drop invalid rows).",
)
@click.option("--force", is_flag=True, help="Ignore the ledger: submit again.")
@click.option(
    "--max-wait",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="Wait at most this long for a large upload's processing (default 1800; a later run "
    "resumes the wait).",
)
@api_options
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    metavar="N",
    help="When SOURCE is a CSV: split it into parts of at most N rows first.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output for people (text) or machines (json).",
)
def upload(
    source: Path,
    campaign_file: Path | None,
    from_numbers: tuple[str, ...],
    start_calls: bool,
    dry_run: bool,
    remove_invalid_rows: bool,
    force: bool,
    api_key_file: Path | None,
    base_url: str | None,
    max_rows: int | None,
    fmt: str,
    **overrides: Any,
) -> None:
    """Upload a prepared folder (or a CSV, prepared first) by the standard or large-campaign
    flow, resuming safely from the folder's upload ledger.

    \b
    Examples:
      csvprep upload ready/ --campaign campaign.toml --dry-run
      RINGG_API_KEY=... csvprep upload ready/ --campaign campaign.toml --start-calls

    Exit status: 0 done, 1 rows rejected (see --remove-invalid-rows), 2 bad settings, 3 input
    unreadable (or the folder does not match its manifest), 5 the platform refused, 6 a request
    may have been acted on (check first), 7 the ledger cannot be written.
    """
    # lazy: httpx and Polars (see the module's note)
    from .upload import DEFAULT_BASE_URL, Api, check_base_url
    from .upload import upload as run
    from .upload.campaign import load_campaign

    overrides["from_numbers"] = list(from_numbers) or None
    if remove_invalid_rows:
        overrides["remove_invalid_rows"] = True
    campaign = load_campaign(campaign_file, overrides)
    settings = _settings(source, {"country_code": campaign.country_code})

    check_base_url(base_url or DEFAULT_BASE_URL)  # a dry run prints it
    with contextlib.ExitStack() as stack:
        api = None
        if not dry_run:
            api = stack.enter_context(Api(_api_key(api_key_file), base_url or DEFAULT_BASE_URL))
        say, wait = stack.enter_context(_upload_display(fmt == "text"))
        result = run(
            source,
            campaign,
            api=api,
            start_calls=start_calls,
            force=force,
            dry_run=dry_run,
            on_event=say,
            on_wait=wait,
            prepare_options={**_validate_kwargs(settings), "max_rows": max_rows},
        )
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    if dry_run:
        click.echo("dry run: these requests would be sent (none was):")
        for r in result.requests:
            extra = f" file={r.file} ({r.rows:,} rows)" if r.file else ""
            fields = json.dumps(r.fields, ensure_ascii=False) if r.fields else ""
            click.echo(
                f"  {r.method} {(base_url or DEFAULT_BASE_URL).rstrip('/')}{r.url}"
                f"{extra} {fields}".rstrip()
            )
        return
    for f in result.files:
        ids = f.get("list_id") or f.get("bulk_list_id")
        started = ", calls started" if f.get("started") else ""
        click.echo(f"{f['path']}: {f['rows']:,} rows, {f['route']} flow, id {ids}{started}")


@contextlib.contextmanager
def _upload_display(
    show: bool,
) -> Iterator[tuple[Callable[[str], None], Callable[[str, str, float, float], None]]]:
    """What an upload says, on stderr: a line per step and per status change; on a terminal
    also a live line while a large upload is processed (status, time waited, the limit)."""

    def say(line: str) -> None:
        if show:
            click.echo(line, err=True)

    if not show or not sys.stderr.isatty():
        yield say, lambda *_: None
        return
    # lazy: rich's console is only drawn on a terminal
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True)
    with console.status("") as status:

        def wait(name: str, state: str, elapsed: float, limit: float) -> None:
            status.update(
                escape(f"{name}: upload {state or '?'}, {elapsed:.0f} s of at most {limit:.0f} s")
            )

        def say_over(line: str) -> None:
            console.print(escape(line), highlight=False)

        yield say_over, wait


def _api_key(path: Path | None) -> str:
    """The API key from a file or RINGG_API_KEY, checked; never echoed anywhere."""
    from .upload import check_api_key  # lazy: httpx

    if path is not None:
        try:
            key = path.read_text(encoding="utf-8-sig").strip()  # Notepad saves a BOM
        except (OSError, UnicodeDecodeError) as e:
            reason = e.strerror if isinstance(e, OSError) else "not UTF-8 text"
            raise UsageError(f"{path}: cannot read the API key file ({reason})") from None
    else:
        key = os.environ.get("RINGG_API_KEY", "").strip()
    check_api_key(key)
    return key


@cli.group()
def rules() -> None:
    """Column rules: what each column the assistant speaks must hold."""


@rules.command("init")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the rules here (default: print them).",
)
@click.option("--variables-map", "-m", metavar="JSON|FILE", help="To leave the phone column out.")
@click.option("--force", is_flag=True, help="Overwrite an existing rule file.")
def rules_init(file: Path, out: Path | None, variables_map: str | None, force: bool) -> None:
    """Infer a starting rule file from FILE's values (dates and their format, numbers, enums,
    id patterns, required columns) for a person to edit."""
    from .checks.rules import init  # lazy: Polars

    _print_or_write(init(file, variables_map), out, force)


@cli.command("schema")
@click.argument("name", type=click.Choice(["report", "manifest", "rules", "campaign"]))
def schema_command(name: str) -> None:
    """Print the JSON schema of a report, manifest, rule file or campaign settings file.

    \b
    Example:
      csvprep schema report > report.schema.json
    """
    click.echo(schema_text(name), nl=False)


@cli.command("init")
@click.argument("name", type=click.Choice(["campaign", "rules"]))
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the example here (default: print it).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init_command(name: str, out: Path | None, force: bool) -> None:
    """Write an example campaign settings file or rule file, to edit.

    \b
    Example:
      csvprep init campaign -o campaign.toml
    """
    _print_or_write(example_text(name), out, force)


def _print_or_write(text: str, out: Path | None, force: bool) -> None:
    """``text`` on stdout, or into the file ``out`` (never over one, without ``force``)."""
    from .io.writing import atomic_write, writing  # lazy: Polars

    if out is None:
        click.echo(text, nl=False)
        return
    if out.exists() and not force:
        raise UsageError(f"{out}: exists; use --force to overwrite it")
    with writing(out):
        atomic_write(out, text.encode("utf-8"))
    click.echo(f"wrote {out}", err=True)


# Polars' allocator (jemalloc) keeps freed pages for 10 s and an arena per thread: fine for a
# server, wasteful for a command that reads a file in batches. Returning them sooner cuts peak
# memory by a fifth at no measured cost. Read when Polars loads, so set before; a user's own
# setting wins.
_ALLOCATOR = ("_RJEM_MALLOC_CONF", "narenas:2,dirty_decay_ms:500,muzzy_decay_ms:0")


def main() -> None:
    """Entry point of the ``csvprep`` script: no traceback ever reaches the user."""
    if "polars" not in sys.modules:
        os.environ.setdefault(*_ALLOCATOR)
    stop_on_signals()  # done already when started as the command (csvprep.__main__)
    try:
        cli.main(standalone_mode=True)
    except SystemExit as done:
        _exit_now(done.code)
    except BaseException as e:
        # BaseException, not Exception: a panic in Polars' Rust code reaches Python as
        # pyo3's PanicException, which derives from BaseException (as a Rust error turned
        # exception would not). KeyboardInterrupt never gets here: see stop_on_signals.
        if os.environ.get("CSVPREP_DEBUG"):
            raise
        click.echo(
            f"csvprep: internal error: {type(e).__name__}: {_one_line(str(e))} (set "
            "CSVPREP_DEBUG=1 for details, and please report it)",
            err=True,
        )
        _exit_now(4)


def _one_line(text: str, limit: int = 300) -> str:
    """The first non-blank line of ``text``, cut to ``limit`` characters: Polars' errors go on
    for lines (the plan, hints), and one line is what the user is promised.

    >>> _one_line("capacity overflow\\n\\nThis error occurred in the following expression")
    'capacity overflow'
    """
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _exit_now(code: object) -> NoReturn:
    """End the process with ``code`` as ``sys.exit`` would, but without the interpreter's
    teardown: freeing every module's objects and stopping Polars' thread pools takes about
    50 ms, a fifth of a pre-commit run on a short list. By now every file csvprep writes is
    written, synced and closed; only the standard streams still hold buffered output."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        # a reader that went away, a stream closed: nothing more can be said
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)
