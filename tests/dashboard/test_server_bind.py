"""The dashboard listens on this machine only, unless told otherwise (issue 11, finding 1).

The app is started as ``make run`` starts it (no ``--server.address`` on the command
line, so ``.streamlit/config.toml`` decides), and the kernel's table of listening TCP
sockets is read for its port: every one must be bound to the loopback address.
"""

from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path

from tests.dashboard.server import PROJECT_ROOT, start_streamlit, stop_streamlit

LISTEN = "0A"  # TCP state of a listening socket in /proc/net/tcp


def listening_addresses(port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The local addresses of the TCP sockets listening on ``port`` (IPv4 and IPv6)."""
    found = []
    for table, width in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address_hex, port_hex = local.split(":")
            if state != LISTEN or int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(address_hex)
            # The kernel prints each 32-bit word in host (little-endian) order.
            words = [raw[i:i + 4][::-1] for i in range(0, width, 4)]
            found.append(ipaddress.ip_address(b"".join(words)))
    return found


def test_config_binds_loopback_by_default():
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"


def test_the_served_app_listens_on_loopback_only(tmp_path: Path):
    process, url = start_streamlit(
        f"sqlite:///{tmp_path / 'posture.db'}", tmp_path / "streamlit.log",
        data_dir=tmp_path / "data", address=None,
    )
    try:
        port = int(url.rsplit(":", 1)[1])
        addresses = listening_addresses(port)
        assert addresses, f"nothing listens on port {port}"
        assert all(a.is_loopback for a in addresses), addresses
    finally:
        stop_streamlit(process)


def test_listening_addresses_reads_the_kernel_table():
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert listening_addresses(port) == [ipaddress.ip_address("0.0.0.0")]
