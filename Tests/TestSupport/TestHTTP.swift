import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A response as a test sees it.
public struct TestResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    public init(status: Int, headers: HTTPHeaders = [:], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object (empty when it is not one): for bodies that are not admin API
    /// answers (the data plane's `/health` and errors, upstream echoes, the OpenAPI document), and
    /// for what a decode cannot show (a key present as `null`). Admin answers are read with
    /// ``decode(_:)`` into their `AdminAPI` type.
    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
    }

    /// `detail` of an error body.
    public var detail: String? { json["detail"] as? String }

    /// The body decoded as `type` (an `AdminAPI` type, for admin answers).
    public func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try JSONDecoder().decode(type, from: body)
    }
}

/// One HTTP client for all tests: no redirects followed, no decompression, no cookie jar.
public enum TestHTTP {
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public static func request(
        _ method: HTTPMethod,
        _ url: String,
        headers: [(String, String)] = [],
        body: Data? = nil,
        timeout: Double = 60
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
        var collected = try await response.body.collect(upTo: 512 * 1024 * 1024)
        let data = Data(collected.readBytes(length: collected.readableBytes) ?? [])
        return TestResponse(status: Int(response.status.code), headers: response.headers, body: data)
    }
}

extension Data {
    /// UTF-8 bytes of a string literal, for request bodies.
    public init(json text: String) { self = Data(text.utf8) }
}
