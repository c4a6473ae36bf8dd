"""Exceptions for when work cannot continue.

Problems found *in the data* are never exceptions: they are :class:`csvprep.Problem` records in
the report. These classes are for the cases where there is no report to give. Each carries the
exit code the command line maps it to, so the CLI needs no table of its own::

    CsvprepError            exit 1
    ├── RejectedRowsError   exit 1  (rows were rejected: nothing is uploaded without consent)
    ├── UsageError          exit 2  (bad option value)
    │   └── ConfigError     exit 2  (malformed variables_map, prompt, config file)
    ├── InputError          exit 3  (the input cannot be read as a contact list)
    ├── OutputError         exit 7  (an output cannot be written: read-only, full, denied)
    └── RemoteError         exit 5  (the platform refused a request or could not be reached)
        └── UncertainError  exit 6  (a request may have been acted on: check before re-running)
"""

from __future__ import annotations


class CsvprepError(Exception):
    """Base class of every error csvprep raises on purpose.

    >>> try:
    ...     raise InputError("contacts.csv: file is empty")
    ... except CsvprepError as e:
    ...     e.exit_code
    3
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(CsvprepError):
    """An option has a value csvprep cannot use (exit 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """A configuration input (variables_map, prompt, rule or config file) is malformed (exit 2)."""


class RejectedRowsError(CsvprepError):
    """Rows of the list were rejected, and the upload was not told to go on without them
    (exit 1, as for any list with rejected rows)."""


class InputError(CsvprepError):
    """The input file cannot be read as a contact list at all (exit 3)."""

    exit_code = 3


class OutputError(CsvprepError):
    """A file or folder cannot be written: read-only, full, permission denied, name too long
    (exit 7). No manifest is left claiming a complete set of files."""

    exit_code = 7


class RemoteError(CsvprepError):
    """The platform refused a request, or could not be reached in the time allowed (exit 5)."""

    exit_code = 5


class UncertainError(RemoteError):
    """A request's answer was lost after it was sent: it may have been acted on (exit 6).

    The upload ledger marks the step uncertain; the next run checks the platform's state
    before anything is sent again.
    """

    exit_code = 6
