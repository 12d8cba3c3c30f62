"""The channels' HTTP client and shared HTTP rules: Retry-After parsing, transient statuses."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from heze_hub.delivery.http import (
    USER_AGENT,
    HttpClient,
    TransportError,
    is_bad_url,
    is_timeout,
    is_transient_status,
    never_sent,
    retry_after_seconds,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", 30.0),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),  # not RFC 9110, but sent by some gateways
        ("-5", 0.0),  # never negative
        ("+5", 5.0),
        ("Thu, 01 Jan 2026 00:01:00 GMT", 60.0),
        ("Wed, 31 Dec 2025 00:00:00 GMT", 0.0),  # in the past: no wait, never negative
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Thursday, 01-Jan-26 00:00:30 GMT", 30.0),  # obsolete RFC 850 form
    ],
)
def test_retry_after_seconds(value, expected):
    assert retry_after_seconds(value, NOW) == expected


@pytest.mark.parametrize(
    "value", [None, "", "   ", "soon", "1e3", "--5", "inf", "nan", "Thu, 99 Foo 2026"]
)
def test_retry_after_absent_or_unparseable(value):
    assert retry_after_seconds(value, NOW) is None


def test_retry_after_date_counts_from_the_current_time():
    later = datetime.now(UTC).timestamp() + 3600
    value = datetime.fromtimestamp(later, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 3590 <= retry_after_seconds(value) <= 3600


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 599])
def test_transient_statuses(status):
    assert is_transient_status(status)


@pytest.mark.parametrize("status", [200, 301, 400, 401, 403, 404, 409, 413, 422, 451])
def test_permanent_statuses(status):
    assert not is_transient_status(status)


# -- the client, against real servers on 127.0.0.1 -------------------------------------------


@dataclass
class Seen:
    """What a local server received: request line target, headers and body, in order."""

    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)


@contextmanager
def server(respond: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[tuple[str, Seen]]:
    """An HTTP/1.1 server on 127.0.0.1 that records every request and answers with ``respond``."""
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.requests.append((self.command, self.path, dict(self.headers), body))
            respond(self)

        do_GET = do_POST = _handle

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def answer(status: int, body: bytes = b"{}", **headers: str) -> Callable[..., None]:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def test_client_sends_body_params_and_headers_with_its_user_agent():
    with server(answer(201, b'{"id": "7"}')) as (url, seen):
        resp = HttpClient().post(url + "/api?x=1", params={"token": "a b"}, body="正文".encode(),
                                 headers={"Idempotency-Key": "k"}, timeout=5)
    assert (resp.status, resp.json()) == (201, {"id": "7"})
    [(method, target, headers, body)] = seen.requests
    assert (method, target, body) == ("POST", "/api?x=1&token=a+b", "正文".encode())
    assert headers["Idempotency-Key"] == "k"
    assert headers["User-Agent"] == USER_AGENT


def test_client_encodes_fields_as_multipart():
    with server(answer(200)) as (url, seen):
        HttpClient().post(url, fields={"media": ("c.jpg", b"\xff\xd8\xff", "image/jpeg")},
                          timeout=5)
    [(_, _, headers, body)] = seen.requests
    assert headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'filename="c.jpg"' in body and b"\xff\xd8\xff" in body


def test_client_neither_follows_redirects_nor_retries():
    with server(answer(302, b"", Location="/elsewhere")) as (url, seen):
        resp = HttpClient().post(url + "/api", body=b"{}", timeout=5)
    assert resp.status == 302
    assert [r[1] for r in seen.requests] == ["/api"]

    with server(answer(503, b"busy", **{"Retry-After": "3"})) as (url, seen):
        resp = HttpClient().get(url, timeout=5)
    assert (resp.status, resp.headers["retry-after"], len(seen.requests)) == (503, "3", 1)


def test_refused_connection_was_never_sent_and_is_no_timeout():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    with pytest.raises(TransportError) as caught:
        HttpClient().post(f"http://127.0.0.1:{port}/", body=b"{}", timeout=5)
    assert never_sent(caught.value) and not is_timeout(caught.value)
    assert not is_bad_url(caught.value)


def test_read_timeout_may_have_been_sent():
    release = threading.Event()
    with server(lambda h: release.wait(5)) as (url, seen):
        with pytest.raises(TransportError) as caught:
            HttpClient().post(url, body=b"{}", timeout=0.2)
        release.set()
    assert is_timeout(caught.value) and not never_sent(caught.value)
    assert len(seen.requests) == 1


@pytest.mark.parametrize("url", ["ftp://example.gov.cn/x", "http://"])
def test_bad_url_is_told_apart(url):
    with pytest.raises(TransportError) as caught:
        HttpClient().get(url, timeout=5)
    assert is_bad_url(caught.value)


def test_proxy_from_the_environment_and_no_proxy(monkeypatch):
    with server(answer(200, b'{"via": "proxy"}')) as (proxy, via_proxy), \
            server(answer(200, b'{"via": "direct"}')) as (direct, _):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "localhost")
        http = HttpClient()
        # Through the proxy: the request line carries the absolute URL of the target.
        assert http.get("http://portal.example.gov.cn/a", timeout=5).json() == {"via": "proxy"}
        assert via_proxy.requests[0][1] == "http://portal.example.gov.cn/a"
        # NO_PROXY matches: straight to the server.
        port = direct.rsplit(":", 1)[1]
        assert http.get(f"http://localhost:{port}/b", timeout=5).json() == {"via": "direct"}
        assert len(via_proxy.requests) == 1


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files (the certificate is its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "heze-hub test CA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(
            "127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return cert_file, key_file


def test_tls_is_verified_and_a_private_ca_comes_from_ssl_cert_file(tmp_path, monkeypatch):
    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    with server(answer(200, b'{"ok": true}')) as (url, _), \
            socket.create_server(("127.0.0.1", 0)) as listener:
        # A TLS front for the plain server: accept one connection at a time and relay bytes.
        host, port = url.removeprefix("http://").split(":")
        stop = threading.Event()

        def relay(a: socket.socket, b: socket.socket) -> None:
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                b.close()

        def front() -> None:
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    raw, _ = listener.accept()
                    tls = context.wrap_socket(raw, server_side=True)
                except (TimeoutError, ssl.SSLError, OSError):
                    continue
                back = socket.create_connection((host, int(port)))
                threading.Thread(target=relay, args=(tls, back), daemon=True).start()
                threading.Thread(target=relay, args=(back, tls), daemon=True).start()

        threading.Thread(target=front, daemon=True).start()
        https = f"https://127.0.0.1:{listener.getsockname()[1]}/"
        try:
            # Not in the system's trust store: refused, as a transport failure.
            with pytest.raises(TransportError):
                HttpClient().get(https, timeout=5)
            monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
            assert HttpClient().get(https, timeout=5).json() == {"ok": True}
        finally:
            stop.set()
