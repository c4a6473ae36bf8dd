"""Stage 1-2, io: every internal column's name (``columns``), the records of a text
(``records``), the manifest's typed form (``manifest``), bytes to a table (``decoding``,
``reading``, ``workbook``) and files out, atomically (``writing``). Its public names load their
module on first use (:mod:`csvprep._lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .decoding import Decoded, decode
    from .manifest import FileEntry, Manifest, file_sha256, read_manifest, verified_copy
    from .reading import NotStreamable, Table, read_batches, read_table, sniff_delimiter
    from .records import Records, column_name, split_records
    from .writing import OutputFolder, WrittenFile

__getattr__ = lazy_attributes(
    __name__,
    {
        "Table": "reading",
        "read_table": "reading",
        "read_batches": "reading",
        "sniff_delimiter": "reading",
        "NotStreamable": "reading",
        "Records": "records",
        "split_records": "records",
        "column_name": "records",
        "Decoded": "decoding",
        "decode": "decoding",
        "OutputFolder": "writing",
        "WrittenFile": "writing",
        "Manifest": "manifest",
        "FileEntry": "manifest",
        "read_manifest": "manifest",
        "verified_copy": "manifest",
        "file_sha256": "manifest",
    },
)

__all__ = [
    "Decoded",
    "FileEntry",
    "Manifest",
    "NotStreamable",
    "OutputFolder",
    "Records",
    "Table",
    "WrittenFile",
    "column_name",
    "decode",
    "file_sha256",
    "read_batches",
    "read_manifest",
    "read_table",
    "sniff_delimiter",
    "split_records",
    "verified_copy",
]
