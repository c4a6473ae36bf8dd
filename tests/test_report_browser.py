"""The HTML report, opened in a real browser (headless Chromium): the counts, every code, the
charts drawn, no script error, no request, and the problem filter and sort working.

The page's own script writes what it did into ``data-*`` attributes (see
:mod:`csvprep.report.html`); ``chromium --dump-dom`` prints the DOM after it ran, and a filter
or sort is asked for in the address's fragment (``#code=phone_invalid``).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import FIXTURES, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run does)"
)

HOSTILE = "<script>alert(1)</script>"
RTL = "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627"  # Hebrew and Arabic
HOSTILE_PROBLEMS = 10_000
FIXED = [
    "excel_mangled_numbers.csv",
    "invalid_numbers.csv",
    "duplicate_numbers.csv",
    "international_numbers.csv",
    "missing_mapped_column.csv",
]


class Dom(HTMLParser):
    """The elements of a dumped page: tag, attributes and (for a few) their text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        want = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in want.items())
        ]

    @property
    def root(self) -> dict[str, str]:
        return self.find("html")[0]


def browse(page: Path, fragment: str = "") -> Dom:
    """The DOM of ``page`` after its script ran in headless Chromium."""
    profile = page.parent / f"profile-{abs(hash(fragment))}"
    result = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=1200,900",
            "--dump-dom",
            page.as_uri() + (f"#{fragment}" if fragment else ""),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dom = Dom(result.stdout)
    assert dom.root.get("data-ready") == "1", "the page's script did not finish"
    return dom


@pytest.fixture(scope="module")
def hostile_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A list built to break a report: markup, quotes and right-to-left text in headers and
    values, and 10,000 invalid numbers."""
    path = tmp_path_factory.mktemp("hostile") / 'hostile <b>list<\\b> "q" &amp;.csv'
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Mobile Number", "Name", f"Note {HOSTILE}"])
        writer.writerow(["9876543210", RTL, "He said \"hi\" & 'bye'"])
        writer.writerow(["+1 201 555 0123", HOSTILE, "<img src=x onerror=alert(2)>"])
        for i in range(HOSTILE_PROBLEMS):
            bad = [HOSTILE, '"><svg onload=alert(3)>', f"{RTL} {i}", "12345"][i % 4]
            writer.writerow([bad, f"n{i}", "" if i % 3 == 0 else "x"])  # some Notes empty
    return path


def report_of(tmp_path: Path, *files: Path) -> tuple[Path, list[dict]]:
    """The HTML report of ``files`` (through the command line) and their JSON reports."""
    page = tmp_path / "report.html"
    args = ("validate", *map(str, files), "--max-problems", "20000")
    result = run_cli(*args, "--format", "html", "--output", str(page))
    assert result.exit_code in (0, 1), result.stderr
    data = json.loads(run_cli(*args, "--format", "json").stdout)
    return page, data if isinstance(data, list) else [data]


def check_page(dom: Dom, reports: list[dict]) -> None:
    root = dom.root
    assert root["data-script-errors"] == "0", root.get("data-last-error")
    assert root["data-blocked-requests"] == "0", root.get("data-last-blocked")
    assert root["data-resources"] == "0"
    # nothing on the page points anywhere but at itself
    for tag, attrs in dom.elements:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            assert attrs.get(name, "#").startswith("#"), (tag, attrs)
    assert len(dom.find("script")) == 2  # the page's own two: no value became a script
    assert int(root["data-charts"]) > 0 and root["data-charts-drawn"] == root["data-charts"]
    sections = dom.find("section", **{"class": "file"})
    assert len(sections) == len(reports)
    for i, report in enumerate(reports, 1):
        section = sections[i - 1]
        assert section["data-file"] == report["file"]
        assert dom.find("div", data_figures=f"rows-{i}"), "row figures missing"
        verdicts = [a for a in dom.find("div") if a.get("data-route") == report["route"]]
        assert any(v["data-ok"] == str(report["ok"]).lower() for v in verdicts)
        # the codes table's rows (the problem table's carry data-order too)
        rows = [a for a in dom.find("tr") if "data-code" in a and "data-order" not in a]
        codes = {a["data-code"] for a in rows}
        assert {s["code"] for s in report["summary"]} <= codes
        stacked = dom.find("svg", data_chart=f"rows-{i}")
        assert stacked and stacked[0]["data-drawn"] == "1"
        for name, key in (("codes", "summary"), ("countries", "countries")):
            found = dom.find("svg", data_chart=f"{name}-{i}")
            has = report["summary"] if key == "summary" else report["breakdown"]["countries"]
            assert bool(found) == bool(has), name
            if found:
                assert found[0]["data-drawn"] == "1" and int(found[0]["data-bars"]) >= 1
        tables = dom.find("table", **{"class": "problems"})
        assert sum(int(t["data-total"]) for t in tables) == sum(len(r["problems"]) for r in reports)


def figure_counts(page: Path) -> list[dict[str, int]]:
    """Per file section, the row figures as printed (label -> number)."""
    text = page.read_text(encoding="utf-8")
    out = []
    for part in text.split('data-figures="rows-')[1:]:
        block = part.split("</div></div>")[0]
        counts = {}
        for cell in block.split('data-count="')[1:]:
            label = cell.split('"')[0]
            number = cell.split("<b>")[1].split("</b>")[0]
            counts[label] = int(number.replace(",", ""))
        out.append(counts)
    return out


@pytest.mark.parametrize("name", FIXED)
def test_a_fixture_report_renders_completely(tmp_path, name):
    page, reports = report_of(tmp_path, FIXTURES / name)
    check_page(browse(page), reports)
    (counts,) = figure_counts(page)
    assert counts == {"total": reports[0]["rows"]["total"], **reports[0]["rows"]}


def test_the_hostile_report_renders_and_filters(tmp_path, hostile_csv):
    page, reports = report_of(tmp_path, hostile_csv)
    (report,) = reports
    assert len(report["problems"]) >= HOSTILE_PROBLEMS
    dom = browse(page)
    check_page(dom, reports)
    text = "".join(dom.texts)
    assert HOSTILE in text and RTL in text  # shown as text, not run or lost
    assert dom.root["data-visible-problems"] == str(len(report["problems"]))

    # one browser run a filter (each takes seconds on 10,000 rows): a code, then a column
    # with a sort
    want = sum(p["code"] == "phone_invalid" for p in report["problems"])
    filtered = browse(page, "code=phone_invalid")
    assert want and filtered.root["data-visible-problems"] == str(want)

    column = f"Note {HOSTILE}"
    mine = [i for i, p in enumerate(report["problems"]) if p["column"] == column]
    latest = max(mine, key=lambda i: report["problems"][i]["line"])
    dom = browse(page, f"column={quote(column)}&sort=line:desc")
    assert mine and dom.root["data-visible-problems"] == str(len(mine))
    (table,) = dom.find("table", **{"class": "problems"})
    assert table["data-sorted"] == "line:desc" and table["data-first-order"] == str(latest)


def test_several_files_give_one_report_with_an_overview(tmp_path, hostile_csv):
    files = [FIXTURES / n for n in FIXED[:3]] + [hostile_csv]
    page, reports = report_of(tmp_path, *files)
    dom = browse(page, "code=phone_invalid")
    check_page(dom, reports)
    assert dom.find("section", id="overview")
    want = sum(p["code"] == "phone_invalid" for r in reports for p in r["problems"])
    assert want and dom.root["data-visible-problems"] == str(want)
    assert [c["total"] for c in figure_counts(page)[1:]] == [r["rows"]["total"] for r in reports]


def test_the_checks_catch_a_page_that_calls_out(tmp_path):
    # the test's own detectors, shown to fail: an image from the network is blocked and counted
    page, _ = report_of(tmp_path, FIXTURES / "valid_contacts.csv")
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("<footer>", '<img src="http://example.invalid/x.png"><footer>'))
    root = browse(page).root
    assert root["data-blocked-requests"] == "1"
    assert "example.invalid" in root["data-last-blocked"]
