"""Stage 4, checks: the header plan (``headers``), do-not-call lists (``suppression``),
calling hours (``calling_hours``) and column rules (``rules``). Its public names load their
module on first use (:mod:`csvprep._lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .calling_hours import CallWindow
    from .headers import ColumnPlan, Prompt, load_variables_map, plan_columns
    from .rules import Rule, RuleSet, load_rules, schema
    from .suppression import Suppression, load_suppression

__getattr__ = lazy_attributes(
    __name__,
    {
        "ColumnPlan": "headers",
        "Prompt": "headers",
        "plan_columns": "headers",
        "load_variables_map": "headers",
        "Suppression": "suppression",
        "load_suppression": "suppression",
        "CallWindow": "calling_hours",
        "Rule": "rules",
        "RuleSet": "rules",
        "load_rules": "rules",
        "schema": "rules",
    },
)

__all__ = [
    "CallWindow",
    "ColumnPlan",
    "Prompt",
    "Rule",
    "RuleSet",
    "Suppression",
    "load_rules",
    "load_suppression",
    "load_variables_map",
    "plan_columns",
    "schema",
]
