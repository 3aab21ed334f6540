"""Backups of tenant databases before ``deletionPolicy: Delete`` drops them.

A dump counts only once ``pg_restore --list`` has read it back. Every way a backup can
fail (folder missing or read-only, ``pg_dump`` missing or failing, an unreadable file)
is a :class:`BackupFailed`, which the deletion turns into a condition, an Event and a
retry; nothing here raises a bare ``OSError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mosaico_operator.provisioning.dsn import without_password
from mosaico_operator.provisioning.errors import DatabaseUnavailable


class BackupFailed(DatabaseUnavailable):
    """A dump could not be written or read back; waiting (or fixing the folder) helps."""

    def __init__(self, message: str) -> None:
        super().__init__("BackupFailed", message)


@dataclass(frozen=True)
class BackupTools:
    """The PostgreSQL client programs that write dumps and read them back."""

    pg_dump: str = "pg_dump"
    pg_restore: str = "pg_restore"


def check_folder(folder: Path) -> None:
    """The folder exists and a file can be created in it (as this process)."""
    if not folder.is_dir():
        raise BackupFailed(f"the backup folder {folder} does not exist (is its volume mounted?)")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise BackupFailed(f"the backup folder {folder} is not writable: {exc.strerror}") from exc


async def _run(argv: list[str], *, env: dict[str, str] | None = None) -> tuple[int, bytes, bytes]:
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
    except OSError as exc:
        raise BackupFailed(f"cannot run {argv[0]}: {exc.strerror}") from exc
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout, stderr


def _tail(stderr: bytes) -> str:
    return stderr.decode(errors="replace").strip()[-500:]


async def dump_database(
    admin_dsn: str, database: str, target: Path, tools: BackupTools = BackupTools()
) -> Path:
    """``pg_dump --format=custom`` of ``database`` to ``target``, then read back with
    ``pg_restore --list``; returns ``target`` once both succeeded.

    The password reaches ``pg_dump`` in its environment (``PGPASSWORD``), never on its
    command line, which any local user can read in ``/proc``. The dump is written beside
    ``target`` and renamed into place, so a ``target`` that exists is a complete dump.
    """
    await asyncio.to_thread(check_folder, target.parent)
    conninfo, password = without_password(admin_dsn, database)
    partial = target.with_name(f".{target.name}.partial")
    try:
        code, _, stderr = await _run(
            [tools.pg_dump, "--format=custom", "--no-owner", f"--file={partial}",
             f"--dbname={conninfo}"],
            env={**os.environ, **password},
        )  # fmt: skip
        if code != 0:
            raise BackupFailed(f"pg_dump of {database} failed: {_tail(stderr)}")
        code, listing, stderr = await _run([tools.pg_restore, "--list", str(partial)])
        if code != 0 or not listing.strip():
            raise BackupFailed(f"the dump of {database} does not read back: {_tail(stderr)}")
        await asyncio.to_thread(partial.replace, target)
    except OSError as exc:
        raise BackupFailed(f"writing the dump of {database} failed: {exc.strerror}") from exc
    finally:
        await asyncio.to_thread(_discard, partial)
    return target


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
