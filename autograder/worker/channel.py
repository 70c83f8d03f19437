"""Frames over pipes: read them whole from a file descriptor, however the bytes arrive."""

from __future__ import annotations

import os

from .codec import PREFIX, frame_length

CHUNK = 1 << 20


class FrameReader:
    """Accumulate bytes read from a file descriptor and cut them into whole frames."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()
        self.closed = False

    def read(self) -> list[bytes]:
        """Read what is available (one ``os.read``) and return the frames now complete.

        Raises:
            CodecError: the bytes are not frames of the protocol.
        """
        chunk = os.read(self.fd, CHUNK)
        if not chunk:
            self.closed = True
        self.buffer += chunk
        frames = []
        while len(self.buffer) >= PREFIX.size:
            length = frame_length(bytes(self.buffer[: PREFIX.size]))
            if len(self.buffer) < length:
                break
            frames.append(bytes(self.buffer[:length]))
            del self.buffer[:length]
        return frames


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to a blocking file descriptor."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
