"""Writing outputs: one CSV call for a batch, cut into parts (the bytes of each part made
alone), and a long file made durable as it is written."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from threading import Event

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csvprep.io.writing
from csvprep.errors import OutputError
from csvprep.io.writing import OutputFolder, csv_body, csv_pieces


def _alone(frame: pl.DataFrame, sizes: list[int]) -> list[bytes]:
    """Each slice made CSV by a call of its own (what parts were written from before)."""
    offsets = [sum(sizes[:i]) for i in range(len(sizes))]
    return [csv_body(frame.slice(o, n)) for o, n in zip(offsets, sizes, strict=True)]


def _calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows of every frame made CSV from now on."""
    made: list[int] = []
    real = csvprep.io.writing.csv_body

    def counted(frame: pl.DataFrame, *, quote_all: bool = False, plain: bool = False) -> bytes:
        made.append(frame.height)
        return real(frame, quote_all=quote_all, plain=plain)

    monkeypatch.setattr(csvprep.io.writing, "csv_body", counted)
    return made


# cells Polars quotes (commas, quotes, line breaks of both kinds, the empty string), nulls,
# and characters of more than one byte
_cell = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list('ab ,"\n\r;é€'))))


def _batch(
    cell: st.SearchStrategy[str | None],
) -> st.SearchStrategy[tuple[pl.DataFrame, list[int]]]:
    """A frame of two columns of ``cell`` and the sizes of slices it is cut into."""

    def cut(
        rows: list[tuple[str | None, str | None]], cuts: list[int]
    ) -> tuple[pl.DataFrame, list[int]]:
        frame = pl.DataFrame(rows, schema={"a": pl.String, "b": pl.String}, orient="row")
        ends = sorted({c for c in cuts if c < frame.height} | {frame.height})
        return frame, [end - start for start, end in zip([0, *ends], ends, strict=False)]

    rows = st.lists(st.tuples(cell, cell), min_size=1, max_size=40)
    return st.builds(cut, rows, st.lists(st.integers(1, 39), max_size=8))


@settings(max_examples=300, deadline=None)
@given(batch=_batch(_cell))
def test_a_batch_cut_at_its_row_ends_gives_the_bytes_of_each_slice_made_alone(batch):
    frame, sizes = batch
    assert [bytes(p) for p in csv_pieces(frame, sizes)] == _alone(frame, sizes)


# cells of a plain table: no comma, quote or line break, but empty strings (which Polars
# quotes), nulls, spaces, semicolons and characters of more than one byte
_plain_cell = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("ab ;\té€"))))


@settings(max_examples=300, deadline=None)
@given(batch=_batch(_plain_cell))
def test_cells_known_plain_are_written_as_the_same_bytes_whole_and_cut(batch):
    frame, sizes = batch
    assert csv_body(frame, plain=True) == csv_body(frame)
    assert [bytes(p) for p in csv_pieces(frame, sizes, plain=True)] == _alone(frame, sizes)


def test_cells_known_plain_are_not_looked_through_unless_one_is_empty(monkeypatch):
    styles: list[str] = []
    real = pl.DataFrame.write_csv

    def recorded(self: pl.DataFrame, *args: object, **kwargs: object) -> object:
        styles.append(str(kwargs.get("quote_style")))
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pl.DataFrame, "write_csv", recorded)
    csv_body(pl.DataFrame({"a": ["1", None], "b": ["x y", "é"]}), plain=True)
    csv_body(pl.DataFrame({"a": ["1", ""], "b": ["x y", "é"]}), plain=True)
    csv_body(pl.DataFrame({"a": ["1", "2"]}))
    assert styles == ["never", "necessary", "necessary"]


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


# --- a long file is made durable as it is written -------------------------------------------


def _synced_sizes(monkeypatch: pytest.MonkeyPatch, every: int) -> tuple[list[int], Event]:
    """The size of the file each time its data is made durable on the way (not the last
    sync, at its end), from now on, with a sync every ``every`` bytes; and an event set at
    the first (in the syncer's thread, whenever it gets to it)."""
    sizes: list[int] = []
    first = Event()
    real = csvprep.io.writing._sync_data

    def recorded(fd: int) -> None:
        sizes.append(os.fstat(fd).st_size)
        real(fd)
        first.set()

    monkeypatch.setattr(csvprep.io.writing, "SYNC_EVERY", every)
    monkeypatch.setattr(csvprep.io.writing, "_sync_data", recorded)
    return sizes, first


def test_a_long_file_is_made_durable_as_it_is_written_not_all_at_its_end(tmp_path, monkeypatch):
    sizes, first = _synced_sizes(monkeypatch, every=1_000)
    folder = OutputFolder.open(tmp_path / "out", force=False)
    pending = folder.create("list.clean.csv")
    chunks = [bytes([48 + i]) * 1_500 + b"\n" for i in range(6)]
    for chunk in chunks:
        folder.append(pending, chunk, 1)
    # asked for before the file is finished (its last sync comes with publishing)
    assert first.wait(10)
    assert sizes[0] >= 1_000
    (written,) = folder.publish()
    assert written.rows == 6
    assert (tmp_path / "out" / "list.clean.csv").read_bytes() == b"".join(chunks)


def test_a_short_file_is_synced_once_at_its_end(tmp_path, monkeypatch):
    sizes, _ = _synced_sizes(monkeypatch, every=10_000)
    folder = OutputFolder.open(tmp_path / "out", force=False)
    pending = folder.create("list.clean.csv")
    folder.append(pending, b"n\n1\n", 1)
    folder.publish()
    assert sizes == []


def test_a_sync_that_fails_on_the_way_fails_the_file(tmp_path, monkeypatch):
    # an error a sync reports may not be reported again by the next: it must not be lost
    monkeypatch.setattr(csvprep.io.writing, "SYNC_EVERY", 1_000)

    def failing(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(csvprep.io.writing, "_sync_data", failing)
    folder = OutputFolder.open(tmp_path / "out", force=False)
    pending = folder.create("list.clean.csv")
    with pytest.raises(OutputError, match="Input/output error"):
        for _ in range(6):
            folder.append(pending, b"1" * 1_500 + b"\n", 1)
        folder.publish()
    folder.discard()
    assert not (tmp_path / "out" / "list.clean.csv").exists()
    assert [p.name for p in Path(tmp_path / "out").iterdir()] == []
