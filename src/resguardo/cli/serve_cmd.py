"""``resguardo init`` and ``resguardo serve``."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from resguardo.cli.state import state_of
from resguardo.settings import Settings

__all__ = ["init", "serve"]


def init(ctx: typer.Context) -> None:
    """Create the data directory, a key-encryption key (0600), the default policy and database."""
    from resguardo.bootstrap import initialise

    state = state_of(ctx)
    done = asyncio.run(initialise(state.settings))
    if state.json_output:
        typer.echo(json.dumps({"data_dir": str(state.settings.data_dir), "done": done}))
        return
    console = Console()
    for line in done:
        console.print(f"[green]✓[/green] {line}")


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="PEM certificate chain.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key.")] = None,
    tls_self_signed: Annotated[
        bool, typer.Option(help="Generate a self-signed certificate in the data directory.")
    ] = False,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Run the gateway, vault API and admin API (initialising the data directory if needed)."""
    from resguardo.bootstrap import initialise, is_initialised
    from resguardo.http.tls import self_signed
    from resguardo.logs import configure_logging

    state = state_of(ctx)
    settings = state.settings
    configure_logging(settings.log_level, json=settings.log_json)
    console = Console(stderr=True)
    if not is_initialised(settings):
        for line in asyncio.run(initialise(settings)):
            console.print(f"[green]✓[/green] {line}")
    else:
        # The embedded default migrates itself; a shared PostgreSQL is migrated by `db upgrade`.
        if settings.effective_database_url.startswith("sqlite"):
            asyncio.run(initialise(settings))
    if tls_self_signed:
        tls_cert, tls_key = self_signed(settings.data_dir / "tls")
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("--tls-cert and --tls-key go together.")
    _print_banner(console, settings, host or settings.host, port or settings.port,
                  tls=tls_cert is not None)
    # Worker processes build their own settings from the environment: hand the CLI's choices on.
    os.environ["RESGUARDO_DATA_DIR"] = str(settings.data_dir)

    config = _Config(
        "resguardo.http.factory:app_from_env",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )
    if tls_cert is not None and tls_key is not None:
        config.ssl_certfile = str(tls_cert)
        config.ssl_keyfile = str(tls_key)
    if workers > 1:
        sock = config.bind_socket()
        uvicorn.supervisors.Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run()


class _Config(uvicorn.Config):
    """uvicorn's config with TLS 1.2 as the floor (it has no option for it); also in workers."""

    def load(self) -> None:
        super().load()
        if self.ssl is not None:
            self.ssl.minimum_version = ssl.TLSVersion.TLSv1_2


def _print_banner(
    console: Console, settings: Settings, host: str, port: int, *, tls: bool
) -> None:
    scheme = "https" if tls else "http"
    console.print(f"[bold]Resguardo[/bold] on {scheme}://{host}:{port}  "
                  f"(data: {settings.data_dir}, policy: {settings.policy_path})")
    console.print(f"  OpenAI-compatible base URL: {scheme}://{host}:{port}/v1")
    console.print("  A key for an automation:   resguardo keys create --workflow demo --env live")
    console.print(f"  Admin console:             {scheme}://{host}:{port}/console")
