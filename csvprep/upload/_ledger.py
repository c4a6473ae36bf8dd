"""The ledger beside the uploaded files: each step the platform accepted, with its ids, so that
a run resumes after the last finished step and never sends one twice. A request whose answer
was lost after it was sent is recorded *uncertain*."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..io.manifest import read_json
from ..io.writing import atomic_write, remove_leftovers, writing

LEDGER = "upload-ledger.json"


class Ledger:
    """What the platform accepted, step by step, per file; written after every step."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LEDGER
        try:
            self.data: dict[str, Any] = read_json(self.path)
            _check_ledger(self.data)
        except FileNotFoundError:
            self.data = {"version": 1, "files": {}}
        except (OSError, ValueError) as e:
            raise UsageError(f"{self.path}: unreadable ledger ({e}); move it aside") from None

    def steps(self, name: str, sha256: str) -> dict[str, Any]:
        entry = self.data["files"].get(name)
        if entry is None or entry.get("sha256") != sha256:
            entry = {"sha256": sha256, "steps": {}}
            self.data["files"][name] = entry
        steps: dict[str, Any] = entry["steps"]
        return steps

    def known_ids(self) -> set[str]:
        """Every ``list_id`` and ``bulk_list_id`` the ledger holds, of any file: lists this
        folder made, so never another file's lost one."""
        return {
            str(state[key])
            for entry in self.data["files"].values()
            for state in entry["steps"].values()
            for key in ("list_id", "bulk_list_id")
            if state.get(key) is not None
        }

    def record(self, name: str, sha256: str, step: str, state: str, **info: Any) -> None:
        steps = self.steps(name, sha256)
        steps[step] = {
            "state": state,
            **info,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        self.save()

    def save(self) -> None:
        """Write the ledger (a real run writes it once before any request, so a folder it
        cannot write stops the run before anything is sent, not after)."""
        text = json.dumps(self.data, indent=2, ensure_ascii=False) + "\n"
        with writing(self.path):
            remove_leftovers(self.folder)
            atomic_write(self.path, text.encode("utf-8"))


def _check_ledger(data: Any) -> None:
    """A ``ValueError`` unless ``data`` has the ledger's shape, ids where a done step needs one."""
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        raise ValueError("no 'files' object")
    for name, entry in files.items():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("steps"), dict)
        ):
            raise ValueError(f"entry {name!r} is not a file's steps")
        for step, state in entry["steps"].items():
            if not isinstance(state, dict) or state.get("state") not in ("done", "uncertain"):
                raise ValueError(f"{name!r} step {step!r} has no state")
            need = {"save": "list_id", "upload": "bulk_list_id"}.get(step)
            if state["state"] == "done" and need and not isinstance(state.get(need), str):
                raise ValueError(f"{name!r} step {step!r} is done but has no {need}")
