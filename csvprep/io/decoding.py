"""Bytes of a text file to UTF-8, deciding the encoding the way a careful person would.

* A byte-order mark decides (UTF-8, UTF-16; UTF-32 is refused).
* Valid UTF-8 is UTF-8, checked without a copy.
* **Mostly UTF-8 with a few stray bytes** (a Windows-1252 dash pasted into a UTF-8 export) is
  decoded by line, not by file: every valid UTF-8 character stays as written and only the
  stray bytes are read as Windows-1252, each one a :class:`Repair` the report shows on its row.
  A file is taken for this kind when it holds at least as many valid multi-byte UTF-8
  characters as stray bytes.
* Otherwise the file is in a legacy code page, told by charset-normalizer among the Windows and
  ISO code pages of Western, Central European, Greek, Cyrillic, Turkish, Baltic, Hebrew and
  Arabic exports. When another code page fits the bytes about as well and would give other
  letters, the choice is reported as unsure (:attr:`Decoded.unsure`), so the user can say
  ``--encoding``.
* ``encoding=`` (any Python codec name) overrides all of it; bytes that codec cannot read are
  an error naming their line.

Decoding never loses a byte: the five bytes Windows-1252 leaves undefined, and any byte a code
page leaves undefined, become the control character of the same value (as the WHATWG encoding
standard does for Windows-1252).
"""

from __future__ import annotations

import codecs
import re
import threading
import unicodedata
from typing import NamedTuple

from ..errors import InputError, UsageError

#: The code pages a file that is not UTF-8 is told among: those Excel and CRMs write outside
#: Unicode, most common first (Windows-1252 wins a tie).
LEGACY = (
    "cp1252",
    "cp1250",
    "cp1251",
    "cp1253",
    "cp1254",
    "cp1257",
    "cp1255",
    "cp1256",
    "cp1258",
    "iso8859_2",
    "iso8859_5",
    "iso8859_7",
    "iso8859_9",
    "iso8859_15",
    "koi8_r",
)

#: A file with valid multi-byte UTF-8 characters is UTF-8 with stray bytes (decoded by
#: character) unless its stray bytes outnumber them this many times over: a legacy file holds
#: such a sequence only by accident (``Ã©`` in Windows-1252), one in hundreds of its accented
#: letters, where a UTF-8 export with Word's quotes pasted in holds a few of each.
MIXED_RATIO = 10

#: Fewer stray bytes than this in a UTF-8 file are read as Windows-1252 without asking the
#: detector; more are told like a legacy file's bytes.
FEW_STRAY = 20

#: How much of a legacy file the detector looks at: enough for any list's names, and a
#: bounded cost however big the file.
DETECT_BYTES = 2**20

_LABELS = {
    "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1252": "Windows-1252 (Western European)",
    "cp1253": "Windows-1253 (Greek)",
    "cp1254": "Windows-1254 (Turkish)",
    "cp1255": "Windows-1255 (Hebrew)",
    "cp1256": "Windows-1256 (Arabic)",
    "cp1257": "Windows-1257 (Baltic)",
    "cp1258": "Windows-1258 (Vietnamese)",
    "iso8859_2": "ISO-8859-2 (Central European)",
    "iso8859_5": "ISO-8859-5 (Cyrillic)",
    "iso8859_7": "ISO-8859-7 (Greek)",
    "iso8859_9": "ISO-8859-9 (Turkish)",
    "iso8859_15": "ISO-8859-15 (Western European)",
    "koi8_r": "KOI8-R (Cyrillic)",
}

# one valid multi-byte UTF-8 character (RFC 3629: no overlongs, no surrogates)
_UTF8_MULTI = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]"
    rb"|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_ASCII = bytes(range(128))


# a NamedTuple, not a frozen dataclass: made on every start, where a dataclass costs ~1 ms
class Repair(NamedTuple):
    """A byte that was not UTF-8 in a file that otherwise is, read as Windows-1252.

    ``line`` is the physical line it is on; ``offset`` where its character starts in the
    decoded UTF-8 text.
    """

    line: int
    offset: int
    byte: int
    char: str


class Decoded(NamedTuple):
    """A file's text as UTF-8 bytes (no BOM), the encoding it was read as and why."""

    data: bytes
    encoding: str
    notes: tuple[str, ...] = ()
    repairs: tuple[Repair, ...] = ()
    #: why the encoding chosen may be wrong, when the detector could not tell
    unsure: str | None = None
    #: the code page stray bytes were read by (``repairs``), if any
    fallback: str | None = None


def label(codec: str) -> str:
    """The name people know a codec by.

    >>> label("cp1253"), label("utf_8")
    ('Windows-1253 (Greek)', 'utf-8')
    """
    name = codecs.lookup(codec).name
    return _LABELS.get(name.replace("-", "_"), name.replace("_", "-"))


def check_encoding(encoding: str) -> str:
    """``encoding`` as Python names it, or :class:`~csvprep.errors.UsageError`.

    >>> check_encoding("Windows-1251")
    'cp1251'
    >>> check_encoding("base64")
    Traceback (most recent call last):
    csvprep.errors.UsageError: 'base64' is not a text encoding: give one such as utf-8 or cp1252
    >>> check_encoding("klingon")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    csvprep.errors.UsageError: unknown encoding 'klingon': give a Python codec name such as ...
    """
    shown = repr(encoding[:60] + ("…" if len(encoding) > 60 else ""))
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise UsageError(
            f"unknown encoding {shown}: give a Python codec name such as utf-8, cp1252, "
            "cp1251 or iso8859_7"
        ) from None
    try:
        "".encode(info.name)
        b"".decode(info.name)
    except (LookupError, UnicodeError):  # base64, zlib, rot13, "undefined": not of text
        raise UsageError(
            f"{shown} is not a text encoding: give one such as utf-8 or cp1252"
        ) from None
    return info.name


def _keep_undefined(err: UnicodeError) -> tuple[str, int]:
    # A byte the code page leaves undefined becomes the C1 control of the same value, so
    # decoding never loses one.
    assert isinstance(err, UnicodeDecodeError)
    return chr(err.object[err.start]), err.start + 1


codecs.register_error("csvprep-c1", _keep_undefined)


def decode(data: bytes, name: str, encoding: str | None = None) -> Decoded:
    """The file's bytes as UTF-8: see the module's description for how the encoding is told.

    >>> d = decode(b"Name\\nDoctor\\xe2\\x80\\x99s \\x96 office\\n", "list.csv")
    >>> d.data.decode() == "Name\\nDoctor\\u2019s \\u2013 office\\n", d.encoding
    (True, 'utf-8')
    >>> [(r.line, hex(r.byte), r.char == "\\u2013") for r in d.repairs]
    [(2, '0x96', True)]
    """
    if encoding is not None:
        return _decode_as(data, name, check_encoding(encoding))
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        raise InputError(f"{name}: is UTF-32, which csvprep does not read; save it as UTF-8")
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return Decoded(data[len(bom) :].decode(codec).encode("utf-8"), codec)
            except UnicodeDecodeError as e:
                raise InputError(
                    f"{name}: has a {codec.upper()} byte-order mark but invalid UTF-16 at byte "
                    f"{e.start + len(bom)}; re-export it"
                ) from None
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    body = data[skip:] if skip else data
    utf8 = "utf-8-sig" if skip else "utf-8"
    if body.isascii():
        return Decoded(body, utf8)
    try:
        codecs.utf_8_decode(body, "strict", True)  # checked, not copied
        return Decoded(body, utf8)
    except UnicodeDecodeError as e:
        first_bad = e.start
    without, characters = _UTF8_MULTI.subn(b"", body)
    stray = len(without.translate(None, _ASCII))
    if characters and characters * MIXED_RATIO >= stray and not _glued(body, characters):
        return _decode_mixed(body, utf8, without)
    return _decode_legacy(body, data, first_bad + skip)


def _glued(body: bytes, characters: int) -> bool:
    """Whether most of the file's valid UTF-8 characters touch a stray byte: what a
    double-byte code page (Big5, Shift JIS) makes by accident inside its runs of high bytes,
    where a UTF-8 export's characters and its pasted stray bytes stand apart.

    >>> _glued(b"Jos\\xc3\\xa9 \\x96", 1)
    False
    >>> _glued(b"\\xb4\\xc3\\xa9\\xb5", 1)
    True
    """
    marked = _UTF8_MULTI.sub(b"\x01", body)
    return len(_TOUCHING.findall(marked)) * 2 > characters


_TOUCHING = re.compile(rb"(?<=[\x80-\xff])\x01|\x01(?=[\x80-\xff])")


def _line_of(data: bytes, offset: int) -> int:
    """The physical line ``offset`` is on (LF, CRLF or, in a file without LF, CR)."""
    end = b"\n" if b"\n" in data else b"\r"
    return data.count(end, 0, offset) + 1


_STRAY = threading.local()  # the stray bytes met by the decoding under way in this thread


def _stray_byte(err: UnicodeError) -> tuple[str, int]:
    # One pass over the file: the codec calls this for each byte that is not UTF-8, which is
    # read by the fallback code page and its position kept.
    assert isinstance(err, UnicodeDecodeError)
    _STRAY.found.append(err.start)
    return _STRAY.table[err.object[err.start]], err.start + 1


codecs.register_error("csvprep-stray", _stray_byte)


def _table(codec: str) -> list[str]:
    """Every byte as ``codec`` reads it (a byte it leaves undefined as the C1 control)."""
    return [bytes((byte,)).decode(codec, errors="csvprep-c1") for byte in range(256)]


def _decode_mixed(body: bytes, encoding: str, without_utf8: bytes) -> Decoded:
    """UTF-8 but for stray bytes, each read by a fallback code page and kept as a
    :class:`Repair`.

    The fallback is Windows-1252 (Word's quotes and dashes), unless the stray bytes, once the
    UTF-8 around them is taken out (``without_utf8``), read better in another code page (a
    list half UTF-8, half Windows-1251). One decoding pass, then one sweep for the repairs'
    lines: linear in the file, however many stray bytes it holds.
    """
    stray = len(without_utf8.translate(None, _ASCII))
    # a few stray bytes are Word's quotes and dashes, each shown on its row: too few for a
    # detector to judge (one 0x96 reads alike in a dozen code pages)
    codec, unsure = _detect(without_utf8[:DETECT_BYTES]) if stray >= FEW_STRAY else ("cp1252", None)
    table = _table(codec)
    found: list[int] = []
    _STRAY.found, _STRAY.table = found, table
    try:
        data = body.decode("utf-8", errors="csvprep-stray").encode("utf-8")
    finally:
        del _STRAY.found, _STRAY.table
    repairs: list[Repair] = []
    newline = b"\n" if b"\n" in body else b"\r"
    line, counted, grown = 1, 0, 0
    for at in found:
        line += body.count(newline, counted, at)
        counted = at
        char = table[body[at]]
        # valid UTF-8 comes out byte for byte: only the repaired characters shift offsets
        repairs.append(Repair(line=line, offset=at + grown, byte=body[at], char=char))
        grown += len(char.encode("utf-8")) - 1
    lines = sorted({r.line for r in repairs})
    shown = ", ".join(str(n) for n in lines[:5]) + (", ..." if len(lines) > 5 else "")
    how = "unsure" if unsure else "detected" if stray >= FEW_STRAY else "too few to tell"
    note = (
        f"UTF-8 but for {len(repairs):,} stray byte{'s' if len(repairs) != 1 else ''} "
        f"(line{'s' if len(lines) != 1 else ''} {shown}), read as {label(codec)} ({how}); "
        "every other character is read as UTF-8"
    )
    return Decoded(data, encoding, (note,), tuple(repairs), unsure, _name(codec))


def _decode_legacy(body: bytes, whole: bytes, bad: int) -> Decoded:
    """A file in one legacy code page, told by charset-normalizer."""
    codec, unsure = _detect(body[:DETECT_BYTES])
    line = _line_of(whole, bad)
    how = "unsure" if unsure else "detected"
    note = (
        f"not UTF-8 (first non-UTF-8 byte 0x{whole[bad]:02X} on line {line}); decoded as "
        f"{label(codec)} ({how}). Check accented names look right; outputs are UTF-8"
    )
    text = body.decode(codec, errors="csvprep-c1")
    return Decoded(text.encode("utf-8"), _name(codec), (note,), unsure=unsure)


def _name(codec: str) -> str:
    """The short name a report gives: ``windows-1253``, ``iso-8859-7``, ``koi8-r``."""
    return label(codec).split(" ")[0].lower()


def _detect(sample: bytes) -> tuple[str, str | None]:
    """The code page that reads ``sample`` best, and why it may be wrong (or None).

    charset-normalizer scores each code page by how messy its decoding looks (chaos) and how
    much it reads like a language (coherence); on a short list of names it often cannot tell
    Latin-script code pages apart (a chaos of 0 for Polish read as Windows-1252: ``£ukasz``).
    So the code pages within :data:`CLOSE_CHAOS` of its best are compared once more, by their
    :func:`_oddities` (symbols glued to letters); code pages that give the same letters are
    one answer, named Windows-1252 when it is among them. The answer is unsure when another
    that gives other letters is as good: Windows-1252 is then chosen if it is among those (by
    far the most common legacy export), else the detector's best.
    """
    from charset_normalizer import from_bytes  # here: only files that are not UTF-8 need it

    matches = list(from_bytes(sample, cp_isolation=list(LEGACY)))
    if not matches:
        return "cp1252", "no code page reads its bytes cleanly"
    floor = matches[0].percent_chaos
    texts: dict[str, list[str]] = {}  # a decoding -> the code pages that give it, best first
    for match in matches:
        if match.percent_chaos <= floor + CLOSE_CHAOS:
            text = sample.decode(match.encoding, errors="csvprep-c1")
            texts.setdefault(text, []).append(match.encoding)
    latin1 = sample.decode("cp1252", errors="csvprep-c1")
    if latin1 in texts:
        texts[latin1] = ["cp1252"]  # the same letters: name the common one
    # counted once each, on the sample's start: a Python pass per character
    odd = {text: _oddities(text[:ODDITY_CHARS]) if len(texts) > 1 else 0 for text in texts}
    fewest = min(odd.values())
    tied = [codecs_[0] for text, codecs_ in texts.items() if odd[text] == fewest]  # best first
    chosen = "cp1252" if "cp1252" in tied else tied[0]
    others = [c for c in tied if c != chosen]
    if not others:
        return chosen, None
    return chosen, "it reads about as well as " + " or ".join(_name(c) for c in others[:3])


#: How many characters of a decoding :func:`_oddities` reads: plenty of names.
ODDITY_CHARS = 65536

#: How much messier (charset-normalizer's chaos, in percent) than the best a code page may
#: read and still be compared with it.
CLOSE_CHAOS = 6.0


def _oddities(text: str) -> int:
    """How many characters of ``text`` are symbols, numerals or controls glued to a letter, or
    capitals between lowercase letters: what a wrong code page makes of letters (``D¹browska``,
    ``£ukasz``, ``DaNa``), and what names seldom hold.

    >>> _oddities("Dąbrowska Łukasz, Doctor\\u2019s"), _oddities("D¹browska £ukasz")
    (0, 2)
    """
    odd = 0
    last = len(text) - 1
    for found in _NON_ASCII.finditer(text):
        at = found.start()
        kind = unicodedata.category(text[at])
        before = at > 0 and text[at - 1].isalpha()
        after = at < last and text[at + 1].isalpha()
        if kind[0] in "SNC":
            odd += before or after
        elif kind == "Lu":
            odd += before and after and text[at - 1].islower() and text[at + 1].islower()
    return odd


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _decode_as(data: bytes, name: str, codec: str) -> Decoded:
    """``data`` in the codec the user named; a byte it cannot read is an error on its line."""
    if codec == "utf-8":
        codec = "utf-8-sig"  # a BOM is not part of the first header (utf-16's says the order)
    # Windows-1252's five undefined bytes are C1 controls (WHATWG), as when it is detected
    errors = "csvprep-c1" if codec == "cp1252" else "strict"
    try:
        text = data.decode(codec, errors=errors)
    except UnicodeError as e:  # punycode and a few others raise the base class: no position
        where = "its text"
        if isinstance(e, UnicodeDecodeError):
            where = f"line {_line_of(data, e.start)}: byte 0x{data[e.start]:02X}"
        raise InputError(
            f"{name}: {where} cannot be read as {codec} (--encoding); give the file's real "
            "encoding, or leave --encoding out to have it detected"
        ) from None
    # a byte-order mark read in the codec named (utf-16-le over Excel's "Unicode text", whose
    # mark says that very order) is no part of the first header either
    text = text.removeprefix("\ufeff")
    return Decoded(text.encode("utf-8"), _name(codec), (f"decoded as {label(codec)} (--encoding)",))
