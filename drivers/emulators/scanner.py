"""A barcode/QR scanner on a pty: each `scan` writes one code and its terminator, as the device does
when a customer holds a QR code or card under it."""

from __future__ import annotations

from types import TracebackType

from drivers.emulators.pty import PtyPort
from drivers.serial.scanner import encode_line


class ScannerEmulator:
    def __init__(self, port: PtyPort | None = None, terminator: bytes = b"\r\n") -> None:
        self.port = port or PtyPort("ttyACM0")
        self.terminator = terminator
        self.path = self.port.plug()
        self.scans = 0

    def scan(self, text: str) -> None:
        self.send_raw(encode_line(text, self.terminator))
        self.scans += 1

    def send_raw(self, data: bytes) -> None:
        """Bytes as they are: line noise, a half-read code, a non-ASCII byte."""
        self.port.write(data)

    def close(self) -> None:
        self.port.close()

    def __enter__(self) -> ScannerEmulator:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
