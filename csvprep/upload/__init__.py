"""Hand prepared files to the platform, exactly as its docs describe, and never twice.

* Standard flow, for a file under 5,000 rows: ``POST /campaign/save`` (multipart) gives a
  ``list_id``; with ``start_calls``, ``POST /campaign/start`` (``from_numbers``) or
  ``POST /campaign/v2/start`` (``number_pool_id``).
* Large flow, for 5,000 rows or more: ``POST /campaign/upload-csv`` gives a ``bulk_list_id``;
  ``GET /campaign/upload-status/{id}`` is polled until processing ends; then
  ``POST /campaign/check-balance/{id}``; with ``start_calls``, ``POST /campaign/make-call-async``.

A ledger beside the files records each step the platform accepted, with its ids; a run resumes
after the last finished step. A request whose answer was lost after it was sent is recorded as
*uncertain*: the next run asks the platform (``GET /campaign/all``, the upload status) before
anything is sent again, and stops with what to check when it cannot tell.

The parts, each in a private module: the HTTP client and its retries (``_client``), the ledger
(``_ledger``), the two flows (``_flows``), the dry run's recording transport (``_dry_run``), the
assistant's prompt (``_agent``); the campaign settings are :mod:`csvprep.upload.campaign`.
"""

from ._agent import agent_prompt
from ._client import DEFAULT_BASE_URL, Api, Request, check_api_key, check_base_url
from ._dry_run import Recorder
from ._flows import FAILED, FINISHED, IN_PROGRESS, UploadResult, upload
from ._ledger import LEDGER, Ledger

__all__ = [
    "DEFAULT_BASE_URL",
    "FAILED",
    "FINISHED",
    "IN_PROGRESS",
    "LEDGER",
    "Api",
    "Ledger",
    "Recorder",
    "Request",
    "UploadResult",
    "agent_prompt",
    "check_api_key",
    "check_base_url",
    "upload",
]
