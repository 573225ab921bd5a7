#!/usr/bin/env python3
"""Is a Kafka broker up and serving?  Stdlib only, so kafka.sh needs no venv and no JVM tool
(a JVM admin tool costs ~2 s per poll).

Sends ApiVersions v0 (every broker answers it), then a Metadata request for no topics in the
highest non-flexible version both sides know (v4..v8; Kafka 4 dropped v0-v3), and checks that
the broker lists itself and a controller.  Exit 0 = ready; 1 = not (reason on stderr).

    probe.py 127.0.0.1:19092 [--timeout 2] [--cluster-id ID]
"""

from __future__ import annotations

import argparse
import socket
import struct
import sys

API_METADATA = 3
API_VERSIONS = 18


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str | None:
        n = self.take(">h")
        if n < 0:
            return None
        value = self.data[self.pos : self.pos + n].decode()
        self.pos += n
        return value


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        buf += chunk
    return bytes(buf)


def request(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> Reader:
    client_id = b"news-enricher-probe"
    header = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    reader = Reader(_recv_exact(sock, size))
    if reader.take(">i") != corr:
        raise ConnectionError("correlation id mismatch")
    return reader


def probe(host: str, port: int, timeout: float) -> dict:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        r = request(sock, API_VERSIONS, 0, 1, b"")
        error = r.take(">h")
        if error:
            raise RuntimeError(f"ApiVersions error code {error}")
        ranges = {}
        for _ in range(r.take(">i")):
            key, lo, hi = r.take(">h"), r.take(">h"), r.take(">h")
            ranges[key] = (lo, hi)
        lo, hi = ranges.get(API_METADATA, (99, -1))
        version = min(hi, 8)  # v9+ is the flexible (tagged-field) encoding: not worth it here
        if version < max(lo, 4):
            raise RuntimeError(f"no common Metadata version (broker {lo}..{hi}, probe 4..8)")
        body = struct.pack(">i", 0) + b"\x00"  # no topics; allow_auto_topic_creation=false
        if version >= 8:
            body += b"\x00\x00"  # include cluster/topic authorized operations = false
        r = request(sock, API_METADATA, version, 2, body)
        r.take(">i")  # throttle_time_ms
        brokers = []
        for _ in range(r.take(">i")):
            node_id, bhost, bport, _rack = r.take(">i"), r.string(), r.take(">i"), r.string()
            brokers.append((node_id, bhost, bport))
        cluster_id = r.string()
        controller_id = r.take(">i")
        return {"brokers": brokers, "cluster_id": cluster_id, "controller_id": controller_id,
                "metadata_version": version}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bootstrap", help="host:port")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--cluster-id", help="fail unless the broker reports this cluster id")
    args = parser.parse_args()
    host, _, port = args.bootstrap.rpartition(":")
    try:
        info = probe(host, int(port), args.timeout)
    except (OSError, RuntimeError, struct.error) as exc:
        print(f"not ready: {exc}", file=sys.stderr)
        return 1
    if not info["brokers"] or info["controller_id"] < 0:
        print(f"not ready: metadata has no brokers or no controller: {info}", file=sys.stderr)
        return 1
    if args.cluster_id and info["cluster_id"] != args.cluster_id:
        print(f"another cluster answers on {args.bootstrap}: {info['cluster_id']} "
              f"(expected {args.cluster_id})", file=sys.stderr)
        return 1
    print(f"ok cluster_id={info['cluster_id']} brokers={len(info['brokers'])} "
          f"controller={info['controller_id']} metadata_v={info['metadata_version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
