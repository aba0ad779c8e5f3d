"""Who the client is, for rate limits: its network, never its full address.

Limits apply per /24 (IPv4) or /48 (IPv6): one household or office shares a
budget, and the stored key is not a personal address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the entry our own proxy appended to the configured header."""
    header = settings.NEWSROOM_API_IP_HEADER
    if header:
        # The rightmost entry is the one our proxy wrote; entries to its left
        # come from the client and can be forged.
        last = request.META.get(header, "").split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")


def client_network(request: HttpRequest) -> str:
    """The client's /24 or /48 network, or "unknown" for junk addresses."""
    try:
        ip = ipaddress.ip_address(client_address(request).strip())
    except ValueError:
        return "unknown"
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
