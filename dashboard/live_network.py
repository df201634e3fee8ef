"""The Live page's WebRTC network settings: which addresses, which ICE servers.

- **No ICE servers by default** (no STUN, no TURN): streamlit-webrtc would
  otherwise ask Google's STUN server (and Twilio, Cloudflare or Hugging Face
  when their keys are in the environment). Nothing is fetched at run time: the
  browser and the server find each other by their host addresses, which is all a
  laptop (``localhost``) or a phone on the club's own network needs.
  ``POSTURE_ICE_SERVERS`` may name servers, e.g. a club's own TURN server
  (``turn:turn.club.org:3478?transport=udp`` with ``POSTURE_ICE_USERNAME`` and
  ``POSTURE_ICE_CREDENTIAL``), separated by commas.
- **Host addresses**: aioice offers every address of the machine (never
  127.0.0.1). ``POSTURE_ICE_ADDRESSES`` (comma-separated) restricts the server's
  candidates to those addresses: ``127.0.0.1`` keeps every packet on loopback
  (the tests and ``bench/live.py`` do that); a server with several networks may
  offer only the club's.
"""

from __future__ import annotations

import os
from typing import Any

ICE_ADDRESSES_ENV = "POSTURE_ICE_ADDRESSES"
ICE_SERVERS_ENV = "POSTURE_ICE_SERVERS"
ICE_USERNAME_ENV = "POSTURE_ICE_USERNAME"
ICE_CREDENTIAL_ENV = "POSTURE_ICE_CREDENTIAL"

_original_host_addresses: Any = None


def ice_addresses() -> list[str]:
    """The addresses of ``POSTURE_ICE_ADDRESSES`` (empty: every address of the machine)."""
    return [a.strip() for a in os.environ.get(ICE_ADDRESSES_ENV, "").split(",") if a.strip()]


def restrict_host_addresses() -> None:
    """Make aioice gather candidates on :func:`ice_addresses` only (when set).

    aioice reads its module-level ``get_host_addresses`` when an ICE agent gathers;
    replacing it is aioice's configuration, read again at every gathering (the
    environment may change between tests).
    """
    global _original_host_addresses
    import aioice.ice

    if _original_host_addresses is None:
        _original_host_addresses = aioice.ice.get_host_addresses

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        chosen = ice_addresses()
        if not chosen:
            return list(_original_host_addresses(use_ipv4, use_ipv6))
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses


def rtc_configuration() -> dict[str, Any]:
    """RTCConfiguration for both ends: the ICE servers of ``POSTURE_ICE_SERVERS`` (none
    by default)."""
    urls = [u.strip() for u in os.environ.get(ICE_SERVERS_ENV, "").split(",") if u.strip()]
    servers: list[dict[str, Any]] = []
    if urls:
        server: dict[str, Any] = {"urls": urls}
        if os.environ.get(ICE_USERNAME_ENV):
            server["username"] = os.environ[ICE_USERNAME_ENV]
            server["credential"] = os.environ.get(ICE_CREDENTIAL_ENV, "")
        servers.append(server)
    return {"iceServers": servers}
