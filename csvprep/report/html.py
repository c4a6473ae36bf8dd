"""The report as one self-contained HTML page: for people who open a file rather than read a
terminal, and for passing on to whoever fixes the list.

One file and nothing fetched: the styles are inline, the charts inline SVG, and a small inline
script only filters and sorts the problem table. A Content-Security-Policy forbids every
request, so a page that someone edits still cannot call out. Every value from the data goes
through :func:`html.escape`: a cell reading ``<script>`` is shown, never run.

The script also writes what it did into the page (``data-*`` attributes on ``<html>`` and each
problem table): a headless browser's ``--dump-dom`` then shows whether the script ran without
error and what a filter in the address (``#code=phone_invalid&column=Phone``) left visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from ..io.reading import DELIMITER_NAMES
from ..problems import Problem
from ..report import Report
from ..routing import LARGE_CAMPAIGN_ROWS

# Row outcomes in the order the stacked bar draws them, with the colour variable of each.
_OUTCOMES = (
    ("valid", "--ok"),
    ("invalid", "--error"),
    ("duplicate", "--warning"),
    ("excluded", "--muted"),
)
_SEVERITY_COLOUR = {"error": "--error", "warning": "--warning", "info": "--info"}
_FLOW = {
    "standard": "standard flow (/campaign/save, then start)",
    "large": f"large-campaign flow, {LARGE_CAMPAIGN_ROWS:,}+ rows (/campaign/upload-csv)",
}
# A chart shows this many bars; the rest are summed into one "others" bar.
_CHART_BARS = 12
_LABEL_CHARS = 48

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

_CSS = """
:root{--bg:#fff;--fg:#1b1f24;--muted:#6b7280;--line:#d8dde3;--card:#f5f7f9;
--ok:#1a7f37;--error:#c62828;--warning:#b7791f;--info:#1f6fb5;--accent:#3a4a8c;
color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e6e8eb;--muted:#9aa3ad;
--line:#2d333b;--card:#1a1f25;--ok:#3fb950;--error:#f26b6b;--warning:#e3b341;
--info:#58a6ff;--accent:#8ea2f0}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Noto Sans",sans-serif}
main{max-width:1080px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.3rem;margin:1.2em 0 .4em;overflow-wrap:anywhere}
h3{font-size:1.05rem;margin:1.4em 0 .4em}
.sub{color:var(--muted);margin:0}
section.file{border-top:3px solid var(--line);margin-top:24px;padding-top:4px}
.verdict{border-radius:10px;padding:12px 16px;margin:12px 0;border:2px solid;
background:var(--card)}
.verdict strong{font-size:1.25rem;display:block}
.verdict.ok{border-color:var(--ok)}.verdict.ok strong{color:var(--ok)}
.verdict.fail{border-color:var(--error)}.verdict.fail strong{color:var(--error)}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(120px,1fr));gap:8px;
margin:8px 0}
.figure{background:var(--card);border-radius:8px;padding:8px 12px;border-left:5px solid
var(--line)}
.figure b{display:block;font-size:1.4rem;font-variant-numeric:tabular-nums}
.figure span{color:var(--muted);font-size:.85rem}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:0 24px}
figure{margin:0}
svg.chart{display:block;overflow:visible}
svg text{fill:var(--fg);font:13px system-ui,sans-serif}
svg text.n{fill:var(--muted);font-variant-numeric:tabular-nums}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:.85rem;color:var(--muted);
margin:4px 0}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
.empty{color:var(--muted);font-style:italic}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--card);position:sticky;top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.value{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
overflow-wrap:anywhere;min-width:9em;max-width:22em}
td.msg{overflow-wrap:anywhere;min-width:14em}
.sev{font-weight:600;text-transform:uppercase;font-size:.75rem;letter-spacing:.03em}
.sev.error{color:var(--error)}.sev.warning{color:var(--warning)}.sev.info{color:var(--info)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
.controls select,.controls input{font:inherit;padding:4px 6px;border:1px solid var(--line);
border-radius:6px;background:var(--bg);color:var(--fg);max-width:100%}
th button{font:inherit;font-weight:600;background:none;border:0;color:inherit;padding:0;
cursor:pointer}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
.shown{color:var(--muted);font-size:.85rem}
.note{color:var(--muted)}
footer{color:var(--muted);font-size:.8rem;margin:32px 0 8px}
table.problems{min-width:640px}
@media (max-width:600px){main{padding:10px}body{font-size:14px}
table.codes thead{display:none}table.codes tr{display:block;padding:6px 0;
border-bottom:1px solid var(--line)}
table.codes td{display:inline-block;border:0;padding:2px 8px 2px 0}
table.codes td:nth-child(n+4){display:block}}
@media print{:root{--bg:#fff;--fg:#000;--card:#f3f3f3;--line:#bbb}
body{font-size:11px}.controls{display:none}th{position:static}
section.file+section.file{break-before:page}figure,tr,.verdict{break-inside:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

# Runs first: records any script error (a later script's syntax error included) and any
# request the Content-Security-Policy blocked, for a person and for the browser test.
_GUARD = """
(function(){var d=document.documentElement;d.dataset.scriptErrors="0";
d.dataset.blockedRequests="0";
window.addEventListener("error",function(e){
d.dataset.scriptErrors=String(+d.dataset.scriptErrors+1);
d.dataset.lastError=String(e.message||e.type)},true);
document.addEventListener("securitypolicyviolation",function(e){
d.dataset.blockedRequests=String(+d.dataset.blockedRequests+1);
d.dataset.lastBlocked=String(e.blockedURI)});})();
"""

# Filter and sort of the problem tables. Reads and writes text only (textContent, dataset,
# hidden): no value ever goes through innerHTML.
_SCRIPT = """
(function(){
"use strict";
var params=new URLSearchParams(location.hash.indexOf("=")>0?location.hash.slice(1):"");
function cell(tr,key){return tr.dataset[key]||"";}
function setup(box){
  var table=box.querySelector("table"),body=table.tBodies[0];
  var rows=Array.prototype.slice.call(body.rows);
  var code=box.querySelector("select[data-filter=code]");
  var column=box.querySelector("select[data-filter=column]");
  var text=box.querySelector("input[data-filter=text]");
  var shown=box.querySelector(".shown");
  function want(select,value){
    if(!value)return;
    var found=Array.prototype.some.call(select.options,function(o){return o.value===value;});
    if(!found)select.add(new Option(value,value));
    select.value=value;
  }
  function apply(){
    var c=code.value,k=column.value,q=text.value.toLowerCase(),n=0;
    for(var i=0;i<rows.length;i++){
      var tr=rows[i];
      var ok=(!c||cell(tr,"code")===c)&&(!k||cell(tr,"column")===k)&&
        (!q||tr.textContent.toLowerCase().indexOf(q)>=0);
      tr.hidden=!ok;if(ok)n++;
    }
    table.dataset.visible=String(n);first();
    shown.textContent="showing "+n.toLocaleString("en")+" of "+
      rows.length.toLocaleString("en");
    var all=document.querySelectorAll("table.problems"),sum=0;
    for(var j=0;j<all.length;j++)sum+=+(all[j].dataset.visible||0);
    document.documentElement.dataset.visibleProblems=String(sum);
  }
  function sortBy(th,dir){
    var key=th.dataset.key,num=th.dataset.type==="num",at=th.cellIndex;
    function val(tr){return key in tr.dataset?tr.dataset[key]:tr.cells[at].textContent;}
    var heads=table.tHead.rows[0].cells;
    for(var i=0;i<heads.length;i++)heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort",dir>0?"ascending":"descending");
    rows.sort(function(a,b){
      var x=val(a),y=val(b),r;
      if(num){x=x===""?Infinity:+x;y=y===""?Infinity:+y;r=x-y;}
      else r=x.localeCompare(y);
      return r*dir||(+a.dataset.order-+b.dataset.order);
    });
    var frag=document.createDocumentFragment();
    rows.forEach(function(tr){frag.appendChild(tr);});
    body.appendChild(frag);
    table.dataset.sorted=key+":"+(dir>0?"asc":"desc");
    first();
  }
  function first(){  // the first row a reader sees, for the browser test
    for(var i=0;i<rows.length;i++)if(!rows[i].hidden){
      table.dataset.firstOrder=rows[i].dataset.order;return;}
    table.dataset.firstOrder="";
  }
  Array.prototype.forEach.call(table.querySelectorAll("th[data-key] button"),function(b){
    b.addEventListener("click",function(){
      var th=b.parentNode;
      sortBy(th,th.getAttribute("aria-sort")==="ascending"?-1:1);
    });
  });
  code.addEventListener("change",apply);column.addEventListener("change",apply);
  text.addEventListener("input",apply);
  want(code,params.get("code"));want(column,params.get("column"));
  if(params.get("q"))text.value=params.get("q");
  var sort=(params.get("sort")||"").split(":");
  if(sort[0]){var th=table.querySelector("th[data-key='"+sort[0].replace(/[^a-z]/g,"")+"']");
    if(th)sortBy(th,sort[1]==="desc"?-1:1);}
  apply();
}
Array.prototype.forEach.call(document.querySelectorAll(".problem-table"),setup);
if(!document.querySelector(".problem-table"))
  document.documentElement.dataset.visibleProblems="0";
// what the browser drew: each chart has a size and bars of some width
var d=document.documentElement,charts=document.querySelectorAll("svg.chart"),drawn=0;
Array.prototype.forEach.call(charts,function(svg){
  var box=svg.getBoundingClientRect(),bars=svg.querySelectorAll("rect"),ok=bars.length>0&&
    box.width>0&&box.height>0;
  Array.prototype.forEach.call(bars,function(r){ok=ok&&r.getBBox().width>0;});
  svg.dataset.drawn=ok?"1":"0";if(ok)drawn++;
});
d.dataset.charts=String(charts.length);d.dataset.chartsDrawn=String(drawn);
d.dataset.resources=String(performance.getEntriesByType("resource").length);
d.dataset.ready="1";
})();
"""


def _e(value: object) -> str:
    """Text (or an attribute value) as HTML: never markup, whatever it holds."""
    return escape(str(value), quote=True)


def _n(count: int) -> str:
    return f"{count:,}"


def _clip(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "\u2026"


def bar_chart(title: str, items: Sequence[tuple[str, int, str]], *, name: str, empty: str) -> str:
    """A horizontal bar chart as inline SVG: ``items`` are (label, count, colour variable),
    largest first; past :data:`_CHART_BARS` the rest are one "others" bar.

    >>> svg = bar_chart("Types", [("mobile", 3, "--ok")], name="types", empty="none")
    >>> "<svg" in svg and 'data-bars="1"' in svg and "mobile" in svg
    True
    """
    if not items:
        return f'<h3>{_e(title)}</h3><p class="empty" data-chart="{_e(name)}">{_e(empty)}</p>'
    shown = list(items[:_CHART_BARS])
    if len(items) > _CHART_BARS:
        rest = items[_CHART_BARS:]
        shown.append((f"{len(rest):,} others", sum(n for _, n, _ in rest), "--muted"))
    # lengths in percent of the chart's width, text in pixels: the bars follow the screen's
    # width and the labels stay readable on a phone (a viewBox would shrink the text with it)
    row, top = 40, 4
    longest = max(n for _, n, _ in shown) or 1
    parts = []
    for i, (label, count, colour) in enumerate(shown):
        y = top + i * row
        pct = max(0.5, 82 * count / longest)
        parts.append(
            f"<g><title>{_e(label)}: {_n(count)}</title>"
            f'<text x="0" y="{y + 13}">{_e(_clip(label))}</text>'
            f'<rect x="0" y="{y + 18}" width="{pct:.2f}%" height="14" rx="3" '
            f'style="fill:var({colour})"/>'
            f'<text class="n" x="{pct:.2f}%" dx="6" y="{y + 30}">{_n(count)}</text></g>'
        )
    height = top + len(shown) * row
    return (
        f"<h3>{_e(title)}</h3><figure>"
        f'<svg class="chart" data-chart="{_e(name)}" data-bars="{len(shown)}" '
        f'width="100%" height="{height}" role="img" aria-label="{_e(title)}">'
        + "".join(parts)
        + "</svg></figure>"
    )


def _stacked(counts: Sequence[tuple[str, int, str]], name: str) -> str:
    """One bar split by outcome, with a legend; a segment per non-zero outcome."""
    total = sum(n for _, n, _ in counts)
    x = 0.0
    parts = []
    for label, count, colour in counts:
        if not count:
            continue
        w = 100 * count / total
        parts.append(
            f'<rect x="{x:.3f}%" y="0" width="{w:.3f}%" height="28" '
            f'style="fill:var({colour})"><title>{_e(label)}: {_n(count)}</title></rect>'
        )
        x += w
    legend = "".join(
        f'<span><i style="background:var({colour})"></i>{_e(label)} {_n(count)}</span>'
        for label, count, colour in counts
    )
    if not parts:
        parts.append('<rect x="0" y="0" width="100%" height="28" style="fill:var(--line)"/>')
    return (
        f'<figure><svg class="chart stacked" data-chart="{_e(name)}" '
        f'data-bars="{len(parts)}" width="100%" height="28" '
        f'style="border-radius:6px" role="img" '
        f'aria-label="rows by outcome">{"".join(parts)}</svg>'
        f'<div class="legend">{legend}</div></figure>'
    )


def _figures(items: Iterable[tuple[str, int, str]], name: str) -> str:
    return (
        f'<div class="figures" data-figures="{_e(name)}">'
        + "".join(
            f'<div class="figure" style="border-left-color:var({colour})" '
            f'data-count="{_e(label)}"><b>{_n(count)}</b><span>{_e(label)}</span></div>'
            for label, count, colour in items
        )
        + "</div>"
    )


def _verdict(report: Report) -> str:
    errors, warnings = report.count("error"), report.count("warning")
    if report.ok:
        head = "Fit to upload" + (f", with {_n(warnings)} warning(s)" if warnings else "")
    else:
        head = f"Not fit to upload: {_n(errors)} error(s), {_n(warnings)} warning(s)"
    return (
        f'<div class="verdict {"ok" if report.ok else "fail"}" data-ok="{str(report.ok).lower()}"'
        f' data-route="{_e(report.route)}"><strong>{_e(head)}</strong>'
        f"{_n(report.rows.valid)} valid row(s) go by the {_e(_FLOW[report.route])}.</div>"
    )


def _row_counts(report: Report) -> list[tuple[str, int, str]]:
    rows = report.rows.to_dict()
    return [(label, rows[label], colour) for label, colour in _OUTCOMES]


def _codes_table(report: Report) -> str:
    summary = report.summary()
    if not summary:
        return '<p class="empty">No problems found.</p>'
    body = "".join(
        f'<tr data-code="{_e(s["code"])}"><td><code>{_e(s["code"])}</code></td>'
        f'<td><span class="sev {_e(s["severity"])}">{_e(s["severity"])}</span></td>'
        f'<td class="num">{_n(s["count"])}</td><td>{_e(s["title"])}</td>'
        f"<td>{_e(s['fix'])}</td></tr>"
        for s in summary
    )
    return (
        '<div class="scroll"><table class="codes"><thead><tr><th>code</th><th>severity</th>'
        '<th class="num">count</th><th>what it means</th><th>how to fix it</th></tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _facts(report: Report) -> str:
    facts = [
        ("encoding", report.encoding or "not a text file (data frame)"),
        ("delimiter", DELIMITER_NAMES.get(report.delimiter or "", report.delimiter or "none")),
        ("line ends", report.line_ending or "none"),
        ("numbers without a country code", f"read as {report.region}"),
        ("phone column", report.phone_column),
        ("columns", ", ".join(report.columns) or "none"),
    ]
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    items += "".join(f'<dt>note</dt><dd class="note">{_e(n)}</dd>' for n in report.notes)
    return f'<dl class="facts">{items}</dl>'


def _problem_row(order: int, p: Problem) -> str:
    cells = (
        (f'<td class="num">{_e(p.line)}</td>' if p.line is not None else "<td>file</td>")
        + (f'<td class="num">{_e(p.row)}</td>' if p.row is not None else "<td></td>")
        + f"<td><bdi>{_e(p.column or '')}</bdi></td>"
        + f'<td><code>{_e(p.code)}</code> <span class="sev {_e(p.severity)}">'
        f"{_e(p.severity)}</span></td>"
        + f'<td class="value"><bdi>{_e(p.value if p.value is not None else "")}</bdi></td>'
        + f'<td class="msg"><bdi>{_e(p.message)}</bdi></td>'
    )
    data = (
        f'data-order="{order}" data-line="{_e(p.line if p.line is not None else "")}" '
        f'data-row="{_e(p.row if p.row is not None else "")}" '
        f'data-column="{_e(p.column or "")}" data-code="{_e(p.code)}" '
        f'data-severity="{_e(p.severity)}"'
    )
    return f"<tr {data}>{cells}</tr>"


def _options(values: Iterable[str]) -> str:
    return "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in values)


def _ranked_bars(counts: dict[str, int], colour: str) -> list[tuple[str, int, str]]:
    """A breakdown as chart bars, largest first."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(label, n, colour) for label, n in ranked]


def _problem_table(report: Report, index: int) -> str:
    if not report.problems:
        return '<p class="empty">No problem details.</p>'
    codes = sorted({p.code for p in report.problems})
    columns = sorted({p.column for p in report.problems if p.column})
    heads = [
        ("line", "num", "line"),
        ("row", "num", "row"),
        ("column", "text", "column"),
        ("code", "text", "code"),
        ("value", "text", "value"),
        ("message", "text", "message"),
    ]
    head = "".join(
        f'<th data-key="{key}" data-type="{kind}"{" class=num" if kind == "num" else ""}>'
        f'<button type="button">{label}</button></th>'
        for key, kind, label in heads
    )
    rows = "".join(_problem_row(i, p) for i, p in enumerate(report.problems))
    kept = ""
    if report.truncated:
        kept = (
            f'<p class="note">Details are kept for the first {_n(len(report.problems))} '
            f"problems (--max-problems); the counts above cover every row.</p>"
        )
    return (
        f'<div class="problem-table" id="problems-{index}">{kept}'
        f'<div class="controls"><label>code <select data-filter="code">'
        f'<option value="">all codes</option>{_options(codes)}</select></label>'
        f'<label>column <select data-filter="column"><option value="">all columns</option>'
        f"{_options(columns)}</select></label>"
        f'<label>search <input type="search" data-filter="text" placeholder="any text"></label>'
        f'<span class="shown" aria-live="polite"></span></div>'
        f'<div class="scroll"><table class="problems" data-total="{len(report.problems)}" '
        f'data-visible="{len(report.problems)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div></div>"
    )


def _file_section(report: Report, index: int) -> str:
    b = report.breakdown
    by_code = [(s["code"], s["count"], _SEVERITY_COLOUR[s["severity"]]) for s in report.summary()]
    types = {k.replace("_", " "): n for k, n in b.number_types.items()}
    rows = _row_counts(report)
    return (
        f'<section class="file" id="file-{index}" data-file="{_e(report.file)}">'
        f"<h2>{_e(report.file)}</h2>"
        + _verdict(report)
        + "<h3>Rows</h3>"
        + _figures([("total", report.rows.total, "--accent"), *rows], f"rows-{index}")
        + _stacked(rows, f"rows-{index}")
        + bar_chart("Problems by code", by_code, name=f"codes-{index}", empty="No problems.")
        + _codes_table(report)
        + '<div class="grid2"><div>'
        + bar_chart(
            "Problems by column",
            _ranked_bars(b.columns, "--warning"),
            name=f"columns-{index}",
            empty="No problem concerns a column.",
        )
        + "</div><div>"
        + bar_chart(
            "Valid numbers by country",
            _ranked_bars(b.countries, "--info"),
            name=f"countries-{index}",
            empty="No valid numbers.",
        )
        + "</div><div>"
        + bar_chart(
            "Valid numbers by type",
            _ranked_bars(types, "--ok"),
            name=f"types-{index}",
            empty="No valid numbers.",
        )
        + "</div></div>"
        + "<h3>The file</h3>"
        + _facts(report)
        + "<h3>Problem details</h3>"
        + _problem_table(report, index)
        + "</section>"
    )


def _overview(reports: Sequence[Report]) -> str:
    fit = sum(r.ok for r in reports)
    body = "".join(
        f'<tr><td><a href="#file-{i}">{_e(r.file)}</a></td>'
        f'<td class="sev {"info" if r.ok else "error"}">{"fit" if r.ok else "not fit"}</td>'
        + "".join(f'<td class="num">{_n(n)}</td>' for n in r.rows.to_dict().values())
        + f'<td class="num">{_n(r.count("error"))}</td>'
        f'<td class="num">{_n(r.count("warning"))}</td><td>{_e(r.route)}</td></tr>'
        for i, r in enumerate(reports, 1)
    )
    totals = {label: sum(r.rows.to_dict()[label] for r in reports) for label, _ in _OUTCOMES}
    return (
        '<section class="overview" id="overview"><h2>Overview</h2>'
        f'<div class="verdict {"ok" if fit == len(reports) else "fail"}">'
        f"<strong>{_n(fit)} of {_n(len(reports))} files fit to upload</strong></div>"
        + _figures(
            [("total", sum(totals.values()), "--accent")]
            + [(label, totals[label], colour) for label, colour in _OUTCOMES],
            "rows-all",
        )
        + _stacked([(label, totals[label], c) for label, c in _OUTCOMES], "rows-all")
        + '<div class="scroll"><table><thead><tr><th>file</th><th>verdict</th>'
        '<th class="num">total</th><th class="num">valid</th><th class="num">invalid</th>'
        '<th class="num">duplicate</th><th class="num">excluded</th>'
        '<th class="num">errors</th><th class="num">warnings</th><th>route</th></tr></thead>'
        f"<tbody>{body}</tbody></table></div></section>"
    )


def render_html(reports: Sequence[Report]) -> str:
    """The reports as one self-contained HTML page: an overview when there are several, then
    a section per file.

    >>> from csvprep.report import Report, RowCounts
    >>> r = Report("<b>a.csv</b>", "utf-8", ",", "LF", "IN", ("Mobile Number",),
    ...            "Mobile Number", RowCounts(1, 1, 0, 0), "standard")
    >>> page = render_html([r])
    >>> "&lt;b&gt;a.csv&lt;/b&gt;" in page and "<b>a.csv" not in page
    True
    """
    names = ", ".join(r.file for r in reports)
    sections = "".join(_file_section(r, i) for i, r in enumerate(reports, 1))
    overview = _overview(reports) if len(reports) > 1 else ""
    count = f"{len(reports)} files" if len(reports) != 1 else "1 file"
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>csvprep report: {_e(names)}</title>"
        f"<style>{_CSS}</style><script>{_GUARD}</script></head>"
        f'<body><main><header><h1>csvprep report</h1><p class="sub">{_e(count)}: '
        f"<bdi>{_e(names)}</bdi></p></header>"
        f"{overview}{sections}"
        "<footer>Made by csvprep. Counts cover every row; the problem table holds the kept "
        "details. This page is self-contained and makes no requests.</footer>"
        f"</main><script>{_SCRIPT}</script></body></html>\n"
    )
