"""A real S3-compatible server for tests, found the way the kit finds PostgreSQL (bihuan_shared.testing.infra):

1. BIHUAN_TEST_S3_URL (with BIHUAN_TEST_S3_ACCESS_KEY / BIHUAN_TEST_S3_SECRET_KEY) wins: CI or a developer's MinIO.
2. Else, where a Docker engine answers, testcontainers starts MinIO for the run.
3. Else moto's S3 server (a test dependency) as a process of our own on a free port.

Each test module then makes its own bucket. StoreView looks into a store with its own plain client, so a test
checks what the service stored without going through the service's own storage code."""
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config

from bihuan_execution.settings import ExecutionSettings
from bihuan_shared.testing.infra import _docker_available
from bihuan_shared.testing.processes import free_port

REGION = "us-east-1"


@dataclass
class S3Server:
    endpoint_url: str
    access_key: str
    secret_key: str
    origin: str

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))

    def make_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str, prefix: str = "") -> dict:
        """ExecutionSettings fields that put a service's evidence into this server's bucket."""
        return {"evidence_store": "s3", "evidence_s3_endpoint_url": self.endpoint_url, "evidence_s3_bucket": bucket,
                "evidence_s3_region": REGION, "evidence_s3_access_key": self.access_key,
                "evidence_s3_secret_key": self.secret_key, "evidence_s3_path_style": True,
                "evidence_s3_prefix": prefix}


@dataclass
class MotoServer:
    """moto's S3 server in a process of our own: a test may stop it to see the service cope with a store that is down."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def server(self) -> S3Server:
        return S3Server(f"http://127.0.0.1:{self.port}", "bihuan-test", "bihuan-test-secret", "moto")

    def start(self) -> S3Server:
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.server.client().list_buckets()
                return self.server
            except Exception:
                if self.process.poll() is not None:
                    raise RuntimeError("moto server exited at start") from None
                time.sleep(0.1)
        raise RuntimeError("moto server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def discover_s3(stack: ExitStack) -> S3Server:
    env = os.environ
    if env.get("BIHUAN_TEST_S3_URL"):
        return S3Server(env["BIHUAN_TEST_S3_URL"], env.get("BIHUAN_TEST_S3_ACCESS_KEY", "minioadmin"),
                        env.get("BIHUAN_TEST_S3_SECRET_KEY", "minioadmin"), "env")
    if env.get("BIHUAN_TEST_CONTAINERS", "auto") != "never" and _docker_available():
        from testcontainers.community.minio import MinioContainer

        minio = stack.enter_context(MinioContainer())
        config = minio.get_config()
        return S3Server(f"http://{config['endpoint']}", config["access_key"], config["secret_key"], "testcontainers")
    moto = MotoServer()
    stack.callback(moto.stop)
    return moto.start()


class StoreView:
    """What a store holds, seen from outside the service: keys relative to the service's prefix, their bytes, and
    leftovers of unfinished writes (temporary files, multipart uploads not completed or aborted)."""

    def __init__(self, settings: ExecutionSettings):
        self.settings = settings
        if settings.evidence_store == "s3":
            secret = settings.evidence_s3_secret_key
            self.s3 = S3Server(settings.evidence_s3_endpoint_url or "", settings.evidence_s3_access_key or "",
                               secret.get_secret_value() if secret else "", "view").client()
        self.root = Path(settings.evidence_dir)

    def keys(self) -> set[str]:
        if self.settings.evidence_store == "local":
            return {p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                    if p.is_file() and p.parent.name != "tmp"}
        prefix = self.settings.evidence_s3_prefix
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.settings.evidence_s3_bucket, Prefix=prefix)
        return {o["Key"].removeprefix(prefix) for page in pages for o in page.get("Contents", [])}

    def read(self, key: str) -> bytes:
        if self.settings.evidence_store == "local":
            return (self.root / key).read_bytes()
        obj = self.s3.get_object(Bucket=self.settings.evidence_s3_bucket, Key=self.settings.evidence_s3_prefix + key)
        return obj["Body"].read()

    def leftovers(self) -> list[str]:
        if self.settings.evidence_store == "local":
            tmp = self.root / "tmp"
            return [p.name for p in tmp.iterdir()] if tmp.exists() else []
        uploads = self.s3.list_multipart_uploads(Bucket=self.settings.evidence_s3_bucket).get("Uploads", [])
        return [u["Key"] for u in uploads]
