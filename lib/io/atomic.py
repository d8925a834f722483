"""Atomic file writes: a reader sees the old file or the whole new one, never half of one.

A report run can be interrupted (Ctrl-C, a full disk, a killed worker) while a leader's
browser or Excel has the previous output open; so every output is written to a temporary
file in the same folder (same disk, so ``os.replace`` is an atomic rename) and renamed over
the target only when complete. On failure the temporary file is removed and the old target
is left untouched.

    with atomic_path(out / "households.csv") as tmp:
        frame.write_csv(tmp)            # any writer that takes a path
    write_text(out / "index.html", html)
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


TEMPORARY_GLOB = ".*.tmp*"  # what temporary_sibling names look like (a stopped run's leftovers)


def temporary_sibling(path: str | Path) -> Path:
    """A fresh, not yet existing name next to ``path`` that keeps its suffix.

    The suffix is kept because some writers choose the format from it; the leading dot
    hides the file from a casual folder listing while it is being written.
    """
    path = Path(path)
    token = f"{os.getpid()}.{secrets.token_hex(4)}"
    return path.with_name(f".{path.stem}.{token}.tmp{path.suffix}")


def _fsync(path: Path) -> None:
    # The rename must not reach the disk before the data does (power loss on a USB stick).
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one rename.

    The parent folder is created if needed. If the block raises, the temporary file is
    removed and the exception propagates; ``path`` keeps its previous content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"写入 {path.name} 时临时文件未生成：{tmp}")
        _fsync(tmp)
        os.replace(tmp, path)
    finally:
        # After a successful replace the name is gone; after a failure it is litter.
        tmp.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "xb") as f:
        f.write(data)
    return path


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8 by default); returns ``path``."""
    return write_bytes(path, text.encode(encoding))


def replace_into(src: str | Path, path: str | Path) -> Path:
    """Move a finished file written elsewhere in the same folder onto ``path`` atomically."""
    src, path = Path(src), Path(path)
    _fsync(src)
    os.replace(src, path)
    return path
