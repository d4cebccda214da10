"""Where the outgoing webhook may post (issue 12 #7). A supervisor chooses the receiver, so without this the worker
would POST wherever she points it: a sibling service's API on 127.0.0.1, the cloud metadata address, the office
network. Only public addresses are reached (on webhook_allowed_ports), plus the networks an operator allow-lists
(webhook_allowed_networks, e.g. an internal relay).

The rule is applied to the addresses a name resolves to, not to the text of the URL (2130706433, 127.1, a name
pointing at 10.0.0.5 are all caught), to every one of them (the connection could take any), and twice: when the rules
are set, so the office hears at once, and at each delivery, because DNS answers change. The delivery then connects to
the address it checked (pin), never resolving the name again, so a rebinding name cannot pass the check with a public
address and be connected to 127.0.0.1; the name stays the Host header and, over https, the name the certificate is
verified against (SNI)."""
import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_LIST_ENV = "BIHUAN_SUPERVISION_WEBHOOK_ALLOWED_NETWORKS"
MAX_URL_LENGTH = 500  # the columns that keep it (warning_rules.webhook_url, webhook_deliveries.url)
DEFAULT_PORTS = {"http": 80, "https": 443}
RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # a translator would forward to the IPv4 address in the last 32 bits


class Refused(Exception):
    """The URL may not be posted to, whatever the DNS says tomorrow; str() is the reason for the office (zh-CN)."""


class Unresolved(Exception):
    """The name did not resolve now: refused when the rules are set, retried at delivery (DNS can be down)."""


@dataclass(frozen=True)
class Pinned:
    """A checked URL: where to connect (the address in place of the name) and the name to present there."""

    url: httpx.URL
    host_header: str
    sni_hostname: str | None  # https: the certificate must be the name's, not the address's

    @property
    def extensions(self) -> dict:
        """httpx request extensions: connect to the address, shake hands (and verify) as the name."""
        return {"sni_hostname": self.sni_hostname} if self.sni_hostname else {}

    @property
    def origin(self) -> tuple:
        """Deliveries that may share connections: same address, port and name (a pooled TLS connection was verified
        for one name only)."""
        return self.url.scheme, self.url.host, self.url.port, self.host_header


def parse(url: str) -> httpx.URL:
    """The checks that need neither settings nor DNS: an http(s) URL with a host and no credentials."""
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"webhook_url 不能超过 {MAX_URL_LENGTH} 个字符")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, UnicodeError, ValueError):
        raise Refused("webhook_url 不是有效的网址") from None
    if parsed.scheme not in DEFAULT_PORTS:
        raise Refused("webhook_url 须以 http:// 或 https:// 开头")
    if parsed.userinfo:  # shown to every reader of the rules and the deliveries; the signature proves the sender
        raise Refused("webhook_url 不能包含用户名或密码，接收方请用签名（webhook_secret）验证来源")
    if not parsed.raw_host:
        raise Refused("webhook_url 缺少主机名")
    return parsed


def _kind(ip: Address) -> str | None:
    """What a non-public address is, in the office's words; None for a public one."""
    if ip.is_loopback:
        return "本机回环地址"
    if ip.is_unspecified:
        return "未指定地址"
    if ip.is_link_local:
        return "链路本地地址（含云主机元数据地址）"
    if any(ip in net for net in RFC1918) or getattr(ip, "is_site_local", False):
        return "内网地址"
    if ip in CGNAT:
        return "运营商级 NAT 共享地址"
    if ip.is_multicast:
        return "组播地址"
    if ip.is_reserved or ip.is_private or not ip.is_global:
        return "保留或非公网地址"
    return None


def _embedded(ip: Address) -> list[Address]:
    """The address itself and the IPv4 addresses an IPv6 one carries to (mapped, 6to4, Teredo, NAT64)."""
    found = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        found += [a for a in (ip.ipv4_mapped, ip.sixtofour, ip.teredo and ip.teredo[1]) if a]
        if ip in NAT64:
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def refusal(host: str, ip: Address, port: int, allowed: Sequence[Network], ports: Sequence[int]) -> str | None:
    """Why the address may not be posted to (zh-CN), or None. An allow-listed network is the operator's own relay:
    any port of it; a public address only on the allowed ports (empty list: any)."""
    plain = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip
    if any(plain in net for net in allowed):
        return None
    where = f"地址 {ip}" if host == str(ip) else f"主机 {host} 解析为 {ip}"
    for candidate in _embedded(ip):
        if kind := _kind(candidate):
            return (f"webhook_url 的{where}，属于{kind}，不允许推送到内部网络；"
                    f"确需推送到内部中继的，请运维将其网段加入 {ALLOW_LIST_ENV}")
    if ports and port not in ports:
        return f"webhook_url 的端口 {port} 不在允许的端口（{'、'.join(map(str, ports))}）之内"
    return None


async def resolve(host: str, port: int, timeout: float) -> list[Address]:
    """Every address of the host (a literal address is its own), in the resolver's order, without repeats."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        async with asyncio.timeout(timeout):
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise Unresolved(f"无法解析 webhook_url 的主机名 {host}，请确认地址正确且本服务可以访问") from exc
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not addresses:
        raise Unresolved(f"无法解析 webhook_url 的主机名 {host}，请确认地址正确且本服务可以访问")
    return addresses


async def pin(url: str, settings) -> Pinned:
    """Check the URL against the settings' allow-lists with what its host resolves to now, and pin the first
    address. Raises Refused (never to be posted as it stands) or Unresolved (the name did not resolve now)."""
    parsed = parse(url)
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or DEFAULT_PORTS[parsed.scheme]
    addresses = await resolve(host, port, settings.webhook_timeout_seconds)
    for ip in addresses:
        if reason := refusal(host, ip, port, settings.webhook_allowed_networks, settings.webhook_allowed_ports):
            raise Refused(reason)
    return Pinned(url=parsed.copy_with(host=str(addresses[0])), host_header=parsed.netloc.decode("ascii"),
                  sni_hostname=host if parsed.scheme == "https" else None)
