import NIOCore
import NIOEmbedded
import NIOHTTP1

/// What the proxy's peers would make of the bytes it sends them: NIO's own HTTP/1.1 decoder reads
/// one direction of a connection, and every head it produces must also be well framed (see
/// ``HTTPMessageRules``). Throws at the first byte that is not valid HTTP.
package final class HTTPRequestStreamChecker {
    private let channel = EmbeddedChannel()

    package init() throws {
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
    }

    /// Decodes the next bytes of the stream; returns the parts they complete.
    package func feed(_ bytes: some Sequence<UInt8>) throws -> [HTTPServerRequestPart] {
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        try channel.throwIfErrorCaught()
        var parts: [HTTPServerRequestPart] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            if case .head(let head) = part, let problem = HTTPMessageRules.problem(head.headers, version: head.version)
            {
                throw HTTPStreamError(description: "request head: \(problem)")
            }
            if case .end(let trailers?) = part, let problem = HTTPMessageRules.trailerProblem(trailers) {
                throw HTTPStreamError(description: "request trailers: \(problem)")
            }
            parts.append(part)
        }
        return parts
    }

    /// Ends the stream without judging it (a connection may close in the middle of a message).
    package func close() {
        try? channel.close().wait()
        try? channel.throwIfErrorCaught()
        // The close leaves tasks on the channel's own loop; until they run, they keep it alive.
        channel.embeddedEventLoop.run()
    }
}

/// The response direction: NIO's response decoder must be told the method of each request
/// (responses to `HEAD` have no body), in order, before the bytes of its response.
package final class HTTPResponseStreamChecker {
    private let channel = EmbeddedChannel()

    package init() throws {
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(HTTPResponseDecoder(informationalResponseStrategy: .forward)))
    }

    /// The next response answers a request with `method`.
    package func expectResponse(to method: HTTPMethod) throws {
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: "/")
        try channel.writeOutbound(HTTPClientRequestPart.head(head))
        _ = try channel.readOutbound(as: HTTPClientRequestPart.self)
    }

    /// Decodes the next bytes of the stream; returns the parts they complete.
    package func feed(_ bytes: some Sequence<UInt8>) throws -> [HTTPClientResponsePart] {
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        try channel.throwIfErrorCaught()
        return try readParts()
    }

    /// The connection closed: completes a response that ends with it. Returns the parts that
    /// completes and what the decoder made of the end (an error when it cut a message).
    package func close() -> (parts: [HTTPClientResponsePart], error: (any Error)?) {
        try? channel.close().wait()
        channel.embeddedEventLoop.run()
        var error: (any Error)?
        do { try channel.throwIfErrorCaught() } catch let caught { error = caught }
        let parts = (try? readParts()) ?? []
        return (parts, error)
    }

    private func readParts() throws -> [HTTPClientResponsePart] {
        var parts: [HTTPClientResponsePart] = []
        while let part = try channel.readInbound(as: HTTPClientResponsePart.self) {
            if case .head(let head) = part {
                if let problem = HTTPMessageRules.problem(head.headers, version: head.version) {
                    throw HTTPStreamError(description: "response head: \(problem)")
                }
                guard (100...599).contains(head.status.code) else {
                    throw HTTPStreamError(description: "response status \(head.status.code)")
                }
            }
            if case .end(let trailers?) = part, let problem = HTTPMessageRules.trailerProblem(trailers) {
                throw HTTPStreamError(description: "response trailers: \(problem)")
            }
            parts.append(part)
        }
        return parts
    }
}

/// A byte stream that is not valid HTTP/1.1.
package struct HTTPStreamError: Error, CustomStringConvertible {
    package var description: String
}

/// What a decoded head must also satisfy to be well framed for any HTTP/1.1 peer, beyond what
/// NIO's decoder checks: HTTP/1.0 or 1.1; header names are tokens and values hold no control
/// bytes (RFC 9110 §5); no `Content-Length` beside `Transfer-Encoding`, and no two different
/// lengths (RFC 9112 §6.3). Trailers: ``trailerProblem(_:)``.
package enum HTTPMessageRules {
    package static func problem(_ headers: HTTPHeaders, version: HTTPVersion) -> String? {
        guard version.major == 1, version.minor <= 1 else { return "version \(version)" }
        var lengths = Set<Substring>()
        var transferEncoding = false
        for (name, value) in headers {
            guard isToken(name) else { return "header name \(name.debugDescription)" }
            guard isFieldValue(value) else { return "value of \(name): \(value.debugDescription)" }
            switch name.lowercased() {
            case "content-length":
                for length in value.split(separator: ",", omittingEmptySubsequences: false) {
                    lengths.insert(length.drop { $0 == " " || $0 == "\t" })
                }
            case "transfer-encoding":
                transferEncoding = true
            default:
                break
            }
        }
        if lengths.count > 1 { return "conflicting Content-Length values \(lengths.sorted())" }
        if transferEncoding && !lengths.isEmpty { return "both Content-Length and Transfer-Encoding" }
        return nil
    }

    /// Fields that describe the connection or the framing, which a trailer section must not carry
    /// (RFC 9110 §6.5.1): a peer that honours them there reads the connection differently (llhttp
    /// takes `Transfer-Encoding` or `Connection: close` in trailers to end it).
    static let forbiddenInTrailers: Set<String> = [
        "connection", "content-length", "host", "keep-alive", "proxy-connection", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    /// What is wrong with a trailer section, if anything: the rules of a head's fields, and none
    /// of ``forbiddenInTrailers``.
    package static func trailerProblem(_ trailers: HTTPHeaders) -> String? {
        for (name, value) in trailers {
            guard isToken(name) else { return "field name \(name.debugDescription)" }
            guard isFieldValue(value) else { return "value of \(name): \(value.debugDescription)" }
            if forbiddenInTrailers.contains(name.lowercased()) { return "\(name) in trailers" }
        }
        return nil
    }

    /// RFC 9110 `token`.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default:
                    "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }

    /// RFC 9110 `field-value` bytes: visible characters, space, tab and obs-text.
    static func isFieldValue(_ text: String) -> Bool {
        text.utf8.allSatisfy { byte in byte >= 0x20 ? byte != 0x7F : byte == 0x09 }
    }
}

@available(*, unavailable)
extension HTTPRequestStreamChecker: Sendable {}

@available(*, unavailable)
extension HTTPResponseStreamChecker: Sendable {}
