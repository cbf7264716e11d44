"""Everything the gateway writes under `var/` is readable by its owner only.

var/ holds the logs (customers' sender ids, masked contacts), the SQLite database (every
complaint in full), the generated tokens and the customers' evidence files: directories are
0700 and files 0600. Three layers: the processes we start run with umask 077 (so whatever
they create, including SQLite's -wal and -shm files and Rasa's tracker store, is
owner-only), files we create ourselves are created with their mode, and `secure_tree`
tightens what an older version or another tool left looser at every start.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: Path) -> Path:
    """Creates `path` (and its missing parents) as owner-only directories."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def create_private_file(path: Path) -> None:
    """Creates an empty owner-only file at `path` unless it exists (then tightens it)."""
    make_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)


def open_private(path: Path, mode: str = "ab") -> IO[bytes]:
    """Opens `path` for appending or writing bytes, creating it owner-only."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    make_private_dir(path.parent)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, mode)


def write_private(path: Path, data: bytes) -> None:
    """Writes `data` to a new owner-only file at `path`."""
    with open_private(path, "wb") as fh:
        fh.write(data)


def secure_tree(root: Path) -> int:
    """Makes `root` and everything under it owner-only (symlinks are left alone); returns
    how many entries had to be tightened. A missing root is created."""
    existed = root.is_dir() and stat.S_IMODE(root.stat().st_mode) != DIR_MODE
    make_private_dir(root)
    tightened = int(existed)
    for directory, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(directory) / name
            try:
                info = path.lstat()
            except OSError:
                continue  # gone meanwhile
            if stat.S_ISLNK(info.st_mode):
                continue
            wanted = DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
            if stat.S_IMODE(info.st_mode) != wanted:
                try:
                    os.chmod(path, wanted)
                    tightened += 1
                except OSError as exc:  # not ours (another user's file): say so, carry on
                    logger.warning("could not make %s owner-only: %s", path, exc)
    if tightened:
        logger.info("made %d entries under %s owner-only", tightened, root)
    return tightened
