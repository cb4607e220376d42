"""The configured key provider and encryptor from ``Settings``, shared by app factory and CLI."""

from __future__ import annotations

from collections.abc import Mapping

from resguardo.clock import Clock, SystemClock
from resguardo.crypto.datakeys import DataKeys
from resguardo.crypto.encryptor import Encryptor
from resguardo.crypto.keyfile import FileKeyProvider
from resguardo.crypto.keyprovider import EnvKeyProvider, KeyProvider
from resguardo.errors import ConfigError
from resguardo.settings import Settings
from resguardo.store.db import Database

__all__ = ["encryptor_from_settings", "key_provider_from_settings"]


def key_provider_from_settings(
    settings: Settings, env: Mapping[str, str], *, clock: Clock | None = None
) -> KeyProvider:
    """The env-var KEK when ``settings.kek_env`` names one, else the key file."""
    if settings.kek_env:
        value = env.get(settings.kek_env)
        if not value:
            # Name the variable, never print its value.
            raise ConfigError(f"Environment variable {settings.kek_env} (the KEK) is not set.")
        return EnvKeyProvider(value, what=f"Environment variable {settings.kek_env}")
    return FileKeyProvider(settings.kek_file, clock=clock)


def encryptor_from_settings(
    settings: Settings, env: Mapping[str, str], db: Database, clock: Clock | None = None
) -> Encryptor:
    """An ``Encryptor`` over ``db`` with the configured KEK provider."""
    clock = clock or SystemClock()
    provider = key_provider_from_settings(settings, env, clock=clock)
    return Encryptor(DataKeys(db, provider, clock))
