"""The integer path of decide(): where it applies, and the assumptions it rests on."""

from __future__ import annotations

import io
import itertools
import random

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from csvprep.phones import dispatch, metadata
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
