"""Stage 1-2, io: the internal columns of a read table (``records``), the manifest's typed form
(``manifest``), bytes to a table (``reading``, ``workbook``) and files out, atomically
(``writing``)."""
