"""'Did you mean': the nearest known name to one that was not found, for headers and setting
keys alike.

Names are compared as words: case, spacing and punctuation ignored, camelCase split, and the
abbreviations spreadsheets use for phone columns (``No``, ``Num``, ``Ph``, ``Mob``, ``Cell``)
read in full; then a small misspelling is forgiven.
"""

from __future__ import annotations

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


class Nearest:
    """'Did you mean' against a fixed set of known names, each read into words once (a list
    of thousands of headers, asked about hundreds of missing ones, stays linear).

    >>> near = Nearest(["Name", "Mobile Number"])
    >>> near("Mobile Numbr"), near("MobileNo"), near("Due Date")
    ('Mobile Number', 'Mobile Number', None)
    """

    #: Misspellings are looked for among at most this many names: beyond it, the comparison
    #: would cost more than the rest of the run, and only same-word matches are offered.
    FUZZY_LIMIT = 2_000

    def __init__(self, known: Iterable[str]) -> None:
        self._by_words: dict[str, str] = {}
        for candidate in known:
            self._by_words.setdefault(words(candidate), candidate)

    def __call__(self, name: str) -> str | None:
        wanted = words(name)
        if wanted in self._by_words:
            return self._by_words[wanted]
        if len(self._by_words) > self.FUZZY_LIMIT:
            return None
        import difflib  # here: only a name that matches none loads it

        close = difflib.get_close_matches(wanted, list(self._by_words), n=1, cutoff=0.8)
        return self._by_words[close[0]] if close else None


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` most likely meant, or None when none is close.

    >>> nearest("mobile_onlly", ["mobile_only", "strict"]), nearest("Due Date", ["Name"])
    ('mobile_only', None)
    """
    return Nearest(known)(name)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` for the nearest known name, or nothing.

    >>> did_you_mean("retry_cuont", ["retry_count", "retry_busy"])
    " (did you mean 'retry_count'?)"
    """
    found = nearest(name, known)
    return f" (did you mean {found!r}?)" if found is not None else ""
