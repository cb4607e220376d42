"""TLS: the server refuses anything older than TLS 1.2."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path

import pytest

from resguardo.http.tls import client_context, self_signed, server_context


async def _serve_tls(ctx: ssl.SSLContext) -> tuple[asyncio.Server, int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    port = server.sockets[0].getsockname()[1]
    return server, port


def _handshake(port: int, ctx: ssl.SSLContext) -> str:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        return tls.version() or ""


async def test_tls12_handshake_succeeds_and_tls11_is_refused(tmp_path: Path) -> None:
    """A TLS 1.2+ client connects; a client offering at most TLS 1.1 is refused by the server."""
    cert, key = self_signed(tmp_path)
    server, port = await _serve_tls(server_context(cert, key))
    try:
        modern = client_context(cafile=str(cert))
        version = await asyncio.to_thread(_handshake, port, modern)
        assert version in {"TLSv1.2", "TLSv1.3"}

        legacy = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        legacy.check_hostname = False
        legacy.verify_mode = ssl.CERT_NONE
        # Lower the client's own floor so that the refusal can only come from the server.
        legacy.set_ciphers("DEFAULT:@SECLEVEL=0")
        legacy.minimum_version = ssl.TLSVersion.TLSv1
        legacy.maximum_version = ssl.TLSVersion.TLSv1_1
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            await asyncio.to_thread(_handshake, port, legacy)
    finally:
        server.close()
        await server.wait_closed()


def test_self_signed_key_file_is_private(tmp_path: Path) -> None:
    """The generated private key is readable by its owner only."""
    _cert, key = self_signed(tmp_path)
    assert key.stat().st_mode & 0o077 == 0


def test_outbound_context_verifies_and_requires_tls12() -> None:
    """Outbound clients verify certificates and hostnames and refuse TLS < 1.2."""
    ctx = client_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
