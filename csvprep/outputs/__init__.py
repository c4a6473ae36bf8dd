"""Stage 6, outputs: ``split()`` (``splitting``) and ``prepare()`` (``preparing``) write
clean files or parts, rejects, the report and the manifest. Its public names load their
module on first use (:mod:`csvprep._lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .preparing import PrepareResult, prepare
    from .splitting import SplitResult, split

__getattr__ = lazy_attributes(
    __name__,
    {
        "SplitResult": "splitting",
        "split": "splitting",
        "PrepareResult": "preparing",
        "prepare": "preparing",
    },
)

__all__ = [
    "PrepareResult",
    "SplitResult",
    "prepare",
    "split",
]
