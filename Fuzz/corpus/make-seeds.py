#!/usr/bin/env python3
"""Writes the seed inputs of Fuzz/corpus/ (run from anywhere; rewrites the files it names).

An input is a flags byte, then (flags & 7) splits of two bytes, then the payload (see
Fuzz/ProxyFuzzSupport/FuzzInput.swift). `seed` takes the payload as pieces, each written in one
read, with the clock move after it: 0 none, 3 0.3 s, 4 1.3 s, 5 2.3 s, 6 3.3 s, 7 5.3 s.

Client flags: 0x08 the upstream answers at the request head; 0x10 it never answers; 0x20 the
replica drains half way; 0x40 upstream connections are refused; 0x80 the client stops reading
half way. Upstream flags: 0x08 the upstreams close at the end; 0x10 the client sends each request
once the previous one is answered; 0x20 the POST expects 100-continue; 0x40 the requests are
HTTP/1.0 with keep-alive; 0x80 the client stops reading half way.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def seed(directory, name, flags, pieces):
    """pieces: [(text, advance)]; the last piece's advance is not encoded (nothing follows it)."""
    payload = "".join(text for text, _ in pieces).encode("latin-1")
    splits = b""
    at = 0
    for text, advance in pieces[:-1]:
        at += len(text.encode("latin-1"))
        fraction = -(-at * 256 // len(payload))  # the smallest byte whose cut is `at`
        assert fraction <= 255 and len(payload) * fraction // 256 == at, (name, at)
        splits += bytes([fraction, advance])
    assert len(pieces) - 1 <= 7, name
    data = bytes([flags | (len(pieces) - 1)]) + splits + payload
    with open(os.path.join(HERE, directory, name), "wb") as file:
        file.write(data)


def get(path, version="HTTP/1.1", extra=""):
    return f"GET {path} {version}\r\nHost: gw\r\n{extra}\r\n"


SMUGGLED = "DELETE /admin HTTP/1.1\r\nHost: upstream.test\r\n\r\n"

c = "client"
seed(c, "get", 0, [(get("/orchestrator/ro/x"), 0)])
seed(c, "post-sized-query", 0,
     [("POST /orchestrator/svc/items?a=1 HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello", 0)])
seed(c, "pipelined", 0, [(get("/orchestrator/ro/x") + get("/orchestrator/none")
                          + "HEAD /orchestrator/svc/h HTTP/1.1\r\nHost: gw\r\n\r\n"
                          + "DELETE /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\n\r\n" + get("/orchestrator/ro/y"), 0)])
seed(c, "chunked-in-pieces", 0, [
    ("POST /orchestrator/svc/up HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 0),
    ("lo\r\n6;ext=1\r\n world\r\n", 4),
    ("0\r\nX-Trailer: t\r\n\r\n" + get("/orchestrator/ro/x"), 0)])
seed(c, "connection-names-content-length", 0, [
    ("GET /orchestrator/ro/x HTTP/1.1\r\nHost: gw\r\nConnection: keep-alive, content-length\r\n"
     f"Content-Length: {len(SMUGGLED)}\r\n\r\n{SMUGGLED}", 0)])
seed(c, "content-length-and-chunked", 0, [
    ("POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
     "0\r\n\r\n" + SMUGGLED, 0)])
seed(c, "bad-chunk-size", 0, [
    ("POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 0),
    ("zz\r\nabc\r\n0\r\n\r\n", 0)])
seed(c, "long-target", 0, [(get("/orchestrator/ro/" + "a" * 300), 0)])
seed(c, "huge-headers", 0, [
    (get("/orchestrator/ro/x", extra="".join(f"X-Filler-{i:02}: {'v' * 60}\r\n" for i in range(20))), 0)])
seed(c, "expect-continue", 0, [
    ("POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", 3),
    ("hello", 0)])
seed(c, "http10-keep-alive", 0, [
    (get("/orchestrator/ro/x", "HTTP/1.0", "Connection: keep-alive\r\n") + get("/orchestrator/svc/y?q=%2F", "HTTP/1.0"), 0)])
seed(c, "slow-head-timeout", 0, [("GET /orchestrator/ro/x HTTP/1.1\r\nHo", 5), ("st: gw\r\n\r\n", 0)])
seed(c, "drain-early-answer", 0x28, [
    ("POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", 0),
    ("0\r\n\r\n" + get("/orchestrator/ro/x"), 0)])
seed(c, "unanswered", 0x10, [(get("/orchestrator/ro/x") + get("/orchestrator/svc/y"), 0)])
seed(c, "refused-connection", 0x40, [(get("/orchestrator/ro/x") + get("/orchestrator/svc/y"), 0)])
seed(c, "client-stops-reading", 0x80, [(get("/orchestrator/ro/x"), 0), (get("/orchestrator/svc/y"), 0)])
seed(c, "trailer-connection-close", 0, [
    ("POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n"
     "Connection: close\r\nX-Checksum: 1\r\n\r\n", 0)])
seed(c, "duplicate-host", 0, [("GET /orchestrator/ro/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 0)])
seed(c, "odd-targets", 0, [
    (get("/orchestrator/svc/../ro/x") + get("/orchestrator//svc/x?y=1") + get("/health")
     + get("/orchestrator/svc/a%2fb"), 0)])
seed(c, "transfer-encoding-variants", 0, [
    ("POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
     "POST /orchestrator/svc/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 0)])

OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
HEAD_OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
u = "upstream"
seed(u, "sized", 0, [(OK, 0), (OK, 0), (HEAD_OK, 0)])
seed(u, "chunked", 0, [
    ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3;x=y\r", 0),
    ("\nabc\r\n0\r\nX-T: 1\r\n\r\n", 0), (OK, 0), (HEAD_OK, 0)])
seed(u, "close-delimited", 0x08, [("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the connection closes", 0)])
seed(u, "informational", 0x20, [
    ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK, 0), (OK, 0), (HEAD_OK, 0)])
seed(u, "bad-status", 0x10, [("HTTP/1.1 600 Weird\r\nContent-Length: 2\r\n\r\nok", 0),
                             ("HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok", 0), ("HTTP/1.1 20 OK\r\n\r\n", 0)])
seed(u, "conflicting-lengths", 0x10, [
    ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", 0),
    ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 0),
    ("HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok", 0)])
seed(u, "truncated-sized", 0x08, [("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd", 0)])
seed(u, "truncated-chunked", 0x08, [("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n", 0)])
seed(u, "switching-protocols", 0x10, [
    ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", 0), (OK, 0), (HEAD_OK, 0)])
seed(u, "no-content-with-length", 0, [
    ("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 0), ("HTTP/1.1 304 Not Modified\r\n\r\n", 0), (HEAD_OK, 0)])
seed(u, "sequential-keep-alive", 0x10, [(OK, 0), (OK, 0), (HEAD_OK, 0)])
seed(u, "connection-close-then-new", 0x10, [
    ("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 0), (OK, 0), (HEAD_OK, 0)])
seed(u, "http10-close-delimited", 0x48, [("HTTP/1.0 200 OK\r\n\r\nbody", 0)])
seed(u, "invalid-header-bytes", 0, [
    ("HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 2\r\n\r\nok", 0),
    ("HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok", 0), (HEAD_OK, 0)])
seed(u, "response-timeout", 0x08, [("", 7), (OK, 0), (HEAD_OK, 0)])
seed(u, "head-response-with-body", 0x10, [(OK, 0), (OK, 0), ("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody", 0)])
seed(u, "client-stops-reading", 0x80, [("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab", 3), ("cd", 7), (OK, 0)])
# Findings: the 502 and the 504 must not leave pipelined requests waiting; a trailer must not
# carry framing to the client (FuzzFindingTests).
seed(u, "refused-head-then-pipelined", 0x08, [("HTTP/1.1 600 Weird\r\nContent-Length: 2\r\n\r\nok", 0), (OK, 0)])
seed(u, "trailer-framing-field", 0, [
    ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nTransfer-Encoding: gzip\r\n\r\n", 0),
    (OK, 0), (HEAD_OK, 0)])
seed(u, "extra-bytes-after-response", 0x10, [(OK + "HTTP/1.1 200 OK\r\n\r\n", 0), (OK, 0), (HEAD_OK, 0)])
