"""Where evidence files live. Content-addressed by sha256, so the same file uploaded twice is stored once and a
stored file can be checked against its hash. Local disk by default; an S3-compatible object store (evidence/s3.py)
implements the same interface, and settings choose (evidence/backends.py)."""
import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Protocol

from bihuan_execution.evidence.errors import FileMissing, StoreUnavailable

CHUNK = 64 * 1024
HEAD_BYTES = 16


class TooBig(Exception):
    pass


@dataclass(frozen=True)
class Stored:
    key: str
    sha256: str
    size: int
    head: bytes  # the first bytes, for checking the declared type


@dataclass(frozen=True)
class Download:
    size: int
    chunks: Iterator[bytes]


# Called with what was received before it is stored: raise to refuse the file, and nothing is kept.
Accept = Callable[[Stored], None]


class EvidenceStorage(Protocol):
    def put(self, source: BinaryIO, max_bytes: int, accept: Accept | None = None) -> Stored: ...

    def exists(self, key: str) -> bool: ...

    def open(self, key: str) -> Download: ...


def key_of(sha256: str) -> str:
    """The same key in every backend, so a local tree can be copied into a bucket as it is."""
    return f"{sha256[:2]}/{sha256}"


def receive(source: BinaryIO, max_bytes: int, sink: BinaryIO | None = None) -> Stored:
    """Read a file once while hashing (and copying to sink); give up as soon as it exceeds max_bytes."""
    digest, size, head = hashlib.sha256(), 0, b""
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise TooBig(size)
        if len(head) < HEAD_BYTES:
            head = (head + chunk)[:HEAD_BYTES]
        digest.update(chunk)
        if sink is not None:
            sink.write(chunk)
    sha = digest.hexdigest()
    return Stored(key_of(sha), sha, size, head)


class LocalDiskStorage:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def put(self, source: BinaryIO, max_bytes: int, accept: Accept | None = None) -> Stored:
        """Copy to a temporary file while hashing, then move it under its hash; a refused file leaves nothing."""
        tmp = None
        try:
            (self.root / "tmp").mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root / "tmp", prefix=uuid.uuid4().hex)
            with os.fdopen(fd, "wb") as out:
                stored = receive(source, max_bytes, out)
            if accept is not None:
                accept(stored)
            final = self.root / stored.key
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)  # atomic; an identical file already there is simply the same content
            return stored
        except OSError as exc:  # disk full, read-only or missing volume: the store, not the request, is at fault
            raise StoreUnavailable.because(exc) from exc
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()

    def open(self, key: str) -> Download:
        try:
            f = (self.root / key).open("rb")
        except FileNotFoundError:
            raise FileMissing.of(key) from None
        except OSError as exc:
            raise StoreUnavailable.because(exc) from exc
        return Download(os.fstat(f.fileno()).st_size, _file_chunks(f))


def _file_chunks(f: BinaryIO) -> Iterator[bytes]:
    with f:
        while chunk := f.read(CHUNK):
            yield chunk
