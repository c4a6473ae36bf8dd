"""The validate core: duplicates, values, routing, counts, sources."""

from __future__ import annotations

import random
from pathlib import Path
from types import GeneratorType
from unittest import mock

import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import csvprep
from conftest import FIXTURES, VARIABLES_MAP, run_cli
from csvprep import InputError, UsageError, validate


def test_duplicates_point_at_the_first_occurrence():
    report = validate(FIXTURES / "duplicate_numbers.csv", variables_map=VARIABLES_MAP)
    dups = [p for p in report.problems if p.code == "duplicate_number"]
    assert [(p.line, p.value) for p in dups] == [(4, "+919876543210"), (5, "+919876543210")]
    assert all("line 2" in p.message for p in dups)
    assert report.rows.to_dict() == {
        "total": 4,
        "valid": 2,
        "invalid": 0,
        "duplicate": 2,
        "excluded": 0,
    }


def test_an_invalid_first_occurrence_does_not_make_the_next_a_duplicate():
    frame = pl.DataFrame({"Mobile Number": ["9876543210", "9876543210"], "Name": ["A", "B"]})
    report = validate(frame, variables_map={"mobile_number": "Mobile Number"}, mobile_only=False)
    assert report.rows.duplicate == 1
    # a broken record is invalid, so the same number later is the first valid occurrence
    path_report = validate(FIXTURES / "ragged_rows.csv")
    assert path_report.rows.duplicate == 0


def test_empty_mapped_values_are_warnings():
    report = validate(FIXTURES / "empty_values.csv", variables_map=VARIABLES_MAP)
    got = [(p.line, p.column, p.severity) for p in report.problems]
    assert got == [(2, "Name", "warning"), (3, "Due Date", "warning")]
    assert report.rows.valid == 2
    assert report.exit_code() == 0 and report.exit_code(strict=True) == 1


def test_empty_rows_are_named_once_not_per_cell():
    report = validate(FIXTURES / "empty_rows.csv", variables_map=VARIABLES_MAP)
    assert report.problem_counts == {"empty_row": 2}
    assert [p.line for p in report.problems] == [4, 5]


@pytest.mark.parametrize(("rows", "route"), [(4999, "standard"), (5000, "large")])
def test_route_switches_at_5000_valid_rows(rows, route):
    numbers = [f"+9198{i:08d}" for i in range(rows)]
    assert validate(pl.DataFrame({"Mobile Number": numbers})).route == route


def test_route_counts_only_rows_that_would_be_uploaded():
    numbers = [f"+9198{i:08d}" for i in range(5000)] + ["12345"]
    report = validate(pl.DataFrame({"Mobile Number": [*numbers[:4999], "12345"]}))
    assert report.rows.valid == 4999 and report.route == "standard"


def test_counts_cover_every_row_while_details_are_capped():
    frame = pl.DataFrame({"Mobile Number": ["12345"] * 3000})
    report = validate(frame, max_problems=10)
    assert report.problem_counts == {"phone_invalid": 3000}
    assert len(report.problems) == 10 and report.truncated
    assert report.rows.invalid == 3000
    assert validate(frame, max_problems=0).problems == ()


def test_total_is_always_the_sum_of_the_parts():
    for path in FIXTURES.glob("*.csv"):
        try:
            report = validate(path, variables_map=VARIABLES_MAP)
        except csvprep.InputError:
            continue
        r = report.rows
        assert r.total == r.valid + r.invalid + r.duplicate, path.name


def test_sources_path_polars_lazy_and_pandas_agree():
    path_report = validate(FIXTURES / "duplicate_numbers.csv", variables_map=VARIABLES_MAP)
    frame = pl.read_csv(FIXTURES / "duplicate_numbers.csv", infer_schema=False)
    for source in (frame, frame.lazy(), frame.to_pandas()):
        report = validate(source, variables_map=VARIABLES_MAP)
        assert report.rows == path_report.rows
        assert report.problem_counts == path_report.problem_counts
        assert [p.line for p in report.problems] == [p.line for p in path_report.problems]


def test_a_filtered_frame_with_an_empty_chunk_validates():
    first = pl.DataFrame({"Mobile Number": ["junk", "1e5"]})
    second = pl.DataFrame({"Mobile Number": ["1.5e10", "98765 43210"]})
    frame = pl.concat([first, second], rechunk=False).filter(pl.Series([False, False, True, True]))
    assert frame["Mobile Number"].n_chunks() == 2  # the first one empty
    report = validate(frame)
    assert (report.rows.valid, report.rows.invalid) == (1, 1)
    assert report.problems[0].code == "phone_scientific_notation"


def test_pandas_float_numbers_and_missing_values_are_named():
    # a numeric column with a gap is float64 in pandas: 919876543210.0, the Excel damage
    frame = pd.DataFrame({"Mobile Number": [919876543210, None], "Name": ["A", "B"]})
    report = validate(frame)
    assert report.problem_counts == {"phone_repaired_decimal": 1, "phone_missing": 1}
    assert report.rows.valid == 1


def test_negative_max_problems_is_a_usage_error():
    with pytest.raises(UsageError):
        validate(FIXTURES / "valid_contacts.csv", max_problems=-1)


def test_windows_1252_is_said_in_the_report():
    report = validate(FIXTURES / "windows1252.csv")
    assert report.encoding == "windows-1252" and report.notes


_LISTS = sorted(
    p.name
    for p in FIXTURES.iterdir()
    if p.suffix in (".csv", ".tsv") and p.name not in ("empty.csv", "binary_png.csv")
)


def _outcome(run, path):
    try:
        return run(path, variables_map=VARIABLES_MAP, max_problems=5)
    except csvprep.InputError as e:
        return str(e)


@pytest.mark.parametrize("name", _LISTS)
def test_a_list_read_in_batches_gets_the_report_of_the_whole(monkeypatch, name):
    # tiny batches: duplicates, blank-header columns and problem order must span them
    path = FIXTURES / name
    whole = _outcome(lambda *a, **k: csvprep.check(*a, **k).report, path)
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 90)
    assert _outcome(validate, path) == whole


@pytest.mark.parametrize("name", _LISTS)
def test_a_list_checked_in_batches_keeps_every_row_as_the_whole(monkeypatch, name):
    # what prepare writes: the rows with their status, the problems, the whole table
    path = FIXTURES / name
    whole = _outcome(csvprep.check, path)
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 90)
    batched = _outcome(csvprep.check, path)
    if isinstance(whole, str):
        assert batched == whole
        return
    assert batched.report == whole.report
    assert batched.frame.equals(whole.frame)
    assert batched.problems.equals(whole.problems)
    assert batched.table.frame.equals(whole.table.frame)
    assert batched.table.headers == whole.table.headers


def test_duplicates_across_batches_point_at_the_first_line(tmp_path, monkeypatch):
    numbers = [f"98765{i:05d}" for i in range(40)]
    lines = ["Mobile Number,Name", *(f"{n},A" for n in numbers), f"+91 {numbers[3]},B"]
    path = tmp_path / "list.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 100)
    monkeypatch.setattr("csvprep.io.reading.BATCH_ROWS", 0)  # every read of 100 bytes
    batches = list(csvprep.io.reading.read_batches(path, batch_bytes=100))
    assert len(batches) > 5
    report = validate(path)
    assert (report.rows.valid, report.rows.duplicate) == (40, 1)
    assert report.problems[0].message == f"+91{numbers[3]} is already on line 5"


def test_every_option_gets_the_same_report_in_batches(monkeypatch):
    import datetime as dt

    from csvprep.checks.calling_hours import CallWindow

    options = {
        "variables_map": VARIABLES_MAP,
        "exclude": FIXTURES / "do_not_call.txt",
        "call_window": CallWindow.parse("10:00-18:00", "Asia/Kolkata", date=dt.date(2026, 11, 22)),
        "mobile_only": True,  # each option finds something in one of the lists below
        "rules": {"columns": {"Name": {"required": True, "max_length": 9}}},
        "max_problems": 7,
    }
    lists = ("international_numbers.csv", "duplicate_numbers.csv", "landline_numbers.csv")
    for name in lists:
        whole = csvprep.check(FIXTURES / name, **options).report
        monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 90)
        assert validate(FIXTURES / name, **options) == whole
        monkeypatch.undo()


def test_progress_is_told_how_far_reading_has_got(monkeypatch):
    path = FIXTURES / "valid_contacts.csv"
    size = path.stat().st_size
    for batch, parts in ((10**9, 1), (90, 3)):
        calls: list[tuple[int, int]] = []
        monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", batch)
        validate(path, progress=lambda done, total, seen=calls: seen.append((done, total)))
        assert len(calls) >= parts
        assert [done for done, _ in calls] == sorted({done for done, _ in calls})  # rising
        assert calls[-1] == (size, size) and {total for _, total in calls} == {size}


@pytest.mark.parametrize("severity", ["error", "warning"])
def test_a_unique_rule_spans_batches(tmp_path, monkeypatch, severity):
    # ids repeat every 7 rows; one repeat is on an excluded number, one on a repeated number
    rows = [f"98765{i:05d},POL-{i % 7}" for i in range(30)]
    rows[20] = f"9876500001,{rows[20].split(',')[1]}"
    path = tmp_path / "list.csv"
    path.write_text("Mobile Number,Policy ID\n" + "\n".join(rows) + "\n", encoding="utf-8")
    exclude = tmp_path / "dnc.txt"
    exclude.write_text("+919876500009\n", encoding="utf-8")
    options = {
        "rules": {"columns": {"Policy ID": {"unique": True, "severity": severity}}},
        "exclude": exclude,
        "max_problems": 50,
    }
    whole = csvprep.check(path, **options)
    assert whole.report.problem_counts["rule_unique"] == 23
    if severity == "error":  # a repeated id makes its row invalid, before exclusion
        assert whole.report.rows.invalid == 23
        assert whole.frame.filter(pl.col("row") == 10)["status"].item() == "invalid"
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 60)
    monkeypatch.setattr("csvprep.io.reading.BATCH_ROWS", 0)  # every read of 60 bytes
    assert len(list(csvprep.io.reading.read_batches(path, batch_bytes=60))) > 5
    assert validate(path, **options) == whole.report


def test_repeats_across_small_batches_where_a_batch_holds_only_first_occurrences(
    tmp_path, monkeypatch
):
    # Batches of five rows (as a batch of long notes is: under 256 values, each answered by
    # libphonenumber). The first two batches hold only the first rows of two repeated
    # numbers, the last two their repeats: the rows found repeated left those batches' parts
    # empty, and Polars' pl.format panicked on an empty part.
    numbers = [f"98765{i:05d}" for i in range(20)]
    numbers[2] = numbers[12] = numbers[17] = "9876500002"
    numbers[7] = numbers[13] = numbers[18] = "9876500007"
    path = tmp_path / "list.csv"
    rows = "".join(f"{n},{'note ' * 10}\n" for n in numbers)
    path.write_text(f"Mobile Number,Notes\n{rows}", encoding="utf-8")
    monkeypatch.setattr("csvprep.pipeline.validation.BATCH_BYTES", 330)
    monkeypatch.setattr("csvprep.io.reading.BATCH_ROWS", 0)  # every read of 330 bytes
    batches = csvprep.io.reading.read_batches(path, batch_bytes=330)
    assert [t.frame["__row"].to_list() for t in batches] == [
        list(range(start, start + 5)) for start in (1, 6, 11, 16)
    ]
    for report in (validate(path), csvprep.check(path).report):
        assert (report.rows.valid, report.rows.duplicate) == (16, 4)
        assert [(p.line, p.message) for p in report.problems] == [
            (14, "+919876500002 is already on line 4"),
            (15, "+919876500007 is already on line 9"),
            (19, "+919876500002 is already on line 4"),
            (20, "+919876500007 is already on line 9"),
        ]


def test_the_library_never_calls_pl_format():
    # Polars 2.1's pl.format panics on a column with an empty chunk, which filtering leaves
    sources = Path(csvprep.__file__).parent.rglob("*.py")
    assert [p.name for p in sources if "pl.format(" in p.read_text(encoding="utf-8")] == []


def _wide_list(path: Path, width: int) -> Path:
    """Three rows of ``width`` columns: a blank value, a blank row, a row with every value."""
    header = ",".join(["Mobile Number", *(f"Field {i}" for i in range(1, width))])
    values = [f"v{i}" for i in range(1, width)]
    rows = [
        ",".join(["9876543210", " ", *values[1:]]),
        "," * (width - 1),
        ",".join(["9876543211", *values]),
    ]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_wide_list_is_checked_by_as_many_polars_expressions_whatever_its_width(
    tmp_path, monkeypatch
):
    # One check per column, each a query over the whole frame, cost the square of the
    # columns (9,074 columns ran out of memory): the checks must be the same queries for any
    # width, each running over every cell.
    reports = {}
    handed: dict[int, int] = {}
    for width in (300, 1200):  # both wider than records' exact pattern handles
        count = 0

        def counting(method):
            def counted(self, *args, **named):
                nonlocal count
                many = (list, tuple, GeneratorType)
                exprs = [e for a in args for e in (a if isinstance(a, many) else [a])]
                count += len(exprs) + len(named)
                return method(self, *exprs, **named)

            return counted

        with monkeypatch.context() as patched:
            for cls in (pl.DataFrame, pl.LazyFrame):
                for name in ("select", "with_columns", "filter"):
                    patched.setattr(cls, name, counting(getattr(cls, name)))
            reports[width] = validate(_wide_list(tmp_path / f"{width}.csv", width))
        handed[width] = count
    assert handed[300] == handed[1200]
    for width, report in reports.items():
        assert report.problem_counts == {"empty_row": 1, "value_missing": 1}
        assert (report.problems[0].line, report.problems[0].column) == (2, "Field 1")
        assert report.rows.valid == 2 and len(report.columns) == width


# every character Rust's str::trim strips, its neighbours in code point order, and others
_NEAR_BLANK = [chr(c) for c in range(0x3001) if chr(c).isspace() or c in (0x20, 0x21, 0x84)]
_NEAR_BLANK += ["a", "é", "\u200b", "\U0001f600"]


@given(
    st.lists(st.text(st.sampled_from(_NEAR_BLANK), max_size=4), max_size=60),
    st.integers(1, 3),
    st.booleans(),
)
def test_blank_cells_are_those_stripping_empties(values, width, one_part):
    from csvprep.pipeline import validation

    height = len(values) // width
    columns = [f"c{i}" for i in range(width)]
    frame = pl.DataFrame(
        {c: values[i * height : (i + 1) * height] for i, c in enumerate(columns)},
        schema={c: pl.String for c in columns},
    )
    # the definition, column by column: what stripping leaves empty
    expected = [
        (i, at)
        for i, c in enumerate(columns)
        for at in (frame[c].str.strip_chars() == "").fill_null(False).arg_true().to_list()
    ]
    # as a short batch (one part) and as a long one (a part per column)
    with mock.patch.object(validation, "_ONE_PART_UNDER", 10**9 if one_part else 0):
        found = validation._blank_cells(frame, columns)
    assert found.rows() == expected


def test_repeats_are_counted_and_only_the_kept_ones_spelled_out(tmp_path, monkeypatch):
    # 10M rows of one number built a message for each repeat (1.8 GB): repeats are counted
    # and keyed by number, and only the first max_problems of them get a message
    rng = random.Random(3)
    numbers = ["9876500001"] * 60 + [f"98765{i:05d}" for i in range(2, 60)] * 2
    rng.shuffle(numbers)
    path = tmp_path / "list.csv"
    path.write_text("Mobile Number\n" + "\n".join(numbers) + "\n", encoding="utf-8")
    monkeypatch.setattr(
        "csvprep.pipeline.validation.BATCH_BYTES", 150
    )  # repeats in and across batches
    monkeypatch.setattr("csvprep.io.reading.BATCH_ROWS", 0)  # every read of 150 bytes
    assert len(list(csvprep.io.reading.read_batches(path, batch_bytes=150))) > 10
    for max_problems in (0, 1, 7, 100, 1000):
        whole = csvprep.check(path, max_problems=max_problems)  # every row, every message
        assert whole.report.rows.duplicate == 59 + 58
        checked = csvprep.pipeline.validation._check(path, False, max_problems=max_problems)
        assert checked.report == whole.report
        spelled = checked.problems.filter(pl.col("code") == "duplicate_number")
        assert spelled.height == min(max_problems, 59 + 58)


# -- check()'s public frames ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["valid_contacts.csv", "header_blank.csv", "header_duplicate.csv", "ragged_rows.csv"]
)
def test_no_public_frame_has_an_internal_column(name):
    import datetime as dt

    from csvprep.checks.calling_hours import CallWindow

    window = CallWindow.parse("10:00-18:00", "Asia/Kolkata", date=dt.date(2026, 11, 22))
    checked = csvprep.check(
        FIXTURES / name,
        exclude=FIXTURES / "suppression_list.csv",
        call_window=window,
        rules={"columns": {"Name": {"unique": True}}},
    )
    for frame in (checked.frame, checked.problems, checked.table.frame):
        assert [c for c in frame.columns if c.startswith("__")] == []
        assert len(set(frame.columns)) == len(frame.columns)
    assert checked.frame.columns[:5] == ["line", "row", "status", "e164", "number_type"]
    assert checked.problems.columns[:2] == ["row", "line"]


def test_check_names_blank_and_repeated_headers_and_keeps_their_values():
    blank = csvprep.check(FIXTURES / "header_blank.csv")
    assert blank.frame.columns[-4:] == ["Mobile Number", "Name", "column 3", "Due Date"]
    assert blank.frame["column 3"][0] == "POL-1001"
    repeated = csvprep.check(FIXTURES / "header_duplicate.csv")
    assert repeated.frame.columns[-4:] == ["Mobile Number", "Name", "Name (2)", "Due Date"]
    assert (repeated.frame["Name"][0], repeated.frame["Name (2)"][0]) == (
        "Aarav Sharma",
        "POL-1001",
    )
    clash = csvprep.check(pl.DataFrame({"Mobile Number": ["9876543210"], "status": ["new"]}))
    assert (clash.frame["status"][0], clash.frame["status (2)"][0]) == ("valid", "new")


def test_row_checks_are_units_in_a_registry_run_in_order():
    from csvprep.pipeline import validation as v

    assert [check.__name__ for check in v.ROW_CHECKS] == [
        "_structure",
        "_phone_numbers",
        "_not_mobile",
        "_extensions",
        "_suppressed",
        "_calling_hours",
    ]


def test_a_row_check_runs_alone(tmp_path):
    from csvprep.checks.headers import plan_columns
    from csvprep.io.columns import DEFECT_ROW, EMPTY_ROW, LIVE
    from csvprep.io.reading import read_table
    from csvprep.pipeline import validation as v

    path = tmp_path / "extensions.csv"
    path.write_text(
        "Mobile Number,Name\n+91 80 2222 3333 ext. 45,Office\n+919876543210,Asha\n",
        encoding="utf-8",
    )
    table = read_table(path)
    context = v._Context(
        region="IN",
        plan=plan_columns(table.headers, None),
        headers=dict(enumerate(table.headers)),
        mobile_only=False,
        suppression=None,
        call_window=None,
        ruleset=None,
    )
    frame = table.frame.with_columns(
        pl.lit(False).alias(DEFECT_ROW), pl.lit(False).alias(EMPTY_ROW), pl.lit(True).alias(LIVE)
    )
    rows = v._BatchRows(frame, context, error=pl.lit(False))
    assert v._phone_numbers(rows)  # the repairs and the invalid numbers, as found problems
    (found,) = v._extensions(rows)
    assert found.code == "phone_extension_dropped"
    assert rows.frame.filter(found.mask)["c1"].to_list() == ["Office"]
    assert v._suppressed(rows) == [] and v._calling_hours(rows) == []  # not asked for


def test_a_misspelt_option_is_a_usage_error_naming_the_nearest():
    nearest = "unknown option 'mobile_onyl' \\(did you mean 'mobile_only'"
    with pytest.raises(UsageError, match=nearest):
        csvprep.validate(FIXTURES / "valid_contacts.csv", mobile_onyl=True)  # type: ignore[call-arg]
    result = run_cli("validate", FIXTURES / "valid_contacts.csv", "--max-problems", str(2**64))
    assert result.exit_code == 2  # not an overflow deep in Polars
    with pytest.raises(UsageError, match="max_problems must be a whole number"):
        csvprep.validate(FIXTURES / "valid_contacts.csv", max_problems=2**64)


def test_frames_the_library_takes_are_read_as_files_are():
    with pytest.raises(InputError, match="no data rows"):  # as a header-only file
        csvprep.validate(pl.DataFrame({"Mobile Number": []}))
    twice = pd.DataFrame([["+919876543210", "x"]], columns=["Mobile Number", "Mobile Number"])
    assert "header_duplicate" in csvprep.validate(twice).problem_counts  # a data problem
    with pytest.raises(UsageError, match="column 'Tags' holds List"):
        csvprep.validate(pl.DataFrame({"Mobile Number": ["+919876543210"], "Tags": [["a"]]}))
    with pytest.raises(UsageError, match="column 'Tags' holds lists"):  # not "['a']" as text
        csvprep.validate(pd.DataFrame({"Mobile Number": ["+919876543210"], "Tags": [["a"]]}))
