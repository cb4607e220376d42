"""A bounded, expiring LRU of unwrapped data keys, so hot subjects skip the KEK round trip."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field

from resguardo.clock import Clock
from resguardo.errors import InputError

__all__ = ["DataKey", "KeyCache", "Owner"]

_KIND = re.compile(r"^[a-z][a-z_]{0,31}$")
_MAX_ID = 255


@dataclass(frozen=True)
class Owner:
    """Whose data a key protects: a data subject, or a collection when there is no subject."""

    kind: str
    id: str

    SUBJECT = "subject"
    COLLECTION = "collection"
    SYSTEM = "system"

    def __post_init__(self) -> None:
        if not _KIND.match(self.kind):
            raise InputError("Owner kinds are short lowercase identifiers.")
        if not self.id or len(self.id) > _MAX_ID:
            raise InputError(f"Owner ids are 1 to {_MAX_ID} characters.")

    @classmethod
    def subject(cls, subject_id: str) -> Owner:
        """The owner for one data subject (pass a pseudonymous id, e.g. a blind index)."""
        return cls(cls.SUBJECT, subject_id)

    @classmethod
    def collection(cls, name: str) -> Owner:
        """The owner for a vault collection whose records have no subject."""
        return cls(cls.COLLECTION, name)

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class DataKey:
    """One unwrapped data key; its bytes never appear in a repr."""

    owner: Owner
    version: int
    key: bytes = field(repr=False)


_CURRENT = 0  # cache slot for "the owner's newest key"; real versions start at 1


class KeyCache:
    """LRU of ``DataKey`` by (owner, version), bounded in size and in age."""

    def __init__(self, clock: Clock, *, max_entries: int = 4096, ttl_seconds: float = 60.0) -> None:
        if max_entries < 0:
            raise InputError("Cache size cannot be negative.")
        self._clock = clock
        self._max = max_entries
        # The TTL bounds how long another replica's shred can go unnoticed here.
        self._ttl = ttl_seconds
        self._items: OrderedDict[tuple[str, str, int], tuple[DataKey, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, owner: Owner, version: int | None = None) -> DataKey | None:
        """The cached key, or None when absent or expired."""
        slot = (owner.kind, owner.id, _CURRENT if version is None else version)
        hit = self._items.get(slot)
        if hit is None:
            return None
        key, loaded = hit
        if self._clock.monotonic() - loaded > self._ttl:
            del self._items[slot]
            return None
        self._items.move_to_end(slot)
        return key

    def put(self, key: DataKey, *, current: bool = False) -> None:
        """Remember ``key`` (also as the owner's newest one when ``current``)."""
        if self._max == 0:
            return
        now = self._clock.monotonic()
        slots = [(key.owner.kind, key.owner.id, key.version)]
        if current:
            slots.append((key.owner.kind, key.owner.id, _CURRENT))
        for slot in slots:
            self._items[slot] = (key, now)
            self._items.move_to_end(slot)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def forget(self, owner: Owner) -> None:
        """Drop every key of ``owner`` (after shredding)."""
        for slot in [s for s in self._items if s[0] == owner.kind and s[1] == owner.id]:
            del self._items[slot]

    def clear(self) -> None:
        """Drop everything."""
        self._items.clear()
