"""Number patterns read as integer ranges agree with the regexes they come from."""

from __future__ import annotations

import bisect
import random
import re

import phonenumbers
import pytest

from csvprep.phones.metadata import region
from csvprep.phones.ranges import Language, Unsupported, parse


def metadata_patterns() -> list[str]:
    found = set()
    for code in sorted(phonenumbers.SUPPORTED_REGIONS):
        for desc in region(code).descriptions:
            if desc is not None and desc.pattern:
                found.add(desc.pattern)
    return sorted(found)


def test_every_metadata_pattern_matches_what_its_regex_matches():
    rng = random.Random(7)
    patterns = metadata_patterns()
    assert len(patterns) > 500
    for pattern in patterns:
        regex = re.compile(pattern)
        language = Language(pattern)
        for length in range(1, 18):
            ranges = language.ranges(length)
            starts = [start for start, _ in ranges]
            # the edges of every range (where an off-by-one would show) and random numbers
            points = {x for pair in ranges for x in (pair[0] - 1, pair[0], pair[1] - 1, pair[1])}
            points |= {rng.randrange(10**length) for _ in range(20)}
            for value in points:
                if not 0 <= value < 10**length:
                    continue
                i = bisect.bisect_right(starts, value) - 1
                inside = i >= 0 and value < ranges[i][1]
                text = f"{value:0{length}d}"
                assert inside == bool(regex.fullmatch(text)), (pattern, text)


def test_ranges_of_a_small_pattern_are_exact_and_merged():
    assert Language(r"7[0-2]\d|73[0-4]").ranges(3) == [(700, 735)]
    assert Language(r"(?:1|23)4?").ranges(2) == [(14, 15), (23, 24)]
    assert Language(r"\d{2,3}").ranges(1) == []


def test_longest_accepted_string():
    assert Language(r"\d{6,14}").longest() == 14
    assert Language(r"1(?:2|34)?").longest() == 3


@pytest.mark.parametrize("pattern", [r"\d+", r"1*", r"(?=1)\d", r"\s", "a", "[a-z]", "(1", "[12"])
def test_syntax_outside_the_metadata_subset_is_refused(pattern):
    # a later metadata release using more of regex syntax must fall back, never be misread
    with pytest.raises(Unsupported):
        parse(pattern)
