"""Project configuration: ``csvprep.toml`` or ``[tool.csvprep]`` in ``pyproject.toml``.

Found by walking up from the file being checked, so a pre-commit hook or CI step needs no
flags. Per-glob overrides let one repository hold lists for several assistants::

    [tool.csvprep]
    country_code = "+91"
    variables_map = "maps/default.json"

    [[tool.csvprep.overrides]]
    files = "campaigns/renewals/*"
    variables_map = { mobile_number = "Mobile Number", callee_name = "Name" }

Flags given on the command line override the file. Paths in the file are relative to it.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any, NamedTuple

from .errors import ConfigError
from .suggest import did_you_mean

CONFIG_FILE = "csvprep.toml"
PYPROJECT = "pyproject.toml"

#: Settings a configuration may hold, and the types each accepts.
SETTINGS: dict[str, tuple[type, ...]] = {
    "variables_map": (str, dict),
    "country_code": (str,),
    "mobile_only": (bool,),
    "prompt": (str,),
    "delimiter": (str,),
    "max_problems": (int,),
    "strict": (bool,),
    "rules": (str,),
    "max_cells": (int,),
    "sheet": (str,),
    "encoding": (str,),
    "skip_rows": (int,),
}
_PATHS = ("variables_map", "prompt", "rules")
_NOT_NEGATIVE = ("skip_rows", "max_problems")


# a NamedTuple, not a frozen dataclass: made on every start, where a dataclass costs ~1 ms
class ProjectConfig(NamedTuple):
    """One configuration file: its settings and its per-glob overrides, in order."""

    path: Path
    settings: dict[str, Any]
    overrides: tuple[tuple[str, dict[str, Any]], ...]

    def for_file(self, file: Path) -> dict[str, Any]:
        """The settings that apply to ``file``: the base, then every matching override.

        >>> cfg = ProjectConfig(Path("/repo/csvprep.toml"), {"country_code": "+91"},
        ...                     (("campaigns/us/*", {"country_code": "+1"}),))
        >>> cfg.for_file(Path("/repo/campaigns/us/list.csv"))["country_code"]
        '+1'
        """
        root = self.path.parent
        merged = dict(self.settings)
        try:
            relative = file.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            relative = file.as_posix()
        for pattern, settings in self.overrides:
            if fnmatch.fnmatchcase(relative, pattern):
                merged.update(settings)
        return merged


def _check(settings: dict[str, Any], where: str, base: Path) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, value in settings.items():
        if key not in SETTINGS:
            hint = did_you_mean(key, SETTINGS) or f" (known: {', '.join(sorted(SETTINGS))})"
            raise ConfigError(f"{where}: unknown key {key!r}{hint}")
        types = SETTINGS[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            wanted = " or ".join("table" if t is dict else t.__name__ for t in types)
            raise ConfigError(f"{where}: {key!r} must be a {wanted}, not {value!r}")
        if key in _NOT_NEGATIVE and isinstance(value, int) and value < 0:
            raise ConfigError(f"{where}: {key!r} must be 0 or more, not {value!r}")
        if key in _PATHS and isinstance(value, str) and not value.lstrip().startswith("{"):
            value = str(base / value)
        checked[key] = value
    return checked


def _load(path: Path, table: dict[str, Any], prefix: str) -> ProjectConfig:
    base = path.parent
    settings = {k: v for k, v in table.items() if k != "overrides"}
    overrides = table.get("overrides", [])
    if not isinstance(overrides, list):
        raise ConfigError(f"{path}: {prefix}overrides must be an array of tables")
    parsed = []
    for n, override in enumerate(overrides, start=1):
        where = f"{path}: {prefix}overrides[{n}]"
        if not isinstance(override, dict) or not isinstance(override.get("files"), str):
            raise ConfigError(f"{where} needs a 'files' glob")
        rest = {k: v for k, v in override.items() if k != "files"}
        parsed.append((override["files"], _check(rest, where, base)))
    where = f"{path}: [{prefix.rstrip('.')}]" if prefix else str(path)
    return ProjectConfig(path, _check(settings, where, base), tuple(parsed))


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # here: a run that finds no configuration file never loads the parser

    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror})") from None


def find_config(start: Path) -> ProjectConfig | None:
    """The nearest configuration at or above ``start`` (a file or folder), or None.

    ``csvprep.toml`` wins over a ``pyproject.toml`` in the same folder; a ``pyproject.toml``
    without ``[tool.csvprep]`` is passed over.
    """
    folder = start.resolve()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        own = candidate / CONFIG_FILE
        if own.is_file():
            return _load(own, _read_toml(own), "")
        pyproject = candidate / PYPROJECT
        if pyproject.is_file():
            table = _read_toml(pyproject).get("tool", {}).get("csvprep")
            if table is not None:
                if not isinstance(table, dict):
                    raise ConfigError(f"{pyproject}: [tool.csvprep] must be a table")
                return _load(pyproject, table, "tool.csvprep.")
    return None


def settings_for(file: str | Path) -> dict[str, Any]:
    """The configured settings for ``file`` (empty when no configuration applies).

    >>> settings_for("/")
    {}
    """
    config = find_config(Path(file))
    return config.for_file(Path(file)) if config is not None else {}
