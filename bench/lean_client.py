"""A lean load client for the webhook bench, in its own process.

The callbacks are encrypted and signed beforehand and stored as raw HTTP requests; the client
only writes them to keep-alive sockets and reads each response by its Content-Length, so it
costs tens of microseconds per message instead of the ~1.5 ms of `requests` in threads of
the bench's own process. `LeanLoad` (used by bench_webhook.py) prepares the requests and runs
one client process per round; `/proc/<pid>/stat` of the gunicorn workers gives the server's
CPU time per message.
"""

from __future__ import annotations

import itertools
import json
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def raw_request(port: int, query: str, body: bytes) -> bytes:
    """One POST /wecom/callback as bytes on the wire."""
    head = (f"POST /wecom/callback?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/xml\r\nContent-Length: {len(body)}\r\n"
            f"Connection: keep-alive\r\n\r\n")
    return head.encode() + body


def _exchange(sock: socket.socket, request: bytes) -> tuple[int, int]:
    """Send one request, read one response: (status, body length)."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = next((int(line.split(b":", 1)[1]) for line in lines[1:]
                   if line.lower().startswith(b"content-length:")), 0)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    return status, length


def client(port: int, requests: list[bytes], in_flight: int) -> dict[str, Any]:
    """Send every request with `in_flight` keep-alive connections; rate and latencies."""
    order, latencies, failed = itertools.count(), [0.0] * len(requests), [0]

    def worker() -> None:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while (i := next(order)) < len(requests):
            started = time.perf_counter()
            try:
                status, length = _exchange(sock, requests[i])
            except (OSError, ConnectionError):
                sock.close()
                sock = socket.create_connection(("127.0.0.1", port))
                status, length = _exchange(sock, requests[i])
            latencies[i] = time.perf_counter() - started
            if status != 200 or not length:
                failed[0] += 1
        sock.close()

    threads = [threading.Thread(target=worker) for _ in range(in_flight)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"rate": len(requests) / (time.perf_counter() - started), "latencies": latencies,
            "failed": failed[0]}


def cpu_seconds(master_pid: int) -> float:
    """User + system CPU of the gunicorn master's children (its workers), in seconds."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


class LeanLoad:
    """Prepared requests for one app, sent a round at a time by a separate client process."""

    def __init__(self, port: int, items: list[tuple[str, bytes]], master_pid: int,
                 in_flight: int) -> None:
        self.port, self.master_pid, self.in_flight = port, master_pid, in_flight
        self.requests = [raw_request(port, query, body) for query, body in items]
        self.sent, self.failed, self.cpu = 0, 0, 0.0
        self.folder = tempfile.mkdtemp(prefix="bot-bench-client-")

    def run(self, count: int) -> tuple[float, list[float]]:
        """Send the next `count` requests; (messages per second, latencies)."""
        path = Path(self.folder) / f"round-{self.sent}.pickle"
        path.write_bytes(pickle.dumps(self.requests[self.sent:self.sent + count]))
        self.sent += count
        before = cpu_seconds(self.master_pid)
        done = subprocess.run([sys.executable, __file__, str(self.port), str(path),
                               str(self.in_flight)], capture_output=True, text=True, check=True)
        self.cpu += cpu_seconds(self.master_pid) - before
        result = json.loads(done.stdout)
        self.failed += result["failed"]
        return result["rate"], result["latencies"]


if __name__ == "__main__":
    port_arg, file_arg, flight_arg = sys.argv[1:4]
    loaded = pickle.loads(Path(file_arg).read_bytes())
    print(json.dumps(client(int(port_arg), loaded, int(flight_arg))))
