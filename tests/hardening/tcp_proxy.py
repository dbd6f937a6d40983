"""A TCP proxy the outage tests put between the ledger and PostgreSQL, and control.

- ``open`` (the start, and ``restore()``): bytes flow both ways;
- ``cut()``: every live connection is dropped at once, as when the server goes away;
- ``refuse()``: new connections are accepted and dropped at once, as a dead server;
- ``blackhole()``: nothing flows and nothing is closed, as a network partition; new
  connections hang. ``restore()`` drops the stalled connections (their sessions died);
- ``drop_reply(marker)``: the next server reply containing ``marker`` is swallowed and every
  connection cut: the server did the work, the client never hears.
"""

from __future__ import annotations

import asyncio
import contextlib


class _Pair:
    def __init__(self, client: asyncio.StreamWriter) -> None:
        self.client = client
        self.server: asyncio.StreamWriter | None = None
        self.tasks: list[asyncio.Task[None]] = []

    def abort(self) -> None:
        for writer in (self.client, self.server):
            if writer is not None:
                writer.transport.abort()


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.mode = "open"
        self.port = 0
        self.accepted = 0
        self._pairs: set[_Pair] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._drop_marker: bytes | None = None
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    # --- what the test controls -------------------------------------------------------

    def cut(self) -> None:
        for pair in list(self._pairs):
            pair.abort()
        self._pairs.clear()

    def refuse(self) -> None:
        self.mode = "refuse"
        self.cut()

    def blackhole(self) -> None:
        self.mode = "blackhole"
        self._flowing.clear()

    def restore(self) -> None:
        if self.mode == "blackhole":
            self.cut()
        self.mode = "open"
        self._flowing.set()

    def drop_reply(self, marker: bytes) -> None:
        self._drop_marker = marker

    @property
    def live_connections(self) -> int:
        return len(self._pairs)

    # --- plumbing ---------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode == "refuse":
            writer.transport.abort()
            return
        pair = _Pair(writer)
        self._pairs.add(pair)
        try:
            await self._flowing.wait()  # a partitioned network never answers the connect
            if pair not in self._pairs:
                return
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            pair.server = up_writer
            if pair not in self._pairs:  # cut while connecting
                pair.abort()
                return
            await asyncio.gather(
                self._pump(reader, up_writer, pair, replies=False),
                self._pump(up_reader, writer, pair, replies=True),
            )
        except OSError:
            pass
        finally:
            pair.abort()
            self._pairs.discard(pair)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        pair: _Pair,
        *,
        replies: bool,
    ) -> None:
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                await self._flowing.wait()
                if pair not in self._pairs:
                    return
                marker = self._drop_marker
                if replies and marker is not None and marker in data:
                    self._drop_marker = None
                    self.cut()
                    return
                sink.write(data)
                await sink.drain()
        pair.abort()
