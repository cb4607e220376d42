"""The sealed format is pinned by JSON vectors: canonical bytes, chain hashes, checkpoint."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from resguardo.audit.canonical import GENESIS, chain_hash, decode, seal
from resguardo.audit.events import AuditEvent
from resguardo.audit.signing import Checkpoint, CheckpointSigner, verify_signature

VECTORS = json.loads((Path(__file__).parent / "vectors" / "audit_chain_v1.json").read_text())


def _event(e: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        kind=e["kind"], outcome=e["outcome"], actor=e["actor"], workflow=e["workflow"],
        environment=e["environment"], source_ip=e["source_ip"],
        subject_hashes=tuple(e["subject_hashes"]), data=e["data"],
    )


def test_canonical_bytes_and_hashes_match_the_vectors() -> None:
    """Sealing each vector event reproduces its canonical bytes and chain hash exactly."""
    prev = GENESIS
    assert VECTORS["genesis"] == GENESIS.hex()
    for v in VECTORS["events"]:
        canonical = seal(v["seq"], datetime.fromisoformat(v["event"]["at"]), _event(v["event"]))
        assert canonical == v["canonical"].encode()
        assert prev.hex() == v["prev_hash"]
        prev = chain_hash(prev, canonical)
        assert prev.hex() == v["hash"]


def test_sealed_record_keeps_network_not_address() -> None:
    """The source address is reduced to its /24 or /48; the raw address is never sealed."""
    first, _, third = (decode(v["canonical"].encode()) for v in VECTORS["events"])
    assert first["source_net"] == "203.0.113.0/24" and "203.0.113.7" not in VECTORS["events"][0][
        "canonical"]
    assert third["source_net"] == "2001:db8::/48"


def test_checkpoint_vector_signs_and_verifies() -> None:
    """The checkpoint message and Ed25519 signature are reproducible from the fixed key."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    cp = Checkpoint.from_json(VECTORS["checkpoint"])
    assert cp.message().decode() == VECTORS["checkpoint_message"]
    again = CheckpointSigner(key).checkpoint(cp.log_id, cp.seq, cp.hash, cp.at)
    assert again.signature == cp.signature
    assert verify_signature(key.public_key(), cp.signature, cp.message())
    assert not verify_signature(key.public_key(), cp.signature, cp.message() + b"x")
