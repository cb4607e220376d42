"""The API key string format."""

from __future__ import annotations

import pytest

from resguardo.auth.keyformat import format_key, new_key_id, new_secret, parse_key
from resguardo.errors import Unauthenticated


def test_format_then_parse_round_trips() -> None:
    """A formatted key parses back to its environment, id and secret."""
    key_id, secret = new_key_id(), new_secret()
    parsed = parse_key(format_key("test", key_id, secret))
    assert (parsed.environment, parsed.key_id, parsed.secret) == ("test", key_id, secret)


def test_secret_carries_at_least_128_bits() -> None:
    """32 base32 characters are 160 bits; ids and secrets never repeat."""
    secrets_ = {new_secret() for _ in range(200)}
    assert len(secrets_) == 200
    assert all(len(s) == 32 for s in secrets_)


@pytest.mark.parametrize("token", [
    "", "rsg_live_", "sk-abc", "rsg_prod_aaaaaaaaaaaaaaaa_" + "a" * 32,
    "rsg_live_AAAAAAAAAAAAAAAA_" + "a" * 32, "rsg_live_aaaaaaaaaaaaaaaa_" + "a" * 31,
    "rsg_live_aaaaaaaaaaaaaaaa_" + "a" * 32 + "x", "rsg_live_aaaaaaaaaaaaaaaa_" + "1" * 32,
    "x" * 5000,
])
def test_malformed_keys_are_refused_with_a_code(token: str) -> None:
    """Anything not exactly rsg_<env>_<id>_<secret> is malformed_key."""
    with pytest.raises(Unauthenticated) as err:
        parse_key(token)
    assert err.value.code == "malformed_key"


def test_repr_never_shows_the_secret() -> None:
    """A parsed key can be logged without leaking its secret."""
    secret = new_secret()
    assert secret not in repr(parse_key(format_key("live", new_key_id(), secret)))
