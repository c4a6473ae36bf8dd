"""Public names that load their module on first use, for the curated ``__init__`` of csvprep
and of its stages: importing one module of a stage then loads none of the others' dependencies
(pandera, fastexcel...), and ``csvprep validate`` pays only for the modules it needs."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each of ``names`` is taken from its module
    (named relative to ``package``) when first asked for, and kept.

    >>> getattr_ = lazy_attributes("csvprep", {"route_for": "routing"})
    >>> getattr_("route_for")(4999)
    'standard'
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)  # asked once: the next time is plain
        return value

    return __getattr__
