"""The client's IP, parsed once for what is stored, logged and rate-limited.

Behind trusted proxies ``remote_addr`` comes from ``X-Forwarded-For``, so it can be any text.
Only an IP that parses is kept, in its canonical form: it always fits the 45-character
columns, and an IPv6 zone id (meaningless for a remote client) is dropped.
"""

import ipaddress

from flask import request

# An IPv6 host gets a whole /64 from its network, and can rotate through it at will.
IPV6_LIMIT_PREFIX = 64
# The per-IP limits' key for every IP that does not parse: one bucket for all of them.
UNPARSED_KEY = "unparsed"


def parse_ip(value):
    """``value`` as an ``ipaddress`` address without a zone id (IPv4-mapped IPv6 as IPv4), or
    None when it is no IP."""
    try:
        ip = ipaddress.ip_address(value)
    except (TypeError, ValueError):
        return None
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        return ipaddress.IPv6Address(int(ip))
    return ip


def client_ip() -> str | None:
    """This request's client IP in canonical form, or None when it does not parse."""
    ip = parse_ip(request.remote_addr)
    return None if ip is None else str(ip)


def rate_limit_key() -> str:
    """The per-IP limits' key: an IPv4 address, or the /64 network of an IPv6 one."""
    ip = parse_ip(request.remote_addr)
    if ip is None:
        return UNPARSED_KEY
    if ip.version == 6:
        return str(ipaddress.ip_network((ip, IPV6_LIMIT_PREFIX), strict=False))
    return str(ip)
