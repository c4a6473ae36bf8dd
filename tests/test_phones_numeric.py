"""The integer path of decide(): where it applies, and the assumptions it rests on."""

from __future__ import annotations

import io
import itertools
import random

import phonenumbers
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from test_phones_fast import disagreements

from csvprep.phones import dispatch, metadata
from csvprep.phones import fast as phones_fast
from csvprep.phones import numeric as phones_numeric


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="0123456789+- .e_x١０", max_size=21))
def test_polars_casts_to_uint64_exactly_an_optional_plus_and_ascii_digits(text):
    # the integer path reads plain values with one cast: it must refuse everything else
    got = pl.Series([text], dtype=pl.String).cast(pl.UInt64, strict=False)[0]
    digits = text.removeprefix("+")
    plain = digits.isascii() and digits.isdigit() and int(digits) < 2**64
    assert got == (int(digits) if plain else None)


def test_where_the_integer_path_applies():
    assert phones_numeric.applies(metadata.region("IN"))
    assert phones_numeric.applies(metadata.region("DE"))
    assert not phones_numeric.applies(metadata.region("US"))  # +1 is shared
    assert not phones_numeric.applies(metadata.region("AR"))  # a transform rule


def test_a_region_table_is_sorted_and_starts_at_zero():
    table = phones_numeric.table("IN")
    assert table is not None
    starts = table.starts.to_list()
    assert starts[0] == 0 and starts == sorted(set(starts))
    labels = table.labels.to_list()
    assert all(a != b for a, b in itertools.pairwise(labels))


def mobile(rng: random.Random) -> str:
    return rng.choice("6789") + "".join(rng.choice("0123456789") for _ in range(9))


def test_a_long_list_gives_the_same_answers_both_ways():
    # long enough for the integer path by default; every shape a real export has, other
    # calling codes and junk among them (those rows go to the string path and come back)
    rng = random.Random(3)
    shapes = [
        lambda m: "+91" + m,
        lambda m: m,
        lambda m: "91" + m,
        lambda m: "0" + m,
        lambda m: f"0{m[:5]} {m[5:]}",
        lambda m: f"+91 {m[:5]}-{m[5:]}",
        lambda m: "0091" + m,
        lambda m: f"+91 {m} ext. 12",
        lambda m: "+1650253" + m[:4],
        lambda m: "+44 20 7946 " + m[:4],
        lambda m: m[: rng.randint(0, 9)],
        lambda m: "N/A",
        lambda m: "९१" + m,
    ]
    values = [rng.choice(shapes)(mobile(rng)) for _ in range(dispatch.NUMERIC_FROM + 1000)]
    series = pl.Series(values)
    fast = dispatch.decide(series, "IN")
    strings = dispatch.decide(series, "IN", numeric_from=series.len() + 1)
    assert fast.equals(strings)
    assert fast[metadata.DECIDED].mean() > 0.8  # type: ignore[operator]


def test_a_short_column_takes_the_integer_engine_once_its_table_is_kept(tmp_path, monkeypatch):
    # a streamed list's first batch may be short: it need not pay for the string engine
    # when loading the table costs milliseconds
    monkeypatch.setenv("CSVPREP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(dispatch, "_NUMERIC", set())
    asked: list[int] = []
    numeric_decide = phones_numeric.decide

    def counted(values: pl.Series, *args: object, **kwargs: object) -> object:
        asked.append(values.len())
        return numeric_decide(values, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(phones_numeric, "decide", counted)
    values = pl.Series(["098765 43210", "+91 98765-43210", "N/A"] * 400)
    want = dispatch.decide(values, "DE", numeric_from=10**9)
    assert dispatch.decide(values, "DE").equals(want) and asked == []  # none kept yet
    assert not phones_numeric.table_kept("DE")
    _fresh_table("DE")  # derived and kept
    assert phones_numeric.table_kept("DE")
    assert dispatch.decide(values, "DE").equals(want) and asked == [values.len()]
    phones_numeric.table.cache_clear()


def _fresh_table(code):
    phones_numeric.table.cache_clear()  # this process's copy: ask the disk again
    return phones_numeric.table(code)


def test_a_table_kept_on_disk_is_the_one_derived_and_a_damaged_one_is_derived_again(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("CSVPREP_CACHE_DIR", str(tmp_path))
    older = tmp_path / "table-DE-0123456789abcdef01234567.arrow"  # from another csvprep
    older.write_bytes(b"")
    kept_apart = tmp_path / "table-IN-0123456789abcdef01234567.arrow"  # another region's
    kept_apart.write_bytes(b"")
    derived = phones_numeric._table("DE")
    first = _fresh_table("DE")  # derived, then kept
    (entry,) = tmp_path.glob("table-DE-*.arrow")  # in place of the older one
    assert entry != older and kept_apart.exists()
    kept = _fresh_table("DE")  # read back
    for t in (first, kept):
        assert t.starts.equals(derived.starts) and t.labels.equals(derived.labels)
    other = io.BytesIO()
    pl.DataFrame({"starts": [3, 1], "labels": [0, 0]}).write_ipc(other)
    for damaged in (entry.read_bytes()[:100], other.getvalue()):  # cut short; not a table
        entry.write_bytes(damaged)
        again = _fresh_table("DE")
        assert again.starts.equals(derived.starts) and again.labels.equals(derived.labels)
        assert _fresh_table("DE").starts.equals(derived.starts)  # and kept whole again
    phones_numeric.table.cache_clear()


def test_without_a_usable_cache_folder_tables_are_derived_each_run(tmp_path, monkeypatch):
    derived = phones_numeric._table("DE")
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    for folder in ("", str(blocked / "sub")):  # caching off; a folder that cannot be made
        monkeypatch.setenv("CSVPREP_CACHE_DIR", folder)
        assert _fresh_table("DE").labels.equals(derived.labels)
    assert list(tmp_path.iterdir()) == [blocked]
    phones_numeric.table.cache_clear()


def _foreign_corpus() -> list[str]:
    """Numbers of every region as a list of another country holds them: with '+' or 00 and
    the calling code, in the library's formats and grouped by hand, and mutated."""
    rng = random.Random(17)
    values = []
    for code in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE):
            ex = phonenumbers.example_number_for_type(code, kind)
            if ex is None:
                continue
            nsn = phonenumbers.national_significant_number(ex)
            cc = str(ex.country_code)
            for _ in range(3):
                i = rng.randrange(len(nsn))
                mutated = nsn[:i] + rng.choice("0123456789") + nsn[i + 1 :]
                values += [f"+{cc}{mutated}", f"+{cc} ({mutated[:3]}) {mutated[3:]}"]
                values += [f"00{cc}/{mutated}", f"+{cc} 0{mutated}", f"+{cc}-{mutated[:-1]}"]
            values.append(phonenumbers.format_number(ex, PhoneNumberFormat.INTERNATIONAL))
    return values


@pytest.mark.parametrize("home", ["IN", "AE", "DE"])
def test_numbers_of_every_other_calling_code_by_tables_agree_with_libphonenumber(home):
    # foreign_from=0: every calling code takes its own table, whatever its count
    values = _foreign_corpus()
    _, others = phones_numeric.decide(pl.Series(values), metadata.region(home), foreign_from=0)
    assert others.len() < len(values) * 0.1  # the tables answer nearly all of them
    assert disagreements(home, values, numeric_from=0) == []


def test_every_other_calling_code_is_answered_in_one_pass(monkeypatch):
    # a query costs more to plan than to run on a few rows: a code at a time, 13 codes at
    # 1% of a list cost 13 plans a batch
    values = pl.Series([v for v in _foreign_corpus() if v.startswith("+")])
    assert values.str.extract(r"^\+(\d{2})").n_unique() > 50
    passes = []
    national = phones_numeric._national

    def counted(frame: pl.DataFrame, *args: object) -> pl.DataFrame:
        passes.append(frame.height)
        return national(frame, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(phones_numeric, "_national", counted)
    _, others = phones_numeric.decide(values, metadata.region("IN"), foreign_from=0)
    assert len(passes) == 2  # the home code's rows, then every other code's
    assert passes[1] > values.len() * 0.9 and others.len() < values.len() * 0.1
    assert disagreements("IN", values.to_list(), numeric_from=0) == []


def _no_tables(monkeypatch: pytest.MonkeyPatch, folder: object) -> None:
    """No table of another calling code at hand: none built, none kept by an earlier run."""
    monkeypatch.setenv("CSVPREP_CACHE_DIR", str(folder))
    monkeypatch.setattr(phones_numeric, "_REGION_TABLES", {})
    monkeypatch.setattr(phones_numeric, "_CODE_TABLES", {})


def test_without_tables_for_other_calling_codes_they_go_to_the_string_path(monkeypatch, tmp_path):
    _no_tables(monkeypatch, tmp_path)
    values = pl.Series(["+1 650 253 0000", "+44 7400 123456", "+971 50 123 4567"] * 40)
    home = metadata.region("IN")
    _, without = phones_numeric.decide(values, home, foreign_from=10**9)
    found, others = phones_numeric.decide(values, home)
    assert without.len() == values.len() and others.len() == 0
    assert found[metadata.E164].to_list()[:3] == [
        "+16502530000",
        "+447400123456",
        "+971501234567",
    ]
    # made once, a table answers a code's rows however few
    _, one = phones_numeric.decide(values.head(1), home, foreign_from=10**9)
    assert one.len() == 0


def test_region_of_by_tables_is_region_code_for_number():
    values = [v for v in _foreign_corpus() if v.startswith("+")]
    numbers = []
    for v in values:
        n = phonenumbers.parse(v, "IN")
        if phonenumbers.is_valid_number(n):
            numbers.append(n)
    e164 = [phonenumbers.format_number(n, PhoneNumberFormat.E164) for n in numbers]
    frame = pl.DataFrame({"e": e164, "c": [n.country_code for n in numbers]})
    codes = sorted(set(frame["c"].to_list()))
    # the string engine alone: each region's leading digits or patterns, no table
    by_regex = frame.select(phones_fast.region_of(pl.col("e"), pl.col("c"), codes))
    for cc in codes:  # every shared code's table made: region_of takes them now
        if len(metadata.country_codes()[cc]) > 1:
            assert phones_numeric.region_table(cc, derive=True) is not None
    by_table = frame.select(dispatch.region_of(pl.col("e"), pl.col("c"), codes))
    want = [phonenumbers.region_code_for_number(n) for n in numbers]
    assert by_regex.to_series().to_list() == want
    assert by_table.to_series().to_list() == want


@pytest.mark.parametrize(
    "value", ["98765/43210", "(011) 2345-6789", "+91 (98765) 43210", "0987.654.3210"]
)
def test_grouped_digits_of_any_punctuation_are_decided_on_both_paths(value):
    for numeric_from in (0, 10**12):
        decided = dispatch.decide(pl.Series([value]), "IN", numeric_from=numeric_from)
        assert decided[metadata.DECIDED].item()
    assert disagreements("IN", [value], numeric_from=0) == []
    assert disagreements("IN", [value]) == []


# a label before the number: libphonenumber reads from the first '+' or digit, unless the
# whole value is longer than it reads at all
LABELLED = [
    "Mob: +919876543210",
    "Mobile: 98765 43210",
    "Tel: (0987) 6543210",
    "tel:+91-98765-43210",
    "Ph- 098765.43210",
    "Phone no. 9876543210",
    "Fax: 98765/43210",
    "Cell (+91) 98765 43210",
    "x 9876543210",
    "Mob:" + " " * 250 + "9876543210",
    "Mob: 98765 43210 ext. 5",
    "Mob; 9876543210",
    "Mob: १२३",
]


@pytest.mark.parametrize("value", LABELLED)
def test_a_label_before_the_number_is_read_as_libphonenumber_reads_it(value):
    assert disagreements("IN", [value], numeric_from=0) == []


def test_a_labelled_number_of_a_usual_shape_skips_the_general_shape_step(monkeypatch):
    # the general step costs 5-10x the grouped-digits step: a list of labelled numbers
    # (a CRM's "Mob: ..." column) took it for every row
    values = pl.Series(["Mob: +919876543210", "Tel: (0987) 6543210", "tel:+91-98765-43210"])

    def general(*_: object) -> None:
        raise AssertionError("the general shape step was taken")

    monkeypatch.setattr(phones_numeric, "shapes", general)
    found, others = phones_numeric.decide(values, metadata.region("IN"))
    assert others.len() == 0
    assert found[metadata.E164].to_list() == ["+919876543210"] * 3


@pytest.mark.parametrize("first", ["A", "Z", "a", "z", "M", "t"])
def test_one_label_among_numbers_is_still_read_past_by_the_grouped_digits_step(monkeypatch, first):
    # the label's replace is skipped where no value starts with a letter: one value whose
    # label starts with the first or last letter of either case still has it taken off, so
    # the general step (5-10x the cost) is not taken for it
    values = ["+1 650 253 0000", "(0987) 6543210", f"{first}: +91 98765-43210", "0987 654 3210"]
    assert disagreements("IN", values, numeric_from=0) == []

    def general(*_: object) -> None:
        raise AssertionError("the general shape step was taken")

    monkeypatch.setattr(phones_numeric, "shapes", general)
    found, others = phones_numeric.decide(pl.Series(values), metadata.region("IN"))
    assert others.len() == 0
    assert found[metadata.E164].to_list()[1:] == ["+919876543210"] * 3


def test_regions_of_a_column_are_region_code_for_number_with_or_without_tables(
    monkeypatch, tmp_path
):
    _no_tables(monkeypatch, tmp_path)
    numbers = []
    for v in _foreign_corpus():
        n = phonenumbers.parse(v, "IN")
        if phonenumbers.is_valid_number(n):
            numbers.append(n)
    north_america = [n for n in numbers if n.country_code == 1]
    assert len({phonenumbers.region_code_for_number(n) for n in north_america}) > 20
    e164 = [phonenumbers.format_number(n, PhoneNumberFormat.E164) for n in numbers]
    codes = [n.country_code for n in numbers]
    want = [phonenumbers.region_code_for_number(n) for n in numbers]
    # first with a threshold no code reaches: each shared code's regions' patterns; then as
    # by default: the shared codes' tables, derived once
    for tables in (False, True):
        if not tables:
            monkeypatch.setattr(phones_numeric, "FOREIGN_FROM", 10**9)
        else:
            monkeypatch.undo()
            _no_tables(monkeypatch, tmp_path / "tables")
        assert _regions([*e164, None], [*codes, None]) == [*want, None]
        assert (phones_numeric._REGION_TABLES.get(1) is not None) == tables


def _regions(e164: list[str | None], codes: list[int | None]) -> list[str | None]:
    return dispatch.regions(pl.Series(e164), pl.Series(codes, dtype=pl.UInt16)).to_list()


@given(st.lists(st.sampled_from([True, False, None]), max_size=300), st.integers(1, 4))
def test_true_at_is_arg_true_of_any_mask(mask, chunks):
    # the mask in several chunks, as a batch's columns come
    parts = [pl.Series(mask[i::chunks], dtype=pl.Boolean) for i in range(chunks)]
    series = pl.concat(parts, rechunk=False)
    assert metadata.true_at(series).to_list() == series.arg_true().to_list()
    assert metadata.true_at(series).dtype == series.arg_true().dtype
