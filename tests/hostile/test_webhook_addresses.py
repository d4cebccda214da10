"""Issue 12 #7: a supervisor's webhook must not reach the service's own network. Loopback, private, link-local (the
cloud metadata address), CGNAT, multicast and reserved addresses are refused when the rules are set (422 naming
webhook_url) and again at delivery, where every address the name resolves to is checked and the POST goes to the
checked address itself, so a second lookup cannot swap in 127.0.0.1 (DNS rebinding). An operator's allow-list
(webhook_allowed_networks) lets an internal relay through. Receivers here are real sockets; only the lookups of the
made-up names *.test are answered by a stand-in for DNS."""
import asyncio
import datetime as dt
import re
import socket
import ssl
from collections.abc import Iterator

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import text

from bihuan_shared.contracts.supervision import WarningRaised
from bihuan_shared.db import make_engine, make_sessionmaker
from bihuan_shared.events import new_event
from bihuan_shared.migrations import upgrade_async
from bihuan_shared.testing.routes import create_app, migrations, settings_class
from bihuan_shared.testing.services import bearer, running_app
from bihuan_supervision.events.webhooks import Deliverer, enqueue

SCOPE = "hostile"
LOCAL_RELAY = ["127.0.0.1/32"]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest_asyncio.fixture(scope="module")
async def env(make_database, amqp_url, infra, redis_prefix):
    """One database; an app as the city runs it (no allow-list) and the settings of one that allows a local relay."""
    url = await make_database("hostile_webhooks")
    await upgrade_async(migrations("supervision"), url)
    common = dict(database_url=url, amqp_url=amqp_url, redis_url=infra.redis_url, redis_prefix=redis_prefix,
                  db_pool_size=2, webhook_max_attempts=5, webhook_timeout_seconds=2.0,
                  webhook_backoff_seconds=600.0)  # a failed attempt is not retried by a later test's round
    strict = settings_class("supervision")(**common)
    relay = settings_class("supervision")(**common, webhook_allowed_networks=LOCAL_RELAY)
    engine = make_engine(url, 2)
    async with running_app(create_app("supervision", strict)) as client:
        yield client, strict, relay, make_sessionmaker(engine)
    await engine.dispose()


class Receiver:
    """A real TCP listener that records what reaches it (and answers 204), optionally over TLS."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []

    async def start(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None) -> int:
        self.server = await asyncio.start_server(self._handle, host, port, ssl=tls)
        return self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            self.requests.append(head + await reader.readexactly(int(length.group(1)) if length else 0))
            writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    def hosts(self) -> list[str]:
        return [re.search(rb"(?i)\r\nhost: *([^\r]+)", r).group(1).decode() for r in self.requests]

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def fake_dns(monkeypatch) -> Iterator[dict[str, list]]:
    """Answers for made-up names: name -> list of answers, one list of addresses per lookup (the last repeats).
    Every other name goes to the system's resolver; each lookup of a made-up name is counted in `lookups`."""
    answers: dict[str, list] = {"lookups": []}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in answers:
            return real(host, port, family, type, proto, flags)
        answers["lookups"].append(name)
        seen = answers["lookups"].count(name)
        addresses = answers[name][min(seen, len(answers[name])) - 1]
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                 (a, int(port or 0))) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield answers


def warning(n: int) -> object:
    raised = WarningRaised(warning_id=7000 + n, kind="overdue", level="red", subject=f"M-SSRF{n}", message="节点逾期",
                           raised_at=dt.datetime.now(dt.UTC))
    return new_event(raised, scope=SCOPE, aggregate_id=f"warning:ssrf{n}", sequence=1)


_events = iter(range(1, 10_000))


async def deliver(sessionmaker, settings, url: str) -> dict:
    """Queue one delivery to url as the rules would, run one deliverer round, and return the row."""
    event = warning(next(_events))
    async with sessionmaker() as session, session.begin():
        await enqueue(session, SCOPE, url, [event])
    await Deliverer(sessionmaker, settings).deliver_once()
    async with sessionmaker() as session:
        row = (await session.execute(text(
            "SELECT status, attempts, last_status, last_error FROM webhook_deliveries WHERE event_id = :e"),
            {"e": event.event_id})).mappings().one()
    return dict(row)


REFUSED_AT_SET_TIME = [
    "http://127.0.0.1:9201/api/v1/scopes",      # the finding: a sibling service's API
    "http://10.0.0.5/hook",                     # RFC 1918
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[::1]:8103/hook",
    "http://[::ffff:127.0.0.1]/hook",           # IPv4-mapped loopback
    "http://[fd00::1]/hook",                    # unique local
    "http://[fe80::1]/hook",                    # link-local
    "http://100.64.0.1/hook",                   # CGNAT
    "http://0.0.0.0:8103/hook",
    "http://224.0.0.1/hook",                    # multicast
    "http://240.0.0.1/hook",                    # reserved
    "http://198.18.0.1/hook",                   # benchmarking, not public
    "http://[fec0::1]/hook",                    # IPv6 site-local
    "http://[2002:7f00:1::]/hook",              # 6to4 carrying 127.0.0.1
    "http://[64:ff9b::a00:5]/hook",             # NAT64 carrying 10.0.0.5
    "http://localhost:9201/api/v1/scopes",      # a name that resolves to loopback
    "http://2130706433:9201/",                  # 127.0.0.1 written as one number
    "ftp://hooks.example.cn/x",                 # not http(s)
    "https://admin:pw@8.8.8.8/hook",            # credentials in the URL (shown to every reader of the rules)
    "http://8.8.8.8:25/hook",                   # a public address, but a port no receiver listens on
    "http://no-such-receiver.invalid/hook",     # does not resolve
]


@pytest.mark.parametrize("url", REFUSED_AT_SET_TIME)
async def test_internal_receivers_are_refused_when_the_rules_are_set(env, url):
    client, settings, _, _ = env
    office = bearer(settings, "supervisor", scope=SCOPE)
    r = await client.put("/api/v1/warnings/rules", headers=office, json={"webhook_url": url})
    assert r.status_code == 422, r.text
    answer = r.json()
    assert answer["error"] and CHINESE.search(answer["message"]), answer
    assert [d["field"] for d in answer["details"]] == ["body.webhook_url"], answer
    assert CHINESE.search(answer["details"][0]["message"]), answer
    rules = await client.get("/api/v1/warnings/rules", headers=office)
    assert rules.json()["webhook_url"] is None  # nothing was stored


async def test_the_refusal_says_why(env):
    client, settings, _, _ = env
    office = bearer(settings, "supervisor", scope=SCOPE)

    async def message(url: str) -> str:
        r = await client.put("/api/v1/warnings/rules", headers=office, json={"webhook_url": url})
        assert r.status_code == 422, r.text
        return r.json()["details"][0]["message"]
    assert "169.254.169.254" in await message("http://169.254.169.254/latest/meta-data/")
    assert "127.0.0.1" in await message("http://localhost:9201/")
    assert "无法解析" in await message("http://no-such-receiver.invalid/hook")
    assert "http" in await message("ftp://hooks.example.cn/x")


async def test_a_public_receiver_is_accepted(env):
    client, settings, _, _ = env
    office = bearer(settings, "supervisor", scope=SCOPE)
    for url in ("https://8.8.8.8/hook", "http://[2606:4700:4700::1111]/hook"):
        r = await client.put("/api/v1/warnings/rules", headers=office, json={"webhook_url": url})
        assert r.status_code == 200, r.text
    r = await client.put("/api/v1/warnings/rules", headers=office, json={"webhook_url": None})
    assert r.status_code == 200 and r.json()["webhook_url"] is None


async def test_an_allow_listed_relay_is_accepted_and_posted_to(env):
    client, strict, relay, sessionmaker = env
    receiver = Receiver()
    port = await receiver.start()
    async with running_app(create_app("supervision", relay)) as relay_client:
        r = await relay_client.put("/api/v1/warnings/rules", headers=bearer(relay, "supervisor", scope=SCOPE),
                                   json={"webhook_url": f"http://localhost:{port}/hook"})
    assert r.status_code == 200, r.text
    row = await deliver(sessionmaker, relay, r.json()["webhook_url"])
    assert (row["status"], row["last_status"]) == ("delivered", 204), row
    # sent to the checked address, with the name the office wrote as the Host
    assert receiver.hosts() == [f"localhost:{port}"]
    receiver.close()


async def test_a_delivery_to_loopback_is_never_posted_and_fails_at_once_with_the_reason(env):
    """Rules set while a relay was allowed (or written straight into the table) do not outlive the allow-list."""
    client, strict, _, sessionmaker = env
    receiver = Receiver()
    port = await receiver.start()
    for url in (f"http://localhost:{port}/hook", f"http://127.0.0.1:{port}/api/v1/scopes"):
        row = await deliver(sessionmaker, strict, url)
        assert row["status"] == "failed" and row["attempts"] == 1, row  # for good: an address does not heal
        assert row["last_status"] is None and "127.0.0.1" in row["last_error"], row
        assert CHINESE.search(row["last_error"]), row
    assert receiver.requests == []
    listed = await client.get("/api/v1/warnings/webhook-deliveries", params={"status": "failed"},
                              headers=bearer(strict, "supervisor", scope=SCOPE))
    assert listed.status_code == 200
    assert any("127.0.0.1" in d["last_error"] for d in listed.json()["items"])
    receiver.close()


async def test_every_resolved_address_is_checked(env, fake_dns):
    """A name that resolves to an allowed address and a blocked one is refused: the connection could take either."""
    _, _, relay, sessionmaker = env
    allowed, blocked = Receiver(), Receiver()
    port = await allowed.start("127.0.0.1")
    await blocked.start("127.0.0.2", port)
    fake_dns["both.test"] = [["127.0.0.2", "127.0.0.1"]]
    row = await deliver(sessionmaker, relay, f"http://both.test:{port}/hook")
    assert row["status"] == "failed" and "127.0.0.2" in row["last_error"], row
    assert allowed.requests == [] and blocked.requests == []
    allowed.close()
    blocked.close()


def _certificate(name: str) -> tuple[bytes, bytes, bytes]:
    """A test CA and a certificate for `name` it signed: (CA pem, certificate pem, key pem)."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bihuan test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return (ca.public_bytes(pem), leaf.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


async def test_the_post_goes_to_the_checked_address_over_tls_verified_for_the_name(env, fake_dns, tmp_path,
                                                                                    monkeypatch):
    """DNS rebinding: hook.test first resolves to the allowed relay, then to 127.0.0.2. The POST of a round goes to
    the address that round checked (one lookup, no second one for the connection), over TLS with the certificate
    verified against hook.test; the next round sees the new address and refuses it."""
    _, _, relay, sessionmaker = env
    ca, leaf, key = _certificate("hook.test")
    (tmp_path / "ca.pem").write_bytes(ca)
    (tmp_path / "leaf.pem").write_bytes(leaf + key)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(tmp_path / "leaf.pem")
    relay_receiver, rebound = Receiver(), Receiver()
    port = await relay_receiver.start("127.0.0.1", tls=tls)
    await rebound.start("127.0.0.2", port, tls=tls)
    fake_dns["hook.test"] = [["127.0.0.1"], ["127.0.0.2"]]
    fake_dns["wrong.test"] = [["127.0.0.1"]]

    first = await deliver(sessionmaker, relay, f"https://hook.test:{port}/hook")
    assert (first["status"], first["last_status"]) == ("delivered", 204), first
    assert fake_dns["lookups"] == ["hook.test"]
    assert relay_receiver.hosts() == [f"hook.test:{port}"]

    second = await deliver(sessionmaker, relay, f"https://hook.test:{port}/hook")
    assert second["status"] == "failed" and "127.0.0.2" in second["last_error"], second
    assert rebound.requests == []

    # the certificate is checked against the name in the URL, not the pinned address: hook.test's is not wrong.test's
    third = await deliver(sessionmaker, relay, f"https://wrong.test:{port}/hook")
    assert third["status"] == "pending" and "certificate" in third["last_error"].lower(), third
    assert len(relay_receiver.requests) == 1
    relay_receiver.close()
    rebound.close()
