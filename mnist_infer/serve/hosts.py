"""Which ``Host`` (and ``Origin``) a request may name: the defence against DNS rebinding.

A page on another site can make a browser send requests to 127.0.0.1 by pointing its own domain name at that
address; those requests still carry the attacker's name in ``Host``. So a request is answered only when it names
the server as the server knows itself: ``localhost``, a loopback address, the address it listens on, the name it
was told to listen on, and — when it listens on every interface — this machine's name and any IP address (an
address literal cannot be rebound).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

WILDCARDS = frozenset({"0.0.0.0", "::", ""})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class HostPolicy:
    """Decides whether a ``Host`` or ``Origin`` header names this server."""

    def __init__(self, host: str, bound_address: str) -> None:
        self.listens_everywhere = host in WILDCARDS
        names = set(LOOPBACK_NAMES) | {_normalise(host), _normalise(bound_address)}
        if self.listens_everywhere:
            names.add(_normalise(socket.gethostname()))
        self.names = frozenset(names - {""})

    def allows_name(self, name: str) -> bool:
        name = _normalise(name)
        if name in self.names:
            return True
        return self.listens_everywhere and _is_ip(name)

    def allows_host_header(self, header: str | None) -> bool:
        """``Host: name[:port]`` naming this server (a request without one is refused)."""
        if not header:
            return False
        name = header.strip()
        if name.startswith("["):  # [v6]:port
            name = name[1 : name.find("]")] if "]" in name else ""
        elif name.count(":") == 1:
            name = name.split(":", 1)[0]
        return self.allows_name(name)

    def allows_origin(self, header: str | None, host: str | None = None) -> bool:
        """No ``Origin`` (a plain request, or a same-origin GET), or this server's own: ``http``, a name of this
        server, and the port the request was sent to (``host``'s, the Host header; 80 when it names none)."""
        if header is None:
            return True
        try:
            origin, target = urlsplit(header.strip()), urlsplit(f"//{host or ''}")
            same_port = (origin.port or 80) == (target.port or 80)
        except ValueError:  # a port that is no number, or out of range
            return False
        return (
            origin.scheme == "http" and origin.hostname is not None and self.allows_name(origin.hostname) and same_port
        )


def lan_address() -> str | None:
    """This machine's address on its network (what a phone on the same Wi-Fi types), if it has one besides loopback.

    Connecting a UDP socket sends nothing; it only asks the system which address would be the source of a packet.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 1))
            address = probe.getsockname()[0]
        except OSError:  # no route at all: no network
            return None
    return None if ipaddress.ip_address(address).is_loopback or address in WILDCARDS else address


def _normalise(name: str) -> str:
    return name.strip().strip("[]").rstrip(".").lower()


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def display_host(host: str) -> str:
    """The host for the URL printed to the user: a wildcard address becomes the loopback one."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the server private to this machine."""
    if _normalise(host) == "localhost":
        return True
    try:
        return ipaddress.ip_address(_normalise(host)).is_loopback
    except ValueError:
        return False
