"""No input produces a traceback: arbitrary bytes either give a report or a one-line error."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csvprep
from csvprep import CsvprepError

_csvish = st.lists(
    st.sampled_from(
        [
            b",",
            b";",
            b"\t",
            b"|",
            b'"',
            b"\n",
            b"\r\n",
            b"\r",
            b"\x00",
            b" ",
            b"Mobile Number",
            b"Name",
            b"+91",
            b"98765",
            b"43210",
            b"\xef\xbb\xbf",
            b"\xff\xfe",
            b"\xe9",
            b"\xc3\xa9",
            b"=",
            b"'",
            b".0",
            b"E+11",
            b"x",
        ]
    ),
    max_size=40,
).map(b"".join)


@settings(
    max_examples=int(os.environ.get("CSVPREP_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.one_of(_csvish, st.binary(max_size=200)))
def test_any_bytes_give_a_report_or_a_csvprep_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        path.write_bytes(data)
        try:
            report = csvprep.validate(path)
        except CsvprepError as e:
            assert e.exit_code in (2, 3) and "\n" not in e.message
            return
        rows = report.rows
        assert rows.total == rows.valid + rows.invalid + rows.duplicate + rows.excluded
