"""One CSV call for a batch, cut into parts: the bytes of each part made alone."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csvprep.io.writing
from csvprep.io.writing import csv_body, csv_pieces


def _alone(frame: pl.DataFrame, sizes: list[int]) -> list[bytes]:
    """Each slice made CSV by a call of its own (what parts were written from before)."""
    offsets = [sum(sizes[:i]) for i in range(len(sizes))]
    return [csv_body(frame.slice(o, n)) for o, n in zip(offsets, sizes, strict=True)]


def _calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows of every frame made CSV from now on."""
    made: list[int] = []
    real = csvprep.io.writing.csv_body

    def counted(frame: pl.DataFrame, *, quote_all: bool = False) -> bytes:
        made.append(frame.height)
        return real(frame, quote_all=quote_all)

    monkeypatch.setattr(csvprep.io.writing, "csv_body", counted)
    return made


# cells Polars quotes (commas, quotes, line breaks of both kinds, the empty string), nulls,
# and characters of more than one byte
_cell = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list('ab ,"\n\r;é€'))))


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(_cell, _cell), min_size=1, max_size=40),
    cuts=st.lists(st.integers(1, 39), max_size=8),
)
def test_a_batch_cut_at_its_row_ends_gives_the_bytes_of_each_slice_made_alone(rows, cuts):
    frame = pl.DataFrame(rows, schema={"a": pl.String, "b": pl.String}, orient="row")
    ends = sorted({c for c in cuts if c < frame.height} | {frame.height})
    sizes = [end - start for start, end in zip([0, *ends], ends, strict=False)]
    assert [bytes(p) for p in csv_pieces(frame, sizes)] == _alone(frame, sizes)


def test_line_breaks_and_quotes_in_cells_are_cut_around_with_one_call(monkeypatch):
    frame = pl.DataFrame(
        {
            "a": ["two\nlines", 'say "hi"', "x", "\r\n", None, "a,b", "\n\n\n", "é"],
            "b": ["", "1", '"', "y\nz", "", None, "end\n", ""],
        }
    )
    sizes = [1, 2, 1, 3, 1]
    expected = _alone(frame, sizes)
    made = _calls(monkeypatch)
    assert [bytes(p) for p in csv_pieces(frame, sizes)] == expected
    assert made == [frame.height]  # the cuts were proven: no slice was made CSV again


def test_plain_cells_are_cut_with_one_call(monkeypatch):
    frame = pl.DataFrame({"n": [f"+9198{i:08d}" for i in range(50)], "m": ["Asha"] * 50})
    sizes = [7, 20, 20, 3]
    expected = _alone(frame, sizes)
    made = _calls(monkeypatch)
    assert [bytes(p) for p in csv_pieces(frame, sizes)] == expected
    assert made == [frame.height]


def test_cells_whose_text_polars_chooses_are_made_csv_a_slice_at_a_time():
    frame = pl.DataFrame({"n": [1.5, 2.25, None, 1e20], "s": ["a", "b,c", "", None]})
    assert [bytes(p) for p in csv_pieces(frame, [3, 1])] == _alone(frame, [3, 1])


def test_slices_that_do_not_make_the_frame_are_refused():
    frame = pl.DataFrame({"a": ["1", "2"]})
    with pytest.raises(ValueError, match="do not make"):
        csv_pieces(frame, [1])
    with pytest.raises(ValueError, match="do not make"):
        csv_pieces(frame, [0, 2])
