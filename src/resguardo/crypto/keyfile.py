"""``FileKeyProvider``: versioned KEKs in a JSON file readable only by its owner.

File layout (``format`` pins it; keys are base64, retired versions have none)::

    {"format": "resguardo-kek/1",
     "versions": [{"version": 1, "state": "decrypt-only", "created_at": "...", "key": "..."},
                  {"version": 2, "state": "active", "created_at": "...", "key": "..."}]}
"""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

from resguardo.clock import Clock, SystemClock
from resguardo.crypto.envelope import KEY_SIZE
from resguardo.crypto.keyring import KeyEntry, KeyState, LocalKeyring, decode_key
from resguardo.errors import ConfigError, Conflict

__all__ = ["KEK_FILE_FORMAT", "FileKeyProvider"]

KEK_FILE_FORMAT = "resguardo-kek/1"
_MODE = 0o600


def _signature(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _check_private(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"KEK file {path} is not a regular file.")
    # Anyone who can read this file can read every record: refuse rather than warn.
    if os.name == "posix" and st.st_mode & 0o077:
        raise ConfigError(
            f"KEK file {path} is accessible by group or others; run `chmod 600 {path}`."
        )


def _write_private(path: Path, payload: bytes, *, exclusive: bool) -> None:
    """Write ``payload`` to ``path`` with mode 0600, atomically unless ``exclusive``."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    target = path if exclusive else path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    # O_EXCL + mode at creation: the file is never visible with wider permissions.
    fd = os.open(target, flags, _MODE)
    try:
        os.fchmod(fd, _MODE)  # the umask may have narrowed it; never widened, but be exact
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    if not exclusive:
        os.replace(target, path)  # readers see the old file or the new one, never half


class FileKeyProvider(LocalKeyring):
    """KEK versions from a 0600 JSON file; rotate/retire rewrite it atomically."""

    def __init__(self, path: Path | str, *, clock: Clock | None = None) -> None:
        super().__init__(clock)
        self.path = Path(path)
        self._sig: tuple[int, int, int] | None = None
        self._read()

    @classmethod
    def create(cls, path: Path | str, *, clock: Clock | None = None) -> FileKeyProvider:
        """Write a new key file holding one fresh active version; refuses to overwrite."""
        path = Path(path)
        if path.exists():
            raise Conflict(f"KEK file {path} already exists; refusing to overwrite it.")
        path.parent.mkdir(parents=True, exist_ok=True)
        now = (clock or SystemClock()).now()
        entries = {1: KeyEntry(KeyState.ACTIVE, now, os.urandom(KEY_SIZE))}
        try:
            _write_private(path, _dump(entries), exclusive=True)
        except FileExistsError:
            raise Conflict(f"KEK file {path} already exists; refusing to overwrite it.") from None
        return cls(path, clock=clock)

    # -- LocalKeyring hooks ---------------------------------------------------------------

    def _refresh(self) -> None:
        # Another process (`resguardo kek rotate`) may have rewritten the file; a stat per
        # call is cheap and wraps/unwraps are rare thanks to the data-key cache.
        try:
            sig = _signature(os.stat(self.path))
        except FileNotFoundError:
            raise ConfigError(f"KEK file {self.path} has disappeared.") from None
        if sig != self._sig:
            self._read()

    def _persist(self) -> None:
        _write_private(self.path, _dump(self._entries), exclusive=False)
        self._sig = _signature(os.stat(self.path))

    # -- reading --------------------------------------------------------------------------

    def _read(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            raise ConfigError(
                f"KEK file {self.path} not found; run `resguardo init` to create one."
            ) from None
        except OSError:
            raise ConfigError(f"KEK file {self.path} cannot be opened.") from None
        with os.fdopen(fd, "rb") as handle:
            st = os.fstat(handle.fileno())  # check the file we opened, not the path again
            _check_private(self.path, st)
            raw = handle.read()
        self._load(_parse(raw, self.path))
        self._sig = _signature(st)


def _dump(entries: dict[int, KeyEntry]) -> bytes:
    versions: list[dict[str, Any]] = []
    for version, entry in sorted(entries.items()):
        item: dict[str, Any] = {
            "version": version,
            "state": entry.state.value,
            "created_at": entry.created_at.isoformat() if entry.created_at else None,
        }
        if entry.key is not None:
            item["key"] = base64.b64encode(entry.key).decode("ascii")
        versions.append(item)
    return (json.dumps({"format": KEK_FILE_FORMAT, "versions": versions}, indent=2) + "\n").encode()


def _parse(raw: bytes, path: Path) -> dict[int, KeyEntry]:
    bad = ConfigError(f"KEK file {path} is malformed.")
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(doc, dict) or doc.get("format") != KEK_FILE_FORMAT:
        raise ConfigError(f"KEK file {path} has an unknown format.")
    items = doc.get("versions")
    if not isinstance(items, list) or not items:
        raise bad
    entries: dict[int, KeyEntry] = {}
    for item in items:
        try:
            version = item["version"]
            state = KeyState(item["state"])
            created = item.get("created_at")
            created_at = datetime.fromisoformat(created) if created else None
            key_text = item.get("key")
        except (KeyError, TypeError, ValueError):
            raise bad from None
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise bad
        if version in entries:
            raise bad
        key = None
        if key_text is not None:
            key = decode_key(str(key_text), what=f"KEK version {version} in {path}")
        entries[version] = KeyEntry(state, created_at, key)
    return entries
