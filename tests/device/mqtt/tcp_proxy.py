"""A loopback TCP proxy that can hold traffic and cut connections: a network that goes silent mid-publish."""

from __future__ import annotations

import select
import socket
import threading

from device.demo.broker import free_port


class FreezableProxy:
    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self._target = target_port
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._frozen = threading.Event()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        """Hold every byte in both directions (the kernel keeps them; nothing is delivered)."""
        self._frozen.set()

    def cut_and_thaw(self) -> None:
        """Drop the held bytes with the connections, then let new connections through."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                sock.close()
        self._frozen.clear()

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.cut_and_thaw()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target))
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while True:
                if self._frozen.is_set():
                    self._frozen.wait(0.05)
                    if a.fileno() < 0:
                        return
                    continue
                readable, _, _ = select.select([a, b], [], [], 0.05)
                # Frozen while select() waited: whatever arrived after freeze() stays in the kernel.
                if self._frozen.is_set():
                    continue
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            a.close()
            b.close()
