import DataPlane
import Logging
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

extension EmbeddedProxy {
    /// One HTTP/2 stream's pipeline as the TLS listener builds it per stream: NIOHTTP2's HTTP/1
    /// codec and a ``ProxyServerHandler`` for ``ClientTransport/h2TLS``.
    static func configureStream(_ channel: EmbeddedChannel, state: LoopState, environment: ProxyEnvironment) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
        try pipeline.addHandler(
            ProxyServerHandler(loop: state, environment: environment, logger: Logger(label: "test"), transport: .h2TLS))
    }

    /// The client sends a request's HEADERS frame on the stream.
    package func sendHeaders(
        _ method: String, _ path: String, authority: String = "gw.test", headers: [(String, String)] = [],
        endStream: Bool
    ) throws {
        var fields = HPACKHeaders([
            (":method", method), (":path", path), (":scheme", "https"), (":authority", authority),
        ])
        for (name, value) in headers { fields.add(name: name, value: value) }
        try client.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: fields, endStream: endStream)))
    }

    /// The client sends a DATA frame on the stream.
    package func sendData(_ text: String, endStream: Bool) throws {
        try client.writeInbound(
            HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: text)), endStream: endStream)))
    }

    /// What the proxy wrote on the stream so far, as one response.
    package func streamResponse() throws -> StreamResponse {
        while let payload = try client.readOutbound(as: HTTP2Frame.FramePayload.self) {
            streamPayloads.append(payload)
        }
        return StreamResponse(streamPayloads)
    }
}

/// The frames a server wrote on one HTTP/2 stream, read back as a response.
package struct StreamResponse {
    /// Header fields of the first HEADERS frame, `:status` included, in order.
    package var headers: [(String, String)] = []
    package var body = ""
    /// Trailer fields (a second HEADERS frame), if any.
    package var trailers: [(String, String)]?
    /// A frame with END_STREAM was written.
    package var ended = false

    init(_ payloads: [HTTP2Frame.FramePayload]) {
        for payload in payloads {
            switch payload {
            case .headers(let frame):
                let fields = frame.headers.map { ($0.name, $0.value) }
                if headers.isEmpty || headers.contains(where: { $0.0 == ":status" && $0.1.hasPrefix("1") }) {
                    headers = fields
                } else {
                    trailers = fields
                }
                ended = ended || frame.endStream
            case .data(let frame):
                if case .byteBuffer(let buffer) = frame.data { body += String(buffer: buffer) }
                ended = ended || frame.endStream
            default:
                break
            }
        }
    }

    package var status: Int? { values(":status").first.flatMap { Int($0) } }

    package func values(_ name: String) -> [String] {
        headers.filter { $0.0 == name }.map(\.1)
    }
}
