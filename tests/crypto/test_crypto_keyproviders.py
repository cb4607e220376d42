"""Key providers: the key file's permissions and life cycle, the env key, wrap/unwrap."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from resguardo.crypto import (
    EnvKeyProvider,
    FileKeyProvider,
    KeyProvider,
    KeyState,
    MemoryKeyProvider,
    WrappedKey,
    key_provider_from_settings,
)
from resguardo.errors import ConfigError, Conflict, InvalidCiphertext, KeyUnavailable, NotFound
from resguardo.settings import Settings
from resguardo.testing import FrozenClock

VECTORS = json.loads((Path(__file__).parent / "vectors" / "kek_wrap.json").read_text("utf-8"))
AAD = b"owner:subject:1"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_writes_a_0600_file_with_one_active_version(tmp_path: Path) -> None:
    """`init` gets a key file only its owner can read, even under a permissive umask."""
    old = os.umask(0o000)
    try:
        provider = FileKeyProvider.create(tmp_path / "sub" / "kek.json", clock=FrozenClock())
    finally:
        os.umask(old)
    assert _mode(provider.path) == 0o600
    assert provider.current_version == 1
    doc = json.loads(provider.path.read_text())
    assert doc["format"] == "resguardo-kek/1"
    assert len(base64.b64decode(doc["versions"][0]["key"])) == 32


def test_create_refuses_to_overwrite_an_existing_file(tmp_path: Path) -> None:
    """Overwriting a KEK file would make every record unreadable: refused."""
    path = tmp_path / "kek.json"
    FileKeyProvider.create(path)
    before = path.read_bytes()
    with pytest.raises(Conflict):
        FileKeyProvider.create(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666])
def test_loading_refuses_a_file_readable_by_group_or_others(tmp_path: Path, mode: int) -> None:
    """A KEK file others can read is refused, and the error names the fix, not the key."""
    path = tmp_path / "kek.json"
    FileKeyProvider.create(path)
    key = json.loads(path.read_text())["versions"][0]["key"]
    path.chmod(mode)
    with pytest.raises(ConfigError) as caught:
        FileKeyProvider(path)
    assert "chmod 600" in str(caught.value)
    assert key not in str(caught.value)


def test_missing_or_malformed_files_are_config_errors(tmp_path: Path) -> None:
    """A missing file points at `init`; a corrupt one says so without echoing content."""
    with pytest.raises(ConfigError, match="resguardo init"):
        FileKeyProvider(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "resguardo-kek/1", "versions": [{"version": 1, "state": "active"}]}')
    bad.chmod(0o600)
    with pytest.raises(ConfigError):
        FileKeyProvider(bad)


async def test_rotate_makes_a_new_current_version_and_keeps_old_ones_decrypting(
    tmp_path: Path,
) -> None:
    """After rotation new wraps use v2, v1 blobs still unwrap, and the file stays 0600."""
    provider = FileKeyProvider.create(tmp_path / "kek.json")
    old = await provider.wrap(b"k" * 32, AAD)
    new_version = await provider.rotate()
    assert new_version.version == provider.current_version == 2
    assert [(v.version, v.state) for v in await provider.versions()] == [
        (1, KeyState.DECRYPT_ONLY),
        (2, KeyState.ACTIVE),
    ]
    assert (await provider.wrap(b"k" * 32, AAD)).version == 2
    assert await provider.unwrap(old, AAD) == b"k" * 32
    assert _mode(provider.path) == 0o600
    assert FileKeyProvider(provider.path).current_version == 2  # persisted


async def test_retire_destroys_the_key_material_in_the_file(tmp_path: Path) -> None:
    """A retired version loses its key bytes for good; its blobs are KeyUnavailable."""
    provider = FileKeyProvider.create(tmp_path / "kek.json")
    old = await provider.wrap(b"k" * 32, AAD)
    v1_key = json.loads(provider.path.read_text())["versions"][0]["key"]
    await provider.rotate()
    retired = await provider.retire(1)
    assert retired.state is KeyState.RETIRED
    assert v1_key not in provider.path.read_text()
    with pytest.raises(KeyUnavailable):
        await provider.unwrap(old, AAD)
    with pytest.raises(KeyUnavailable):
        await FileKeyProvider(provider.path).unwrap(old, AAD)


async def test_retire_refuses_the_active_and_unknown_versions(tmp_path: Path) -> None:
    """The active version cannot be retired (nothing could wrap); unknown ones are not found."""
    provider = FileKeyProvider.create(tmp_path / "kek.json")
    with pytest.raises(Conflict):
        await provider.retire(1)
    with pytest.raises(NotFound):
        await provider.retire(9)


async def test_a_running_provider_sees_a_rotation_made_by_another_process(tmp_path: Path) -> None:
    """The server's provider reloads the file when `kek rotate` (another process) rewrote it."""
    server = FileKeyProvider.create(tmp_path / "kek.json")
    cli = FileKeyProvider(server.path)
    await cli.rotate()
    blob = await cli.wrap(b"d" * 32, AAD)
    assert await server.unwrap(blob, AAD) == b"d" * 32
    assert server.current_version == 2


async def test_unwrap_binds_the_aad_and_the_version() -> None:
    """Another AAD, a relabelled version or a flipped bit are all InvalidCiphertext or missing."""
    provider = MemoryKeyProvider([os.urandom(32), os.urandom(32)])
    wrapped = await provider.wrap(b"d" * 32, AAD)
    with pytest.raises(InvalidCiphertext):
        await provider.unwrap(wrapped, b"owner:subject:2")
    with pytest.raises(InvalidCiphertext):
        await provider.unwrap(WrappedKey(1, wrapped.blob), AAD)
    flipped = bytes([wrapped.blob[0]]) + bytes([wrapped.blob[1] ^ 1]) + wrapped.blob[2:]
    with pytest.raises(InvalidCiphertext):
        await provider.unwrap(WrappedKey(wrapped.version, flipped), AAD)
    with pytest.raises(KeyUnavailable):
        await provider.unwrap(WrappedKey(7, wrapped.blob), AAD)


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["description"])
async def test_kek_wrap_vectors_unwrap_to_the_recorded_data_key(vector: dict[str, Any]) -> None:
    """The local wrap format is pinned: recorded blobs unwrap under the recorded KEK."""
    from resguardo.crypto import Owner
    from resguardo.crypto.datakeys import dek_aad

    provider = MemoryKeyProvider([bytes.fromhex(vector["kek"])])
    aad = dek_aad(Owner(vector["owner_kind"], vector["owner_id"]), vector["key_version"])
    assert aad.hex() == vector["dek_aad"]
    wrapped = WrappedKey(vector["kek_version"], bytes.fromhex(vector["wrapped"]))
    assert (await provider.unwrap(wrapped, aad)).hex() == vector["dek"]


async def test_env_provider_holds_one_version_and_cannot_rotate() -> None:
    """The env KEK is version 1, wraps and unwraps, and refuses rotate/retire."""
    provider = EnvKeyProvider(base64.b64encode(os.urandom(32)).decode())
    assert provider.current_version == 1
    wrapped = await provider.wrap(b"d" * 32, AAD)
    assert await provider.unwrap(wrapped, AAD) == b"d" * 32
    with pytest.raises(ConfigError):
        await provider.rotate()
    with pytest.raises(ConfigError):
        await provider.retire(1)


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode(), ""])
def test_env_provider_rejects_bad_values_without_echoing_them(value: str) -> None:
    """A malformed env key is a ConfigError whose message never contains the value."""
    with pytest.raises(ConfigError) as caught:
        EnvKeyProvider(value)
    assert value == "" or value not in str(caught.value)


def test_factory_prefers_the_env_var_then_the_file(tmp_path: Path) -> None:
    """settings.kek_env picks the env provider; otherwise the key file is used."""
    key = base64.b64encode(os.urandom(32)).decode()
    env_settings = Settings(kek_env="MY_KEK", kek_file=tmp_path / "none.json")
    assert isinstance(key_provider_from_settings(env_settings, {"MY_KEK": key}), EnvKeyProvider)
    with pytest.raises(ConfigError, match="MY_KEK"):
        key_provider_from_settings(env_settings, {})
    FileKeyProvider.create(tmp_path / "kek.json")
    file_settings = Settings(kek_file=tmp_path / "kek.json")
    provider = key_provider_from_settings(file_settings, {"MY_KEK": key})
    assert isinstance(provider, FileKeyProvider)
    assert isinstance(provider, KeyProvider)
