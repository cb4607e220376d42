"""Process settings from the environment, read once by the CLI or app factory and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from resguardo.errors import ConfigError

__all__ = ["Settings"]

_PREFIX = "RESGUARDO_"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(_PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{_PREFIX}{name} must be an integer.") from None


@dataclass(frozen=True)
class Settings:
    """Everything the process needs that is not policy. Secrets are references, never values."""

    data_dir: Path = Path("./data")
    database_url: str = ""
    policy_path: Path = Path("./data/resguardo.yaml")
    # Key-encryption keys: a file holding versions (default) or an env var with one key.
    kek_file: Path = Path("./data/kek.json")
    kek_env: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 4 * 1024 * 1024
    log_level: str = "info"
    log_json: bool = True
    redis_url: str | None = None
    environment_default: str = "live"
    # When set, GET /metrics requires "Authorization: Bearer <token>" (Prometheus bearer_token).
    metrics_token: str | None = field(default=None, repr=False)
    extra: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def effective_database_url(self) -> str:
        """The URL the store uses: explicit, or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'resguardo.db').resolve()}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from ``RESGUARDO_*`` variables; explicit overrides win."""
        env = os.environ if env is None else env
        data_dir = Path(env.get(_PREFIX + "DATA_DIR", "./data"))
        settings = cls(
            data_dir=data_dir,
            database_url=env.get(_PREFIX + "DATABASE_URL", ""),
            policy_path=Path(env.get(_PREFIX + "POLICY", str(data_dir / "resguardo.yaml"))),
            kek_file=Path(env.get(_PREFIX + "KEK_FILE", str(data_dir / "kek.json"))),
            kek_env=env.get(_PREFIX + "KEK_ENV") or None,
            host=env.get(_PREFIX + "HOST", "127.0.0.1"),
            port=_int(env, "PORT", 8000),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 4 * 1024 * 1024),
            log_level=env.get(_PREFIX + "LOG_LEVEL", "info").lower(),
            log_json=env.get(_PREFIX + "LOG_FORMAT", "json").lower() != "console",
            redis_url=env.get(_PREFIX + "REDIS_URL") or None,
            metrics_token=env.get(_PREFIX + "METRICS_TOKEN") or None,
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **clean) if clean else settings  # type: ignore[arg-type]

    def __repr__(self) -> str:
        # The database URL may embed a password: never print it.
        return (
            f"Settings(data_dir={str(self.data_dir)!r}, database={self._db_kind()}, "
            f"policy_path={str(self.policy_path)!r}, host={self.host!r}, port={self.port})"
        )

    def _db_kind(self) -> str:
        url = self.effective_database_url
        return url.split(":", 1)[0]
