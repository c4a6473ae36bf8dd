"""Which upload flow a list needs.

The platform's standard flow (``/campaign/save``, then start) takes lists below 5,000 rows; at
5,000 rows or more the large-campaign flow (``/campaign/upload-csv``, upload status, balance
check, ``make-call-async``) is required.
"""

from __future__ import annotations

from typing import Literal

Route = Literal["standard", "large"]

LARGE_CAMPAIGN_ROWS = 5000


def route_for(rows: int) -> Route:
    """The upload flow for a file of ``rows`` data rows.

    >>> route_for(4999), route_for(5000)
    ('standard', 'large')
    """
    return "large" if rows >= LARGE_CAMPAIGN_ROWS else "standard"
