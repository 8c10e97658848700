"""Which build of an index is live, what its manifest says, and whether it is still current.

Layout of an index folder ``DIR``::

    CURRENT            name of the live build (replaced atomically)
    builds/<name>/     manifest.json, the article and chunk tables (qa.retrieval.store),
                       chunk_keys.npy, bm25.npz, bm25_vocab.json, dense.faiss
    build.lock         held by the build in progress (qa.retrieval.build)

The manifest keeps what the build was made from (corpus roots, each file's size, time and hash,
the index settings) and each index file's size and sha256.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import UserError
from qa.files import sha256_of
from qa.ingest.files import (
    CorpusPaths,
    corpus_files,
    corpus_roots,
    file_key,
    sha256_or_none,
)

FORMAT_VERSION = 3  # 3: memory-mapped tables, text hashes for incremental builds
POINTER = "CURRENT"
NO_INDEX = "no index yet"
CALIBRATION_FILE = "calibration.json"  # settings fitted on this build (qa eval --calibrate)


class IndexProblem(UserError):
    """The index cannot be used as it is; the message names the file and says why."""


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


def file_states(
    files: list[Path], roots: list[Path], known: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Size, modification time and sha256 of each corpus file by its key (``file_key``); a file
    whose size and time match ``known`` keeps its known hash instead of being read again. A file
    the build could not read is tried again: a change of permissions changes neither."""
    states: dict[str, Any] = {}
    for path in files:
        key, stat = file_key(path, roots), path.stat()
        before = (known or {}).get(key)
        unchanged = (
            isinstance(before, dict)
            and before.get("sha256") is not None
            and (before.get("bytes"), before.get("mtime_ns")) == (stat.st_size, stat.st_mtime_ns)
        )
        if unchanged:
            states[key] = before
        else:
            states[key] = {
                "bytes": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "sha256": sha256_or_none(path),
            }
    return states


def manifest_roots(manifest: dict[str, Any]) -> list[Path]:
    """The corpus roots a build was made from (one is stored as a string, several as a list)."""
    corpus = manifest["corpus"]
    return [Path(p) for p in ([corpus] if isinstance(corpus, str) else corpus)]


def indexed_corpus(root: Path) -> list[Path] | None:
    """The corpus roots the live build was made from; None when there is no usable index."""
    try:
        return manifest_roots(read_manifest(root))
    except IndexProblem:
        return None


def _hashes(states: dict[str, Any]) -> dict[str, Any]:
    """Content by path: a file touched without a change is still current."""
    return {
        path: state.get("sha256") if isinstance(state, dict) else None
        for path, state in states.items()
    }


def current_build(root: Path) -> Path:
    pointer = Path(root) / POINTER
    if not pointer.exists():
        raise IndexMissing(f"no index in {root} (run `qa index`)")
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"index file {pointer} is unreadable: {exc}") from None
    if not name or "/" in name or name.startswith("."):
        raise IndexCorrupt(f"index file {pointer} does not name a build")
    build = Path(root) / "builds" / name
    if not (build / "manifest.json").exists():
        raise IndexCorrupt(f"index file {build / 'manifest.json'} is missing")
    return build


def read_manifest(root: Path) -> dict[str, Any]:
    return manifest_of(current_build(root))


def manifest_of(build: Path) -> dict[str, Any]:
    path = build / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"index file {path} is corrupt: {exc}") from None
    required = ("format", "corpus", "settings", "corpus_files")
    if not isinstance(manifest, dict) or any(key not in manifest for key in required):
        raise IndexCorrupt(f"index file {path} is not a manifest (needs {', '.join(required)})")
    if not isinstance(manifest["corpus_files"], dict) or not isinstance(manifest["settings"], dict):
        raise IndexCorrupt(
            f"index file {path} is not a manifest (corpus_files and settings must be objects)"
        )
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexCorrupt(
            f"index file {path} has format {manifest.get('format')}, expected {FORMAT_VERSION}"
        )
    return manifest


def verify(build: Path, manifest: dict[str, Any], names: Any) -> None:
    for name in names:
        path, expected = build / name, manifest.get("files", {}).get(name)
        if not path.exists() or expected is None:
            raise IndexCorrupt(f"index file {path} is missing")
        if path.stat().st_size != expected["bytes"] or sha256_of(path) != expected["sha256"]:
            raise IndexCorrupt(f"index file {path} is corrupt or truncated (checksum mismatch)")


def staleness(root: Path, settings: Settings, corpus_path: CorpusPaths) -> str | None:
    """Why the index must be rebuilt for this corpus and these settings, or None if it is
    current."""
    try:
        manifest = read_manifest(root)
    except IndexMissing:
        return NO_INDEX
    except IndexCorrupt as exc:
        return str(exc)
    roots = corpus_roots(corpus_path)
    if manifest_roots(manifest) != roots:
        built = ", ".join(map(str, manifest_roots(manifest)))
        return f"corpus changed from {built} to {', '.join(map(str, roots))}"
    if manifest["settings"] != settings.index_signature():
        return "index settings changed"
    known = manifest["corpus_files"]
    files = [f for r in roots for f in corpus_files(r)]
    if _hashes(file_states(files, roots, known)) != _hashes(known):
        return "corpus files changed"
    return None


def calibrated_settings(index_dir: Path, reader: str) -> dict[str, Any]:
    """Settings a calibration with this reader stored in the live build (empty when there is
    none, it is unreadable, or it was fitted for another reader's scores)."""
    try:
        data = json.loads(
            (current_build(Path(index_dir)) / CALIBRATION_FILE).read_text(encoding="utf-8")
        )
        # Calibrations from before the cascade and the accurate reader were the fast reader's.
        if data.get("reader", "fast") != reader:
            return {}
        return {"no_answer_threshold": float(data["no_answer_threshold"])}
    except (IndexProblem, OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
