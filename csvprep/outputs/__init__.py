"""Stage 6, outputs: ``split()`` (``splitting``) and ``prepare()`` (``preparing``) write clean
files or parts, rejects, the report and the manifest."""
