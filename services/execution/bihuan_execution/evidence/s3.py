"""Evidence in an S3-compatible object store (AWS, MinIO, Ceph, a city's object store), through boto3's client in
the caller's thread (routes call the store through asyncio.to_thread, as with local disk).

The key is the file's sha256, known only once the whole file has been read, so a file is read twice: once to hash
and check it (the upload is already spooled on local disk by the web server), then again to send it, unless the
store already holds that hash. What is sent is checked against the hash before the object can appear: a small file
is sent from memory after hashing those very bytes; a large one goes up in parts, one part in memory at a time,
and the upload is completed only if the parts hash to the key (else it is aborted and no part lingers). Each request
carries Content-MD5, which every S3-compatible store verifies on arrival."""
import base64
import hashlib
import logging
import tempfile
from contextlib import contextmanager
from typing import BinaryIO, Iterator

from botocore.exceptions import BotoCoreError, ClientError

from bihuan_execution.evidence.errors import FileMissing, StoreUnavailable
from bihuan_execution.evidence.storage import Accept, Download, Stored, receive
from bihuan_execution.settings import ExecutionSettings

log = logging.getLogger(__name__)

DOWNLOAD_CHUNK = 256 * 1024
MISSING = ("NoSuchKey", "NotFound", "404")


class ContentChanged(Exception):
    """The bytes read for sending differ from the bytes hashed: the source changed under us; nothing was kept."""


class S3Storage:
    def __init__(self, client, bucket: str, prefix: str = "", part_bytes: int = 8 * 1024 * 1024):
        self.client, self.bucket, self.prefix, self.part_bytes = client, bucket, prefix, part_bytes

    def object_key(self, key: str) -> str:
        return self.prefix + key

    def put(self, source: BinaryIO, max_bytes: int, accept: Accept | None = None) -> Stored:
        with _hashed(source, max_bytes) as (body, stored):
            if accept is not None:
                accept(stored)
            if not self.exists(stored.key):  # content-addressed: a file already there is this very file
                self._send(body, stored)
        return stored

    def exists(self, key: str) -> bool:
        with _store_errors():
            try:
                self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
                return True
            except ClientError as exc:
                if _code(exc) in MISSING:
                    return False
                raise

    def open(self, key: str) -> Download:
        """Starts the download (so a store that is down is a 503 before any byte is sent), then streams it."""
        with _store_errors():
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
            except ClientError as exc:
                if _code(exc) in MISSING:
                    raise FileMissing.of(key) from None
                raise
        return Download(response["ContentLength"], _body_chunks(response["Body"]))

    def _send(self, body: BinaryIO, stored: Stored) -> None:
        key = self.object_key(stored.key)
        described = {"ContentType": "application/octet-stream", "Metadata": {"sha256": stored.sha256}}
        with _store_errors():
            if stored.size <= self.part_bytes:
                data = body.read(self.part_bytes + 1)
                _check(hashlib.sha256(data), len(data), stored)
                self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentMD5=_md5(data), **described)
            else:
                self._send_parts(body, key, stored, described)

    def _send_parts(self, body: BinaryIO, key: str, stored: Stored, described: dict) -> None:
        upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, **described)["UploadId"]
        try:
            digest, size, parts = hashlib.sha256(), 0, []
            while data := body.read(self.part_bytes):
                digest.update(data)
                size += len(data)
                number = len(parts) + 1
                sent = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                               Body=data, ContentMD5=_md5(data))
                parts.append({"PartNumber": number, "ETag": sent["ETag"]})
                del data  # let the part go before the next one is read: one part in memory, not two
            _check(digest, size, stored)
            self.client.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                  MultipartUpload={"Parts": parts})
        except BaseException:
            self._abort(key, upload_id)
            raise

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except (BotoCoreError, ClientError) as exc:  # the bucket's lifecycle rule removes what is left
            log.warning("could not abort an evidence upload", extra={"key": key, "error": repr(exc)[:300]})


def s3_client(settings: ExecutionSettings):
    import boto3
    from botocore.config import Config

    secret = settings.evidence_s3_secret_key
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if settings.evidence_s3_path_style else "auto"},
        connect_timeout=settings.evidence_s3_timeout_seconds, read_timeout=settings.evidence_s3_timeout_seconds,
        retries={"mode": "standard", "max_attempts": settings.evidence_s3_max_attempts},
        # Newer SDKs add CRC checksums in an aws-chunked trailer by default, which many S3-compatible stores refuse;
        # Content-MD5 (sent on every write) is understood by all of them.
        request_checksum_calculation="when_required", response_checksum_validation="when_required")
    return boto3.session.Session().client(
        "s3", endpoint_url=settings.evidence_s3_endpoint_url or None, region_name=settings.evidence_s3_region,
        aws_access_key_id=settings.evidence_s3_access_key or None,
        aws_secret_access_key=secret.get_secret_value() if secret else None, config=config)


@contextmanager
def _hashed(source: BinaryIO, max_bytes: int) -> Iterator[tuple[BinaryIO, Stored]]:
    """The first reading, and a source ready to be read again from the start (spooled to disk if it cannot seek)."""
    if source.seekable():
        start = source.tell()
        stored = receive(source, max_bytes)
        source.seek(start)
        yield source, stored
        return
    with tempfile.TemporaryFile() as spool:
        stored = receive(source, max_bytes, spool)
        spool.seek(0)
        yield spool, stored


@contextmanager
def _store_errors() -> Iterator[None]:
    """Unreachable, timing out, refusing our credentials or lacking the bucket: for the caller, the store is down."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise StoreUnavailable.because(exc) from exc


def _check(digest, size: int, stored: Stored) -> None:
    if size != stored.size or digest.hexdigest() != stored.sha256:
        raise ContentChanged(stored.key)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def _body_chunks(body) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(DOWNLOAD_CHUNK)
    finally:
        body.close()
