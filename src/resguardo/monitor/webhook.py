"""Outbound JSON webhooks (alerts, checkpoint witnesses) through an injectable transport."""

from __future__ import annotations

from typing import Any, Protocol

import aiohttp
import orjson

from resguardo.errors import UpstreamError

__all__ = ["AiohttpWebhookTransport", "WebhookTransport"]


class WebhookTransport(Protocol):
    """POSTs a JSON body; raises UpstreamError when the receiver does not accept it."""

    async def post_json(self, url: str, body: Any) -> None: ...


class AiohttpWebhookTransport:
    """The real transport: one POST with a timeout, success only on a 2xx answer."""

    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def post_json(self, url: str, body: Any) -> None:
        """POST ``body`` as JSON to ``url``."""
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as session, session.post(
                url, data=orjson.dumps(body), headers={"content-type": "application/json"}
            ) as resp:
                if not 200 <= resp.status < 300:
                    raise UpstreamError("The webhook refused the message.", status=resp.status)
        except (aiohttp.ClientError, TimeoutError):
            # Never echo the URL: webhook URLs (Slack, Teams) embed their secret.
            raise UpstreamError("The webhook could not be reached.") from None
