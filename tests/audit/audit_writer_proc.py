"""Child process for the concurrent-writer test: append N events to the shared log, then exit."""

from __future__ import annotations

import asyncio
import sys

from resguardo.audit.events import AuditEvent
from resguardo.audit.log import DbAuditLog
from resguardo.clock import SystemClock
from resguardo.store.db import Database


async def main(url: str, schema: str, writer: str, count: int) -> None:
    db = Database(url, schema=schema or None)
    log = DbAuditLog(db, SystemClock(), max_batch=25)
    try:
        # Several bursts so batches from different processes interleave.
        for burst in range(4):
            await asyncio.gather(
                *(
                    log.record(AuditEvent(kind="test.write", outcome="success", actor=writer,
                                          data={"burst": burst, "i": i}))
                    for i in range(count // 4)
                )
            )
    finally:
        await log.aclose()
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
