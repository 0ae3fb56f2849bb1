"""Atomic file output: write to a temporary file in the destination folder, then rename.

A reader (or a crash) never sees a half-written destination: it is either the old file, absent,
or complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import DataError

#: Windows refuses to replace or delete a file another program holds open (a viewer, Excel,
#: an antivirus scan of a file just written), which is usually brief.
_WINDOWS = os.name == "nt"
_REPLACE_TRIES = 10


def _replace(src: Path, dst: Path) -> None:
    """``os.replace(src, dst)``; on Windows, retried for about 3 s while ``dst`` is held open
    by another program, then a :class:`DataError` that says so."""
    import time

    for attempt in range(_REPLACE_TRIES if _WINDOWS else 1):
        try:
            os.replace(src, dst)
            return
        except PermissionError as exc:
            if not _WINDOWS:
                raise
            if attempt == _REPLACE_TRIES - 1:
                raise DataError(f"cannot replace {dst} ({exc.strerror or exc}): another program "
                                "has it open (a viewer, a spreadsheet, an antivirus scan) or it "
                                "is read-only; close it and rerun") from None
            time.sleep(min(0.05 * 2 ** attempt, 0.4))  # about 3 s in all


#: The signals that stop a command (Ctrl-C, a scheduler's SIGTERM, a closed terminal, and
#: Windows' Ctrl-Break), by name: those the platform has are used.
STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP for the few renames of a set of files, so that a stop
    cannot land between two of them: while the block runs, their handlers only note the
    signal, which is raised again when the block ends. (Blocking the signals with
    ``pthread_sigmask`` is not enough: the kernel gives a process's signal to any thread not
    blocking it, torch's worker threads included, and Python then runs the handler in the main
    thread all the same.) Main thread only; elsewhere nothing is held."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []

    def note(signum, frame):
        got.append(signum)

    saved = {}
    for name in STOP_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) not in (signal.SIG_IGN, None):
            saved[sig] = signal.signal(sig, note)
    try:
        yield
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous)
        if got:
            signal.raise_signal(got[0])


def _cannot_write(path: Path, exc: OSError) -> DataError:
    return DataError(f"cannot write {path} ({exc.strerror or exc}); choose an --out in a folder "
                     "you can write to")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed to ``path``.

    On any exception (KeyboardInterrupt included) the temporary file is removed and ``path`` is
    untouched. ``suffix`` defaults to ``path``'s own suffix (some writers look at it).
    """
    path = Path(path)
    suffix = path.suffix if suffix is None else suffix
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp.", suffix=suffix, dir=path.parent)
    except OSError as exc:  # a read-only or full filesystem, no permission
        raise _cannot_write(path, exc) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        # mkstemp creates the file private (0600); give it the mode of the file it replaces
        # (a private output stays private under --force), else the one a plain open() gives;
        # not on Windows, where a mode without write permission makes the file read-only
        if not _WINDOWS:
            try:
                mode = stat.S_IMODE(os.stat(path).st_mode) if path.is_file() else 0o666 & ~_umask()
            except OSError:
                mode = 0o666 & ~_umask()
            os.chmod(tmp_path, mode)
        _replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            if _WINDOWS:  # a read-only file cannot be deleted there
                os.chmod(tmp_path, stat.S_IWRITE | stat.S_IREAD)
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def temporary_folder_beside(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a new, empty, hidden folder beside ``path`` (same parent, so same filesystem: its
    files can be renamed into ``path`` atomically); removed with what it still holds on exit,
    an exception included."""
    path = Path(path).resolve()
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp.", dir=path.parent))
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when ``a`` and ``b`` name the same file (same resolved path, or the same inode
    through links); used to refuse writing an output over an input."""
    a, b = Path(a), Path(b)
    return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))


def file_keys(paths) -> dict:
    """``{key: path}``: each path's resolved name and, for an existing file, its device and
    inode (what :func:`same_file` compares), so that one lookup says whether another path
    names the same file as one of ``paths`` (a pairwise ``same_file`` over a folder's outputs
    and inputs took 40 s for 400 wells)."""
    keys: dict = {}
    for p in map(Path, paths):
        keys.setdefault(p.resolve(), p)
        try:
            st = p.stat()
        except OSError:
            continue
        keys.setdefault((st.st_dev, st.st_ino), p)
    return keys


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def output_set() -> Iterator[Callable[[str | os.PathLike], Path]]:
    """Several output files written as one set.

    Call ``claim(dest)`` before writing each ``dest`` with a writer that replaces the file by
    renaming a new one over it (:func:`atomic_path`, as every writer here does; one that wrote
    into the old file in place would write into the backup too).
    If the block raises (an error in a later file, Ctrl-C, SIGTERM through the command line's
    handler), every file claimed is taken back: one that did not exist is removed, one that was
    replaced gets its old content back (a hard link to it is kept in a hidden ``.geoae-undo.*``
    folder beside it until the block ends; a copy where the filesystem has no hard links). So a
    run that fails on its 40th well leaves the output folder as it found it, not with 39 new
    files beside old ones. A file that cannot be put back (held open by another program, on
    Windows) does not stop the others; a warning names it, and its old content stays in the
    ``.geoae-undo.*`` folder, as after a crash of the process itself (power, SIGKILL) or a stop
    that cuts the taking back short. A file this user cannot read is replaced as before, but
    not taken back.
    """
    undo: dict[Path, Path] = {}  # folder -> its hidden backup folder
    # (dest, backup of what was there or None, whether a failure takes it back)
    claimed: list[tuple[Path, Path | None, bool]] = []
    seen: set[str] = set()

    def claim(dest: str | os.PathLike) -> Path:
        dest = Path(dest)
        # the file itself (not a link's target), through its folder's real path
        key = os.path.normcase(os.path.join(os.path.realpath(dest.parent), dest.name))
        if key in seen:
            raise DataError(f"{dest} would be written twice in one run; give the outputs "
                            "different names")
        seen.add(key)
        if not os.path.lexists(dest):  # (a dangling symbolic link is backed up as the link)
            claimed.append((dest, None, True))
            return dest
        parent = dest.parent
        folder = undo.get(parent)
        if folder is None:
            try:
                folder = Path(tempfile.mkdtemp(prefix=".geoae-undo.", dir=parent))
            except OSError as exc:
                raise _cannot_write(dest, exc) from None
            undo[parent] = folder
        backup = folder / f"{len(claimed)}_{dest.name}"
        try:  # (a symbolic link is kept as the link, not as its target's content)
            os.link(dest, backup, follow_symlinks=False)
        except (OSError, NotImplementedError):  # no hard links here (FAT, some shares)
            try:
                shutil.copy2(dest, backup, follow_symlinks=False)
            except PermissionError:  # not readable by this user: replaced as before, not taken back
                claimed.append((dest, None, False))
                return dest
            except OSError as exc:  # a full disk, say: before anything is replaced
                raise _cannot_write(dest, exc) from None
        claimed.append((dest, backup, True))
        return dest

    clean = False  # the backups are removed only once nothing needs them
    try:
        yield claim
        clean = True
    except BaseException:
        with signals_held():  # a second stop cannot cut the taking back short
            kept, left = [], []  # (not put back: old content kept; new files not removed)
            for dest, backup, undoable in reversed(claimed):
                if not undoable:
                    left.append(dest)
                    continue
                try:
                    if backup is None:
                        dest.unlink(missing_ok=True)
                    else:
                        _replace(backup, dest)
                except Exception:  # noqa: BLE001 - a file held open (Windows): the others still
                    (left if backup is None else kept).append(dest)

            def named(files):
                return ", ".join(map(str, files[:5])) + (" ..." if len(files) > 5 else "")

            if kept:
                where = ", ".join(str(f) for f in undo.values())
                warnings.warn(f"could not put back {named(kept)} after the failure; what was "
                              f"there before is kept in {where}", RuntimeWarning, stacklevel=3)
            if left:
                warnings.warn(f"{named(left)} keep what this run wrote (it could not be taken "
                              "back after the failure)", RuntimeWarning, stacklevel=3)
            clean = not kept
        raise
    finally:
        if clean:
            for folder in undo.values():
                shutil.rmtree(folder, ignore_errors=True)
