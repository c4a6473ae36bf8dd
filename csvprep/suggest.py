"""'Did you mean': the nearest known name to one that was not found, for headers and setting
keys alike.

Names are compared as words: case, spacing and punctuation ignored, camelCase split, and the
abbreviations spreadsheets use for phone columns (``No``, ``Num``, ``Ph``, ``Mob``, ``Cell``)
read in full; then a small misspelling is forgiven.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_ABBREVIATIONS = {
    "no": "number",
    "nbr": "number",
    "num": "number",
    "number": "number",
    "ph": "phone",
    "tel": "phone",
    "mob": "mobile",
    "cell": "mobile",
}


def words(name: str) -> str:
    """``name`` as lower-case words, abbreviations read in full.

    >>> words("MobileNo"), words("mobile_number"), words("Ph. Num"), words("Mobile Number ")
    ('mobile number', 'mobile number', 'phone number', 'mobile number')
    """
    found = [w.lower() for w in _WORD.findall(name.replace("#", " number "))]
    return " ".join(_ABBREVIATIONS.get(w, w) for w in found)


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` most likely meant, or None when none is close.

    >>> nearest("Mobile Numbr", ["Name", "Mobile Number"]), nearest("MobileNo", ["Mobile Number"])
    ('Mobile Number', 'Mobile Number')
    >>> nearest("mobile_onlly", ["mobile_only", "strict"]), nearest("Due Date", ["Name"])
    ('mobile_only', None)
    """
    by_words: dict[str, str] = {}
    for candidate in known:
        by_words.setdefault(words(candidate), candidate)
    wanted = words(name)
    if wanted in by_words:
        return by_words[wanted]
    close = difflib.get_close_matches(wanted, list(by_words), n=1, cutoff=0.8)
    return by_words[close[0]] if close else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` for the nearest known name, or nothing.

    >>> did_you_mean("retry_cuont", ["retry_count", "retry_busy"])
    " (did you mean 'retry_count'?)"
    """
    found = nearest(name, known)
    return f" (did you mean {found!r}?)" if found is not None else ""
