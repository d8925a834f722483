"""Output folders checked before any work: a clear Chinese sentence instead of a traceback.

An output path that is a file, a folder that cannot be written, or a disk too full for a
small test file stops the run at once (exit 2), before an hour of village reports is lost.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from lib.codes import InputError

MIN_FREE_BYTES = 50 * 1024 * 1024  # a district's briefings and ledgers fit many times in this


def shown(path: Path) -> str:
    """The path as the user typed it (relative stays relative): no folder of this machine."""
    return str(path)


def writable_folder(path: str | Path, role: str = "输出文件夹") -> Path:
    """``path`` as a folder that exists and takes files; InputError with the reason if not."""
    path = Path(path)
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            raise InputError(f"{role}「{shown(path)}」无法使用：「{shown(parent)}」是一个文件，不是文件夹；请换一个文件夹名")
        if parent.exists():
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".写入检查", delete=True):
            pass
    except PermissionError:
        raise InputError(f"{role}「{shown(path)}」没有写入权限：请换一个文件夹，或请管理员开放写入权限") from None
    except OSError as exc:
        raise InputError(disk_message(exc, path, role)) from None
    free = _free_bytes(path)
    if free is not None and free < MIN_FREE_BYTES:
        raise InputError(f"{role}「{shown(path)}」所在磁盘剩余空间不足（{free / 1024 / 1024:.0f} MB）：请清理磁盘或换一个位置")
    return path


def disk_message(exc: OSError, path: Path, role: str = "输出文件夹") -> str:
    """The Chinese sentence for an OSError met while writing into ``path``."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"写入{role}「{shown(path)}」时磁盘已满：已写完的文件完整可用，未写完的没有留下；请清理磁盘后重新运行"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{role}「{shown(path)}」没有写入权限（或为只读）：请换一个文件夹"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"{role}「{shown(path)}」无法使用：路径中有同名文件；请换一个文件夹名"
    return f"无法写入{role}「{shown(path)}」（{os.strerror(exc.errno) if exc.errno else type(exc).__name__}）"


def _free_bytes(path: Path) -> int | None:
    try:
        stats = os.statvfs(path)
    except (OSError, AttributeError):  # not on every platform
        return None
    return stats.f_bavail * stats.f_frsize
