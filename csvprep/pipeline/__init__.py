"""Stage 5, pipeline: ``check()`` and ``validate()`` (``validation``) read in batches, run every
check and add up the report."""
