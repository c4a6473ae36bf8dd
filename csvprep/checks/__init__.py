"""Stage 4, checks: the header plan (``headers``), do-not-call lists (``suppression``), calling
hours (``calling_hours``) and column rules (``rules``)."""
