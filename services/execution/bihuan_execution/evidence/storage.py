"""Where evidence files live. Content-addressed by sha256, so the same file uploaded twice is stored once and a
stored file can be checked against its hash. Local disk by default; another backend (S3-compatible) implements the
same two methods."""
import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 64 * 1024


class TooBig(Exception):
    pass


@dataclass(frozen=True)
class Stored:
    key: str
    sha256: str
    size: int
    head: bytes  # the first bytes, for checking the declared type


class EvidenceStorage(Protocol):
    def put(self, source: BinaryIO, max_bytes: int) -> Stored: ...

    def path_of(self, key: str) -> Path: ...


class LocalDiskStorage:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def put(self, source: BinaryIO, max_bytes: int) -> Stored:
        """Copy while hashing; give up (and leave nothing behind) as soon as the file exceeds max_bytes."""
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        digest, size, head = hashlib.sha256(), 0, b""
        fd, tmp = tempfile.mkstemp(dir=self.root / "tmp", prefix=uuid.uuid4().hex)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooBig(size)
                    if len(head) < 16:
                        head = (head + chunk)[:16]
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            key = f"{sha[:2]}/{sha}"
            final = self.root / key
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)  # atomic; an identical file already there is simply the same content
            return Stored(key, sha, size, head)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def path_of(self, key: str) -> Path:
        return self.root / key
