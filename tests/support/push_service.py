"""A local stand-in for the push service Chromium uses (Google's GCM/FCM), for browser tests with no
network (docs/decisions/0020).

Chromium subscribes through GCM: it checks in (a protobuf over HTTP), registers the site's application
server key (a form over HTTP, answered with a registration token; Chromium then builds the endpoint
``https://…google.com/fcm/send/<token>`` itself and keeps the subscription's private key to itself), and
keeps a TLS connection to GCM's connection server (MCS) on which pushes arrive. Chromium's own switches
(``--gcm-checkin-url``, ``--gcm-registration-url``, ``--gcm-mcs-endpoint``) point all three here.

The stand-in also takes the application server's Web Push request (``POST /fcm/send/<token>``, what a
push service receives: the VAPID-signed, aes128gcm-encrypted body) and hands the body on, untouched,
as an MCS data message; Chromium decrypts it with the subscription's key and wakes the service worker.
So only the transport is stood in: the subscription, its keys, the encryption, the VAPID signature and
the decryption are the real ones. The protobufs are the few fields Chromium reads, written by hand.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
import socket
import ssl
import struct
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs

MCS_VERSION = 41
LOGIN_REQUEST_TAG, LOGIN_RESPONSE_TAG, DATA_MESSAGE_TAG = 2, 3, 8


def _varint(value: int) -> bytes:
    out = b""
    while True:
        low, value = value & 0x7F, value >> 7
        if value:
            out += bytes([low | 0x80])
        else:
            return out + bytes([low])


def _field(number: int, data: bytes) -> bytes:
    """A length-delimited protobuf field (string, bytes or message)."""
    return _varint((number << 3) | 2) + _varint(len(data)) + data


def _read_varint(stream: BinaryIO) -> int:
    value, shift = 0, 0
    while True:
        byte = stream.read(1)
        if not byte:
            raise EOFError
        value |= (byte[0] & 0x7F) << shift
        shift += 7
        if not byte[0] & 0x80:
            return value


def checkin_response(now_ms: int) -> bytes:
    """AndroidCheckinResponse: stats_ok (1), time_msec (3), android_id (7), security_token (8)."""
    return (
        b"\x08\x01"
        + b"\x18"
        + _varint(now_ms)
        + b"\x39"
        + struct.pack("<Q", 4_242_424_242)
        + b"\x41"
        + struct.pack("<Q", 7_373_737_373)
    )


@dataclass
class Registration:
    """What Chromium registered: the token we issued for one site's application server key."""

    token: str
    app: str  # Chromium's product category, e.g. org.chromium.linux
    subtype: str  # the site's own id inside Chromium (wp:<origin>#<uuid>)
    sender: str  # the application server (VAPID) public key


@dataclass
class PushRequest:
    """One Web Push request from the application server, as the push service received it."""

    token: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushServiceStandIn:
    registrations: list[Registration] = field(default_factory=list)
    pushes: list[PushRequest] = field(default_factory=list)
    _connections: list[ssl.SSLSocket] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> PushServiceStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/checkin"):
                    self._answer(200, checkin_response(int(time.time() * 1000)), "application/x-protobuf")
                elif self.path.startswith("/register"):
                    self._answer(200, stand_in._register(body.decode()).encode(), "text/plain")
                elif self.path.startswith("/fcm/send/"):
                    token = self.path.rsplit("/", 1)[-1]
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    status = stand_in._push(PushRequest(token, headers, body))
                    self._answer(status, b"", "text/plain")
                else:
                    self._answer(404, b"", "text/plain")

            def _answer(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        self._tls = self._tls_context()
        self._mcs = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._serve_mcs, daemon=True).start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._mcs.close()
        for connection in self._connections:
            connection.close()

    @property
    def http_url(self) -> str:
        return f"http://localhost:{self._http.server_port}"

    def chromium_args(self) -> list[str]:
        base = f"http://127.0.0.1:{self._http.server_port}"
        return [
            f"--gcm-checkin-url={base}/checkin",
            f"--gcm-registration-url={base}/register",
            f"--gcm-mcs-endpoint=https://127.0.0.1:{self._mcs.getsockname()[1]}",
            # The stand-in's connection server has a certificate made here, for this test only.
            "--ignore-certificate-errors",
        ]

    def wait_for(self, what: str, timeout_s: float = 20) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if getattr(self, what):
                return
            time.sleep(0.1)
        raise AssertionError(f"the push service stand-in saw no {what} in {timeout_s} s")

    # --- GCM registration ------------------------------------------------------------------------

    def _register(self, form: str) -> str:
        fields = {k: v[0] for k, v in parse_qs(form).items()}
        if "X-subtype" not in fields:
            # Chromium's own GCM registration (not a web push subscription): a token is all it needs.
            return f"token={secrets.token_hex(8)}"
        registration = Registration(
            token=secrets.token_urlsafe(24),
            app=fields["app"],
            subtype=fields["X-subtype"],
            sender=fields["sender"],
        )
        with self._lock:
            self.registrations.append(registration)
        return f"token={registration.token}"

    # --- the push itself -------------------------------------------------------------------------

    def _push(self, request: PushRequest) -> int:
        with self._lock:
            self.pushes.append(request)
            registration = next((r for r in self.registrations if r.token == request.token), None)
            connection = self._connections[-1] if self._connections else None
        if registration is None:
            return 404  # what a push service answers for a subscription it does not know
        if connection is None:
            return 503
        stanza = (
            _field(2, secrets.token_hex(8).encode())  # id
            + _field(3, registration.sender.encode())  # from: the key the subscription was made for
            + _field(5, registration.app.encode())  # category
            + _field(7, _field(1, b"subtype") + _field(2, registration.subtype.encode()))
            + _field(
                7,
                _field(1, b"content-encoding")
                + _field(2, request.headers.get("content-encoding", "").encode()),
            )
            + _field(9, f"0:{secrets.token_hex(8)}".encode())  # persistent_id
            + _field(21, request.body)  # raw_data: the encrypted body, untouched
        )
        connection.sendall(bytes([DATA_MESSAGE_TAG]) + _varint(len(stanza)) + stanza)
        return 201

    # --- the connection server (MCS) -------------------------------------------------------------

    @staticmethod
    def _tls_context() -> ssl.SSLContext:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
            )
            .sign(key, hashes.SHA256())
        )
        folder = Path(tempfile.mkdtemp(prefix="push-stand-in-"))
        (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        (folder / "key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
        return context

    def _serve_mcs(self) -> None:
        while True:
            try:
                raw, _ = self._mcs.accept()
            except OSError:
                return  # stopped
            threading.Thread(target=self._login, args=(raw,), daemon=True).start()

    def _login(self, raw: socket.socket) -> None:
        try:
            connection = self._tls.wrap_socket(raw, server_side=True)
            stream = connection.makefile("rb")
            version, tag = stream.read(1), stream.read(1)
            stream.read(_read_varint(stream))  # the LoginRequest (device id and token we issued)
            if version != bytes([MCS_VERSION]) or tag != bytes([LOGIN_REQUEST_TAG]):
                connection.close()
                return
            response = _field(1, b"stand-in")  # LoginResponse.id; no error: logged in
            connection.sendall(bytes([MCS_VERSION, LOGIN_RESPONSE_TAG]) + _varint(len(response)) + response)
        except (OSError, EOFError):
            return  # Chromium may open and drop a connection; it opens another
        with self._lock:
            self._connections.append(connection)
        try:
            while True:  # heartbeats and acknowledgements: read and ignore
                if not stream.read(1):
                    return
                stream.read(_read_varint(stream))
        except (OSError, EOFError):
            return
