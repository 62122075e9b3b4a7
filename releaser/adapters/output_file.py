"""Files the user names (`report -o FILE`) and the kit files releaser edits: written whole or
not at all.

The text goes to a temporary file beside the target, which is then renamed over it: a reader
never sees half a file, and a failure (full disk, an exception while writing, a rename onto a
directory) removes the temporary file. A new file gets the permissions the umask allows (as
the shell's `>` would), a replaced one keeps its own. Each failure is one `UsageError` (exit
2) that names the path and the reason, never a traceback.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

from releaser.domain.errors import UsageError

HINT = "name a file in a directory you can write to"
_NO_NAME = ("", ".", "..")  # `/`, `.`, `x/..`: a directory, whatever is on disk
_REASONS = {
    errno.EISDIR: "it is a directory",
    errno.ENOENT: "its directory does not exist",
    errno.ENOTDIR: "a part of its path is not a directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "the file is too large for this system's limits",
}


def check_target(path: Path) -> None:
    """Refuse at once a target that cannot be written (before minutes of work): a directory,
    a directory that does not exist or cannot be written to. `write_atomically` refuses the
    same way if that changes in between."""
    if _is_directory(path):
        raise refusal(path, errno.EISDIR)
    parent = path.parent
    if not parent.exists():
        raise refusal(path, errno.ENOENT)
    if not parent.is_dir():
        raise refusal(path, errno.ENOTDIR)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise refusal(path, errno.EACCES)


def write_atomically(path: Path, data: str | bytes) -> None:
    """`data` (text as UTF-8) into `path`, whole or not at all (see the module docstring)."""
    if path.name in _NO_NAME:
        raise refusal(path, errno.EISDIR)
    if path.is_symlink():  # write where it points, as `>` would, and keep the link
        path = path.resolve()
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        handle, temp = _create_beside(path)
    except OSError as err:
        raise refusal(path, err.errno) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        mode = _mode_of(path)
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)  # onto a directory: EISDIR, and the temporary file goes
    except BaseException as err:
        temp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise refusal(path, err.errno) from None
        raise


def refusal(path: Path, code: int | None) -> UsageError:
    reason = _REASONS.get(code or 0) or os.strerror(code or errno.EIO).lower()
    return UsageError(f"cannot write {path}: {reason}", hint=HINT)


def _is_directory(path: Path) -> bool:
    return path.name in _NO_NAME or path.is_dir()


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new file next to `path`, open for writing, mode 0666 as far as the umask allows
    (mkstemp's would be 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    for _ in range(100):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def _mode_of(path: Path) -> int | None:
    """The permissions of the file being replaced; None for a new file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None
