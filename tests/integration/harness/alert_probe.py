"""A TLS client that probes whether a refusal alert reaches it: it writes record by record, as tlsfuzzer
does (docs/tls.md: after a fatal alert the gateway stops sending and drains the client's input)."""

from __future__ import annotations

import socket
import ssl
import time

# The alert names OpenSSL reports when it reads the gateway's refusal (ssl.SSLError.reason).
ALERTS = {"TLSV13_ALERT_CERTIFICATE_REQUIRED": 116, "SSLV3_ALERT_HANDSHAKE_FAILURE": 40,
          "SSLV3_ALERT_BAD_CERTIFICATE": 42, "TLSV1_ALERT_UNKNOWN_CA": 48}


def _records(data: bytes) -> list[bytes]:
    """`data` (whole TLS records, as a client wrote them) cut into its records."""
    out, i = [], 0
    while i < len(data):
        length = int.from_bytes(data[i + 3:i + 5], "big")
        out.append(data[i:i + 5 + length])
        i += 5 + length
    return out


def alert_read_by_record_by_record_client(port: int, sni: str, tls: str, payload: bytes, pause: float = 0.02):
    """A client without a certificate that sends each of its TLS records on its own, with a short pause
    after each, then `payload` (its request), and reads only when it is done writing; a write that fails
    ends the try (as in tlsfuzzer). The gateway refuses after the client's Certificate record, so the records after it
    (TLS 1.2: ClientKeyExchange, ChangeCipherSpec, Finished; TLS 1.3: Finished, the request) arrive after
    the alert. A gateway that closes at once answers them with a reset, and the client's next write fails
    before it reads the alert (measured: 20 of 20 tries, both versions); one that stops sending and drains
    them lets the client finish writing and read the alert. Returns the alert's number, else what the
    client saw instead."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.minimum_version = ctx.maximum_version = (ssl.TLSVersion.TLSv1_3 if tls == "1.3" else ssl.TLSVersion.TLSv1_2)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls_obj = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        def send_records():
            for record in _records(outgoing.read()):
                sock.sendall(record)  # a reset here ends the try, as it ends a tlsfuzzer run
                time.sleep(pause)

        def receive() -> bool:
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            if chunk:
                incoming.write(chunk)
            else:
                incoming.write_eof()
            return bool(chunk)

        try:
            while True:
                try:
                    tls_obj.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    send_records()
                    receive()
            send_records()
            tls_obj.write(payload)
            send_records()
            while True:
                try:
                    tls_obj.read(100)
                    return "no refusal"
                except ssl.SSLWantReadError:
                    receive()
        except ssl.SSLError as e:
            return ALERTS.get(e.reason or "", f"{type(e).__name__}: {e}")
        except OSError as e:
            return f"{type(e).__name__}: {e}"
