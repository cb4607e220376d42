"""Tamper-evident audit trail.

    events     AuditEvent, AuditSink (the contract every area writes to)
    log        DbAuditLog: validated, hash-chained, group-committed appends
    canonical  sealed bytes and the chain hash;  guard  refuses personal values
    hashing    SubjectHasher (keyed subject hashes)
    signing    Ed25519 checkpoints and anchors;  witness  file/webhook export
    verify     verify_log: where the log was modified, cut, padded or shuffled
    query      filters and JSONL/CSV export;  retention  prune behind a signed anchor
    wiring     build_audit(services): log + metrics + anomaly alerts

Nothing is imported here, so importing ``resguardo.audit.events`` stays light.
"""
