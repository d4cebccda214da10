"""The evidence stores themselves, local disk and S3 alike: a file is kept under its sha256 once, read back in chunks,
and a file refused, too large, or changed while being sent leaves nothing behind; a large file never sits in memory
whole."""
import hashlib
import io
import tracemalloc
import uuid

import pytest

from bihuan_execution.evidence.backends import storage_for
from bihuan_execution.evidence.s3 import ContentChanged
from bihuan_execution.evidence.storage import Stored, TooBig
from bihuan_execution.evidence.testing import StoreView
from bihuan_execution.settings import ExecutionSettings
from bihuan_shared.web.errors import Invalid

MiB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def store_settings(request, tmp_path) -> ExecutionSettings:
    if request.param == "local":
        return ExecutionSettings(evidence_dir=str(tmp_path))
    server = request.getfixturevalue("s3_server")
    bucket = server.make_bucket(f"exec-store-{uuid.uuid4().hex[:12]}")
    return ExecutionSettings(evidence_dir=str(tmp_path), evidence_s3_part_bytes=5 * MiB,
                             **server.settings(bucket, prefix="evidence"))


@pytest.fixture
def s3_settings(request, tmp_path) -> ExecutionSettings:
    server = request.getfixturevalue("s3_server")
    bucket = server.make_bucket(f"exec-store-{uuid.uuid4().hex[:12]}")
    return ExecutionSettings(evidence_dir=str(tmp_path), evidence_s3_part_bytes=5 * MiB, **server.settings(bucket))


class OneWay(io.RawIOBase):
    """A source that can be read only once, front to back (a pipe, a socket)."""

    def __init__(self, content: bytes):
        self.inner = io.BytesIO(content)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self.inner.read(size)


class ChangesUnderfoot(io.BytesIO):
    """A file that another writer changes between our two readings."""

    def __init__(self, first: bytes, then: bytes):
        super().__init__(first)
        self.then = then

    def seek(self, offset: int, whence: int = 0) -> int:
        self.getbuffer()[:] = self.then  # same length, other bytes
        return super().seek(offset, whence)


def test_a_file_is_kept_once_under_its_hash_and_read_back_in_chunks(store_settings):
    storage, view = storage_for(store_settings), StoreView(store_settings)
    content = "整改报告".encode() * 50_000
    sha = hashlib.sha256(content).hexdigest()
    stored = storage.put(io.BytesIO(content), 10 * MiB)
    assert stored == Stored(f"{sha[:2]}/{sha}", sha, len(content), content[:16])
    assert view.keys() == {stored.key} and storage.exists(stored.key) and not storage.exists(f"00/{'0' * 64}")
    assert storage.put(OneWay(content), 10 * MiB) == stored, "a source that cannot seek is spooled, same result"
    assert view.keys() == {stored.key}

    download = storage.open(stored.key)
    chunks = list(download.chunks)
    assert download.size == len(content) and b"".join(chunks) == content and len(chunks) > 1


def test_refused_or_too_large_leaves_nothing(store_settings):
    storage, view = storage_for(store_settings), StoreView(store_settings)

    def refuse(_: Stored) -> None:
        raise Invalid("不收")

    with pytest.raises(Invalid):
        storage.put(io.BytesIO(b"%PDF-1.7 refused"), MiB, refuse)
    with pytest.raises(TooBig):
        storage.put(io.BytesIO(b"x" * (MiB + 1)), MiB)
    with pytest.raises(TooBig):
        storage.put(OneWay(b"x" * (MiB + 1)), MiB)
    assert view.keys() == set() and not view.leftovers()


@pytest.mark.parametrize("size", [1 * MiB, 11 * MiB], ids=["single", "parts"])
def test_a_file_changed_while_sent_is_not_kept(s3_settings, size):
    storage, view = storage_for(s3_settings), StoreView(s3_settings)
    with pytest.raises(ContentChanged):
        storage.put(ChangesUnderfoot(b"a" * size, b"b" * size), 20 * MiB)
    assert view.keys() == set() and not view.leftovers(), "no object, no unfinished upload"


def test_a_large_file_is_never_whole_in_memory(s3_settings):
    """A 40 MiB file with 5 MiB parts: Python's allocations peak near one part, not near the file."""
    storage = storage_for(s3_settings)
    size, part = 40 * MiB, s3_settings.evidence_s3_part_bytes
    with open(s3_settings.evidence_dir + "/large.bin", "w+b") as f:
        for i in range(size // MiB):
            f.write(bytes([i]) * MiB)
        f.seek(0)
        tracemalloc.start()
        try:
            stored = storage.put(f, 64 * MiB)
            _, put_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            download = storage.open(stored.key)
            received = sum(len(chunk) for chunk in download.chunks)
            _, open_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert received == size
    print(f"put peak {put_peak / MiB:.1f} MiB, download peak {open_peak / MiB:.1f} MiB, part {part / MiB:.0f} MiB")
    assert put_peak < 2.5 * part and open_peak < part


def test_s3_settings_come_from_the_environment_and_need_a_bucket(monkeypatch):
    monkeypatch.setenv("BIHUAN_EXECUTION_EVIDENCE_STORE", "s3")
    with pytest.raises(ValueError, match="evidence_s3_bucket"):
        ExecutionSettings()
    monkeypatch.setenv("BIHUAN_EXECUTION_EVIDENCE_S3_BUCKET", "bihuan-evidence")
    monkeypatch.setenv("BIHUAN_EXECUTION_EVIDENCE_S3_PREFIX", "/execution/evidence")
    monkeypatch.setenv("BIHUAN_EXECUTION_EVIDENCE_S3_SECRET_KEY", "s3cr3t")
    settings = ExecutionSettings()
    assert settings.evidence_s3_prefix == "execution/evidence/" and settings.evidence_s3_path_style
    assert settings.evidence_s3_secret_key.get_secret_value() == "s3cr3t" and "s3cr3t" not in repr(settings)
    monkeypatch.setenv("BIHUAN_EXECUTION_EVIDENCE_S3_PART_BYTES", str(MiB))
    with pytest.raises(ValueError, match="evidence_s3_part_bytes"):
        ExecutionSettings()
