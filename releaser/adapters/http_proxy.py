"""Which proxy a request goes through: HTTP(S)_PROXY / ALL_PROXY / NO_PROXY as requests reads
them (names, `.suffixes`, `host:port`, `*` and networks such as 10.0.0.0/8), from the
proxies `releaser.settings` read."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit


def proxy_for(url: str, proxies: Mapping[str, str]) -> str | None:
    """The proxy for `url` from HTTP(S)_PROXY / ALL_PROXY, unless NO_PROXY bypasses it."""
    parts = urlsplit(url)
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or _bypassed(parts.hostname or "", parts.port, proxies.get("no", "")):
        return None
    return proxy


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """NO_PROXY as requests reads it: `*`, names, `.suffixes`, `host:port` and networks."""
    host = host.lower()
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if entry_port and str(port) != entry_port:
            continue
        name = name.lstrip(".")
        if host == name or host.endswith("." + name):
            return True
        if address is not None and _in_network(address, name):
            return True
    return False


def _has_port(entry: str) -> bool:
    head, sep, tail = entry.rpartition(":")
    return bool(sep) and tail.isdigit() and ":" not in head


def _in_network(address: ipaddress.IPv4Address | ipaddress.IPv6Address, entry: str) -> bool:
    try:
        return address in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
