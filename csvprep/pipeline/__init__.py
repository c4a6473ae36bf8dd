"""Stage 5, pipeline: ``check()``, ``validate()`` and ``stream()`` (``validation``) read
in batches, run every check and add up the report. Its public names load their
module on first use (:mod:`csvprep._lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .validation import BatchSink, Checked, CheckOptions, DecidedBatch, check, stream, validate

__getattr__ = lazy_attributes(
    __name__,
    {
        "CheckOptions": "validation",
        "Checked": "validation",
        "DecidedBatch": "validation",
        "BatchSink": "validation",
        "check": "validation",
        "stream": "validation",
        "validate": "validation",
    },
)

__all__ = [
    "BatchSink",
    "CheckOptions",
    "Checked",
    "DecidedBatch",
    "check",
    "stream",
    "validate",
]
