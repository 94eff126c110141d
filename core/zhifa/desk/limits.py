"""Rate limits of the desk: a token bucket per client address, kept in the server process (each
``zhifa serve`` process counts on its own, so behind a proxy with N processes a client gets up
to N times a bucket; the proxy can limit across them).

The address is the one the connection came from, or the one a trusted proxy gives (uvicorn's
``--forwarded-allow-ips``), never a header the client sends itself; an IPv6 address counts as
its /64 network."""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass

from zhifa.desk.web import Page


@dataclass(frozen=True)
class Bucket:
    """A token bucket per client address: ``capacity`` requests at once, one more every
    ``refill_seconds``."""

    name: str
    capacity: int
    refill_seconds: float


_LOCK = threading.Lock()


def client_key(host: str) -> str:
    """Whose bucket a client address counts against: an IPv4 address itself, an IPv6 address its
    /64 network (one subscriber is given a whole /64, so each of its addresses is the same
    client)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return (
        str(address.ipv4_mapped or address)
        if isinstance(address, ipaddress.IPv6Address)
        else str(address)
    )


def take(p: Page, bucket: Bucket) -> float:
    """Take one token of ``bucket`` for this request's address (the address the connection came
    from, or the one a trusted proxy gives — never a header the client sends itself; see
    :func:`client_key`): 0 when allowed, else the seconds until the next token (nothing
    taken)."""
    address = client_key(p.request.client.host if p.request.client else "unknown")
    now = p.engine.clock.now().timestamp()
    with _LOCK:
        buckets: dict[tuple[str, str], tuple[float, float]] = p.desk.extras.setdefault(
            "public.buckets", {}
        )
        tokens, last = buckets.get((bucket.name, address), (float(bucket.capacity), now))
        tokens = min(float(bucket.capacity), tokens + (now - last) / bucket.refill_seconds)
        if tokens < 1.0:
            buckets[(bucket.name, address)] = (tokens, now)
            return (1.0 - tokens) * bucket.refill_seconds
        buckets[(bucket.name, address)] = (tokens - 1.0, now)
        return 0.0
