"""The cache of what csvprep derives at run time: where it is kept."""

from __future__ import annotations

from pathlib import Path

from csvprep.phones import cache


def test_the_cache_folder_follows_the_environment_and_is_none_without_a_home(monkeypatch):
    monkeypatch.delenv("CSVPREP_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/var/cache/someone")
    assert cache.folder() == Path("/var/cache/someone/csvprep")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "/home/someone")
    assert cache.folder() == Path("/home/someone/.cache/csvprep")

    def nowhere() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", nowhere)
    assert cache.folder() is None
    monkeypatch.setenv("CSVPREP_CACHE_DIR", "/tmp/elsewhere")
    assert cache.folder() == Path("/tmp/elsewhere")
