"""Which files a corpus holds, and how a file's bytes become text.

Corpus files are untrusted: a link may point out of the corpus, a file may be unreadable, huge,
binary or in a legacy encoding. Each of those is a reason to skip or a warning, never a crash.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.errors import MissingPath, UserError

# Legacy single-byte text (Windows "ANSI", then ISO 8859-1, which decodes any byte) is what
# archives hold when they are not UTF-8; the BBC set has a £ sign in cp1252.
FALLBACK_ENCODINGS = ("cp1252", "latin-1")
_BLOCK = 1 << 20

Problem = tuple[str, str]  # (path, reason)
CorpusPaths = Path | Sequence[Path]  # one corpus (a folder or a file), or several


class ArticleError(UserError, ValueError):
    """A file that holds no usable article; the message says why."""


class NotArticles(ArticleError):
    """A file that belongs beside the articles but is not one (a question set): left out quietly."""


@dataclass(frozen=True)
class FileBytes:
    head: bytes  # the first ``limit`` bytes, or all of them
    sha256: str  # of the whole file
    complete: bool  # whether ``head`` is the whole file


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


def corpus_roots(paths: CorpusPaths) -> list[Path]:
    """The corpus roots, resolved, in the order given."""
    return [Path(p).resolve() for p in ([paths] if isinstance(paths, (str, Path)) else paths)]


def base_of(root: Path) -> Path:
    """What a root's file paths are relative to: the root folder, or a file root's folder."""
    return root.parent if root.is_file() else root


def file_key(path: Path, roots: list[Path]) -> str:
    """A corpus file's name in the manifest: its path under its root, led by the root's number
    when there are several roots."""
    for number, root in enumerate(roots):
        base = base_of(root)
        if path == root or path.is_relative_to(base):
            relative = path.relative_to(base).as_posix()
            return relative if len(roots) == 1 else f"{number}:{relative}"
    raise ValueError(f"{path} is in none of the corpus roots")


def corpus_files(root: Path, problems: list[Problem] | None = None) -> list[Path]:
    """Files under ``root``, hidden ones left out; unreadable folders, symlink loops and links
    that lead out of the corpus go to ``problems``."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise MissingPath(f"corpus not found: {root}")
    problems = [] if problems is None else problems
    inside = root.resolve()
    found: list[Path] = []

    def unreadable(error: OSError) -> None:
        path = Path(error.filename or root)
        where = path.relative_to(root).as_posix() if path != root else "."
        problems.append((where, f"cannot read folder: {error.strerror}"))

    seen_folders: set[tuple[int, int]] = set()
    for folder, subfolders, names in os.walk(root, onerror=unreadable, followlinks=True):
        here = Path(folder)
        identity = (here.stat().st_dev, here.stat().st_ino)
        if identity in seen_folders:  # a symlink back up the tree: walking on would never end
            problems.append(
                (here.relative_to(root).as_posix(), "symlink loop: folder already read")
            )
            subfolders[:] = []
            continue
        seen_folders.add(identity)
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in names:
            path = here / name
            if name.startswith("."):
                continue
            relative = path.relative_to(root).as_posix()
            try:
                if path.is_file():
                    if not path.resolve().is_relative_to(inside):
                        # A link to /etc/passwd must not become an article anyone can read.
                        problems.append((relative, "symlink to a file outside the corpus"))
                    else:
                        found.append(path)
                elif path.is_symlink():
                    problems.append((relative, "broken or looping symlink"))
            except OSError as exc:
                problems.append((relative, f"cannot read: {exc.strerror}"))
    return sorted(found)


def read_bytes(path: Path, limit: int | None = None) -> FileBytes:
    """The file's first ``limit`` bytes (all without a limit) and the hash of all of it.

    The rest of a long file is streamed through the hash only, so a 200 MB single-line file
    costs a few MB of memory. A file is read once per build: the manifest keeps this hash.
    """
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            head = handle.read() if limit is None else handle.read(limit)
            digest.update(head)
            complete = limit is None or len(head) < limit
            while block := handle.read(_BLOCK):
                digest.update(block)
                complete = False
    except OSError as exc:
        raise ArticleError(f"cannot read: {exc.strerror}") from None
    return FileBytes(head, digest.hexdigest(), complete)


def sha256_or_none(path: Path) -> str | None:
    """The file's hash, or None when it cannot be read: an unreadable file is known by its size
    and time alone, both when a build skips it and when the freshness check meets it again."""
    try:
        return read_bytes(path, 0).sha256
    except ArticleError:
        return None


def decode(raw: bytes, complete: bool = True) -> DecodedText:
    """UTF-8 (with or without a byte-order mark), else a legacy single-byte encoding.

    A cut file may end inside a UTF-8 character: ``complete=False`` drops those last bytes.
    """
    if b"\x00" in raw[:8192]:
        raise ArticleError("binary file")
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(raw, final=complete)
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = next(e for e in FALLBACK_ENCODINGS if _decodes(raw, e))
        text = raw.decode(encoding)
    if not text.strip():
        raise ArticleError("empty file")
    return DecodedText(text.replace("\r\n", "\n").replace("\r", "\n"), encoding)


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True
