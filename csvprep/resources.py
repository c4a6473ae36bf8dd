"""The files csvprep ships beside its code: the JSON schemas of what it reads and writes, and
example settings, readable from any install (a wheel has no ``schemas/`` folder beside it).
"""

from __future__ import annotations

from importlib.resources import files

from .errors import UsageError

#: Schema names, as ``csvprep schema NAME`` takes them.
SCHEMAS = ("report", "manifest", "rules", "campaign")
#: Example files, as ``csvprep init NAME`` writes them.
EXAMPLES = {"campaign": "renewal_campaign.toml", "rules": "renewal_reminders.rules.toml"}


def schema_text(name: str) -> str:
    """The JSON schema ``name`` (one of :data:`SCHEMAS`) as shipped.

    >>> '"title": "csvprep manifest"' in schema_text("manifest")
    True
    """
    if name not in SCHEMAS:
        raise UsageError(f"no schema {name!r}; choose one of {', '.join(SCHEMAS)}")
    return files("csvprep.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")


def example_text(name: str) -> str:
    """The example file ``name`` (one of :data:`EXAMPLES`) as shipped.

    >>> example_text("campaign").startswith("# Campaign settings")
    True
    """
    if name not in EXAMPLES:
        raise UsageError(f"no example {name!r}; choose one of {', '.join(EXAMPLES)}")
    folder = files("csvprep.schemas").joinpath("examples")
    return folder.joinpath(EXAMPLES[name]).read_text(encoding="utf-8")
