"""A small TCP proxy that makes an HTTP service slow and flaky, or just relays bytes.

``--mode http`` (in front of the object store): per request it reads the fault settings
from a JSON file (``{"delay": s, "drop": p, "error503": p}``, re-read when it changes;
``"methods": "POST"`` limits the faults to those HTTP methods), then waits up to
``delay`` seconds, drops the connection (before or after the request reached the
server), answers ``503 SlowDown`` as S3 does when overloaded, or forwards the request.
Counters go to ``--stats`` as JSON. ``--mode raw`` relays bytes, no faults (the rig's
way in from outside the namespaces). Listen/upstream: ``HOST:PORT`` or ``unix:PATH``.
This kernel has no ``netem`` qdisc, hence a proxy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
from pathlib import Path
from typing import Any

SLOW_DOWN = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
             b"<Message>Please reduce your request rate.</Message></Error>")


class Faults:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.settings: dict[str, float] = {}
        self.methods: set[str] | None = None  # faults only for these methods (None: all)
        self._mtime = 0.0

    def current(self) -> dict[str, float]:
        if self.path is None:
            return {}
        with contextlib.suppress(OSError, ValueError):
            mtime = self.path.stat().st_mtime
            if mtime != self._mtime:
                raw = json.loads(self.path.read_text())
                methods = raw.pop("methods", None)
                self.settings = {k: float(v) for k, v in raw.items()}
                self.methods = set(methods.upper().split(",")) if methods else None
                self._mtime = mtime
        return self.settings


class Proxy:
    def __init__(self, upstream: str, mode: str, faults: Faults, stats: Path | None) -> None:
        self.upstream = upstream
        self.mode = mode
        self.faults = faults
        self.stats_path = stats
        self.stats = {"requests": 0, "delayed": 0, "dropped_before": 0, "dropped_after": 0,
                      "error503": 0, "forwarded": 0}

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.upstream.startswith("unix:"):
            return await asyncio.open_unix_connection(self.upstream[5:])
        host, port = self.upstream.rsplit(":", 1)
        return await asyncio.open_connection(host, int(port))

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if self.mode == "raw":
                await self._relay(reader, writer)
            else:
                while await self._one_request(reader, writer):
                    pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await self.connect()

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(OSError):
                dst.write_eof()

        try:
            await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        finally:
            up_writer.close()

    async def _one_request(self, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> bool:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False  # the client closed its keep-alive connection
        lines = head.decode("latin-1").split("\r\n")
        headers = [line for line in lines[1:] if line and not line.lower().startswith(
            ("connection:", "keep-alive:"))]
        length = next((int(h.split(":", 1)[1]) for h in headers
                       if h.lower().startswith("content-length:")), 0)
        body = await reader.readexactly(length) if length else b""
        self.stats["requests"] += 1
        faults = self.faults.current()
        if self.faults.methods is not None and lines[0].split(" ", 1)[0] not in self.faults.methods:
            faults = {}
        if faults.get("delay"):
            self.stats["delayed"] += 1
            await asyncio.sleep(random.uniform(0, faults["delay"]))
        roll = random.random()
        drop, error = faults.get("drop", 0.0), faults.get("error503", 0.0)
        if roll < drop / 2:
            self.stats["dropped_before"] += 1
            writer.transport.abort()
            return False
        if roll < drop + error and roll >= drop:
            self.stats["error503"] += 1
            writer.write(b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(SLOW_DOWN), SLOW_DOWN))
            await writer.drain()
            return True
        # one upstream connection per request, closed by the server: the response's end
        # is simply EOF, whatever its framing
        request = "\r\n".join([lines[0], *headers, "Connection: close", "", ""]).encode("latin-1")
        up_reader, up_writer = await self.connect()
        try:
            up_writer.write(request + body)
            await up_writer.drain()
            response = await up_reader.read()
        finally:
            up_writer.close()
        if roll < drop:  # the server did the work; the answer is lost on the way back
            self.stats["dropped_after"] += 1
            writer.transport.abort()
            return False
        self.stats["forwarded"] += 1
        writer.write(response)
        await writer.drain()
        return True

    async def write_stats(self) -> None:
        while self.stats_path is not None:
            tmp = self.stats_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.stats))
            os.replace(tmp, self.stats_path)
            await asyncio.sleep(0.2)


async def serve(args: argparse.Namespace) -> None:
    proxy = Proxy(args.upstream, args.mode, Faults(args.faults), args.stats)
    servers: list[Any] = []
    for spec in args.listen:
        if spec.startswith("unix:"):
            servers.append(await asyncio.start_unix_server(proxy.handle, spec[5:]))
        else:
            host, port = spec.rsplit(":", 1)
            servers.append(await asyncio.start_server(proxy.handle, host, int(port)))
    if args.port_file:  # the first TCP listener's port, for listeners on port 0
        port = next(s.sockets[0].getsockname()[1] for s in servers
                    if s.sockets[0].family != __import__("socket").AF_UNIX)
        args.port_file.write_text(str(port))
    await proxy.write_stats() if args.stats else await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", action="append", required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--mode", choices=["http", "raw"], default="http")
    parser.add_argument("--faults", type=Path)
    parser.add_argument("--stats", type=Path)
    parser.add_argument("--port-file", type=Path)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
