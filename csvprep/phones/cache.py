"""What csvprep derives at run time from the installed packages, kept on disk between runs.

Deriving the integer phone path's tables from libphonenumber's metadata takes a moment that
every run of a big list would pay again. An entry's name holds a digest of everything it is
derived from (the csvprep modules that derive it, the installed packages' versions), so no
code ever reads an entry that it would have derived differently.

The folder is ``CSVPREP_CACHE_DIR`` (set but empty: no cache), else
``$XDG_CACHE_HOME/csvprep``, else ``~/.cache/csvprep``. A folder that cannot be read or
written, or an entry that is not what it should be, only costs the time to derive it again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType


def folder() -> Path | None:
    """Where entries are kept, or None when caching is off.

    >>> folder() is None or folder().is_absolute()
    True
    """
    chosen = os.environ.get("CSVPREP_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no home folder to be found: no cache
            return None
    return Path(base) / "csvprep"


def key(modules: Iterable[ModuleType], versions: Iterable[str]) -> str:
    """A digest of the source of ``modules`` and of ``versions``: what an entry derives from.

    >>> import csvprep.phones.cache as c; len(key([c], ["9.0.43"]))
    24
    """
    digest = hashlib.blake2b(digest_size=12)
    for module in modules:
        assert module.__file__ is not None
        digest.update(Path(module.__file__).read_bytes())
    for version in versions:
        digest.update(version.encode())
    return digest.hexdigest()


def load(name: str) -> bytes | None:
    """The entry ``name``, or None (none kept, or caching off)."""
    where = folder()
    if where is None:
        return None
    try:
        return (where / name).read_bytes()
    except OSError:
        return None


def has(name: str) -> bool:
    """Whether the entry ``name`` is kept (without reading it).

    >>> has("no-such-entry")
    False
    """
    where = folder()
    return where is not None and (where / name).is_file()


def store(name: str, data: bytes, *, replaces: str = "") -> None:
    """Keep ``data`` as the entry ``name``, whole or not at all, in place of the entries
    whose names start with ``replaces`` (what older code derived); failing silently (it is a
    cache: the next run derives it again)."""
    where = folder()
    if where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True)
        # here: a run whose tables are all kept never loads the writer (and the manifest)
        from ..io.writing import atomic_write

        atomic_write(where / name, data)
        for old in where.glob(f"{replaces}*") if replaces else ():
            if old.name != name:
                old.unlink(missing_ok=True)
    except OSError:
        pass
