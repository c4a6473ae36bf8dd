"""Turn a report into text for people or JSON for machines. Renderers return strings; the
caller decides where they go."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from .io.reading import DELIMITER_NAMES
from .problems import Problem
from .report import Report
from .routing import LARGE_CAMPAIGN_ROWS

if TYPE_CHECKING:
    from .outputs.preparing import PrepareResult
    from .outputs.splitting import SplitResult

EXAMPLES_PER_CODE = 5

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_FLOW = {
    "standard": "standard flow: /campaign/save, then start",
    "large": f"large-campaign flow ({LARGE_CAMPAIGN_ROWS:,}+ rows): /campaign/upload-csv",
}


def plural(count: int, word: str, words: str | None = None) -> str:
    """``count`` and the word, singular or plural, as people write it.

    >>> plural(1, "error"), plural(2, "row"), plural(0, "warning"), plural(1000, "fix", "fixes")
    ('1 error', '2 rows', '0 warnings', '1,000 fixes')
    """
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def _where(p: Problem) -> str:
    if p.line is None:
        return "file"
    return f"line {p.line}" if p.row is None else f"line {p.line} (row {p.row})"


TOP_BREAKDOWN = 5


def _top(counts: dict[str, int]) -> str:
    """The largest few of a breakdown on one line, the rest summed.

    >>> _top({"IN": 5, "US": 2, "GB": 1, "AE": 1, "SG": 1, "DE": 1, "FR": 1})
    'IN 5, US 2, AE 1, DE 1, FR 1, 2 more 2'
    """
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [f"{k} {n:,}" for k, n in ranked[:TOP_BREAKDOWN]]
    rest = ranked[TOP_BREAKDOWN:]
    if rest:
        shown.append(f"{len(rest):,} more {sum(n for _, n in rest):,}")
    return ", ".join(shown)


def render_text(report: Report, *, color: bool = False, width: int = 100) -> str:
    """A readable summary: counts, the route, and problems grouped by code, worst first, with
    the first few of each (line, column, value) and how to fix them.
    """
    # lazy: only text output draws with rich (JSON, GitHub and HTML output never do)
    from rich.console import Console
    from rich.markup import escape

    out = io.StringIO()
    console = Console(
        file=out,
        force_terminal=color,
        no_color=not color,
        width=width,
        highlight=False,
        soft_wrap=True,
    )
    rows = report.rows
    fmt = [report.encoding or "frame"]
    if report.delimiter:
        fmt.append(DELIMITER_NAMES[report.delimiter])
    if report.line_ending and report.line_ending != "none":
        fmt.append(report.line_ending)
    console.print(
        f"[bold]{escape(report.file)}[/]  ({', '.join(fmt)}; numbers without a country code "
        f"read as {report.region})"
    )
    console.print(
        f"  {plural(rows.total, 'row')}: [green]{rows.valid:,} valid[/], "
        f"[red]{rows.invalid:,} invalid[/], [yellow]{rows.duplicate:,} duplicate[/]"
        + (f", {rows.excluded:,} excluded" if rows.excluded else "")
    )
    console.print(f"  upload route: [bold]{report.route}[/] ({_FLOW[report.route]})")
    breakdown = report.breakdown
    if breakdown.countries:
        console.print(f"  countries: {escape(_top(breakdown.countries))}")
    if breakdown.number_types:
        types = {k.replace("_", " "): n for k, n in breakdown.number_types.items()}
        console.print(f"  number types: {escape(_top(types))}")
    for note in report.notes:
        console.print(f"  [cyan]note:[/] {escape(note)}")

    by_code: dict[tuple[str, str], list[Problem]] = {}
    for p in report.problems:
        by_code.setdefault((p.code, p.severity), []).append(p)
    for entry in report.summary():
        code, severity, count = entry["code"], entry["severity"], entry["count"]
        console.print()
        console.print(
            f"[{_STYLE[severity]}]{severity.upper()}[/] [bold]{code}[/] "
            f"x{count:,}: {escape(entry['title'])}"
        )
        shown = by_code.get((code, severity), [])[:EXAMPLES_PER_CODE]
        for p in shown:
            # the brackets too: a column named like markup ("phone") must not vanish
            column = escape(f" [{p.column}]") if p.column else ""
            console.print(f"    {_where(p)}{column}: {escape(p.message)}")
        if count > len(shown):
            console.print(f"    ... and {count - len(shown):,} more")
        console.print(f"    [dim]fix:[/] {escape(entry['fix'])}")
    if report.truncated:
        kept = (
            f"details kept for the first {plural(report.max_problems, 'problem')}"
            if report.max_problems
            else "no problem details kept"
        )
        console.print(f"\n[dim]{kept} (--max-problems); counts cover every row[/]")
    errors, warnings = report.count("error"), report.count("warning")
    console.print()
    if errors:
        console.print(
            f"[bold red]FAIL[/]: {plural(errors, 'error')}, {plural(warnings, 'warning')}"
        )
    elif warnings:
        console.print(f"[bold yellow]OK with warnings[/]: {plural(warnings, 'warning')}")
    else:
        console.print("[bold green]OK[/]: no problems found")
    return out.getvalue()


def render_prepared(result: PrepareResult, *, color: bool = False, width: int = 100) -> str:
    """The validation summary, then what was written where."""
    rows = result.manifest["rows"]
    lines = [
        render_text(result.report, color=color, width=width),
        f"\nwrote {result.out_dir}/",
    ]
    for entry in result.manifest["files"]:
        lines.append(f"  {entry['path']}: {plural(entry['rows'], 'row')} ({entry['route']} flow)")
    lines.append(f"  {result.rejected.path.name}: {plural(result.rejected.rows, 'row')}")
    report_file = result.manifest["report_file"]
    lines.append(f"  {report_file}, {report_file.removesuffix('.json')}.html, manifest.json")
    lines.append(
        f"rows: {rows['input']:,} in = {rows['clean']:,} clean + {rows['rejected']:,} rejected"
        f" + {rows['duplicates']:,} duplicates + {rows['excluded']:,} excluded"
    )
    return "\n".join(lines) + "\n"


def render_split(result: SplitResult, file: str) -> str:
    """What split wrote, or the broken records that stopped it."""
    if result.problems:
        lines = [f"{file}: not split; these records are broken (nothing was written):"]
        lines += [f"  line {p.line}: {p.code}: {p.message}" for p in result.problems]
        return "\n".join(lines) + "\n"
    lines = [f"{file}: {plural(result.manifest['rows']['input'], 'row')}"]
    lines += [f"  {f.path}: {plural(f.rows, 'row')}" for f in result.files]
    return "\n".join(lines) + "\n"


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands, one per kept problem, so they show on a pull request.

    >>> from csvprep.report import Report, RowCounts
    >>> r = Report("a,b.csv", "utf-8", ",", "LF", "IN", ("Mobile Number",), "Mobile Number",
    ...            RowCounts(1, 0, 1, 0), "standard",
    ...            problems=(Problem("phone_invalid", "'12': too short", 2, 1, "Mobile Number"),),
    ...            problem_counts={"phone_invalid": 1})
    >>> print(render_github(r), end="")
    ::error file=a%2Cb.csv,line=2,title=phone_invalid::Mobile Number: '12': too short
    """
    lines = []
    for p in report.problems:
        props = [f"file={_github_property(report.file)}"]
        if p.line is not None:
            props.append(f"line={p.line}")
        props.append(f"title={_github_property(p.code)}")
        text = f"{p.column}: {p.message}" if p.column else p.message
        lines.append(f"::{_GITHUB_LEVEL[p.severity]} {','.join(props)}::{_github_data(text)}")
    if report.truncated:
        hidden = sum(report.problem_counts.values()) - len(report.problems)
        lines.append(
            f"::notice file={_github_property(report.file)},title=csvprep::"
            f"{plural(hidden, 'more problem', 'more problems')} not annotated (--max-problems)"
        )
    return "".join(line + "\n" for line in lines)


def render_github_error(file: str, message: str) -> str:
    """The workflow command for a file that could not be read at all, so it shows on the pull
    request like any problem.

    >>> print(render_github_error("a.csv", "a.csv: file is empty"), end="")
    ::error file=a.csv,title=csvprep::a.csv: file is empty
    """
    return f"::error file={_github_property(file)},title=csvprep::{_github_data(message)}\n"
