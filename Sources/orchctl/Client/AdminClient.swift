import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The admin API of one control plane: sends each request with the bearer token and turns
/// every answer that is not 2xx, and every transport failure, into an ``OrchctlError``.
struct AdminClient: Sendable {
    /// Base URL without a trailing `/`.
    let baseURL: String
    let token: AdminToken
    let http: HTTPClient
    /// Seconds a whole request may take (`--timeout`).
    let timeout: Double

    /// Seconds to wait for a TCP connection; the admin API is local, so this stays short.
    static let connectTimeout: Int64 = 3

    /// Runs `body` with a client for the options' URL and token, and shuts the client down.
    static func with<T: Sendable>(
        _ options: GlobalOptions, _ body: (AdminClient) async throws -> T
    ) async throws -> T {
        let baseURL = try options.resolvedAdminURL()
        let timeout = try options.resolvedTimeout()
        let milliseconds = Int64(timeout * 1000)
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(
            connect: .milliseconds(min(connectTimeout * 1000, milliseconds)), read: .milliseconds(milliseconds))
        // Report a refused connection at once instead of retrying until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let client = AdminClient(baseURL: baseURL, token: options.resolvedToken(), http: http, timeout: timeout)
        do {
            let result = try await body(client)
            try? await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// Sends one request and returns the body of a 2xx answer.
    ///
    /// - Parameters:
    ///   - action: what the request does, for error messages (`remove endpoint 'x'`).
    ///   - notFoundHint: what to do when the answer is 404.
    func send(
        _ method: HTTPMethod,
        _ path: String,
        body: Data? = nil,
        contentType: String = "application/json",
        action: String,
        notFoundHint: String? = nil
    ) async throws(OrchctlError) -> Data {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "orchctl/\(Orchctl.version)")
        if let value = token.value { request.headers.add(name: "Authorization", value: "Bearer \(value)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let status: Int
        let data: Data
        do {
            let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
            let response = try await http.execute(request, deadline: deadline)
            var buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
            status = Int(response.status.code)
            data = Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch {
            throw TransportFailure(error, url: baseURL, timeout: timeout).error
        }
        guard (200..<300).contains(status) else {
            throw ServerRefusal(status: status, body: data).error(
                action: action, url: baseURL, token: token, notFoundHint: notFoundHint)
        }
        return data
    }

    /// GETs `path` and decodes its answer, keeping the raw JSON for `--output json`.
    func fetch<Value: Decodable>(
        _ type: Value.Type, _ path: String, action: String, notFoundHint: String? = nil
    ) async throws(OrchctlError) -> Fetched<Value> {
        try await fetch(type, .GET, path, action: action, notFoundHint: notFoundHint)
    }

    /// Sends one request and decodes its answer, keeping the raw JSON for `--output json`.
    func fetch<Value: Decodable>(
        _ type: Value.Type,
        _ method: HTTPMethod,
        _ path: String,
        body: Data? = nil,
        contentType: String = "application/json",
        action: String,
        notFoundHint: String? = nil
    ) async throws(OrchctlError) -> Fetched<Value> {
        let raw = try await send(
            method, path, body: body, contentType: contentType, action: action, notFoundHint: notFoundHint)
        do {
            return Fetched(value: try JSONDecoder().decode(Value.self, from: raw), raw: raw)
        } catch {
            throw .failure(
                "could not \(action): the answer from \(baseURL)\(path) is not what orchctl expects"
                    + " (\(error.localizedDescription)); is --admin-url the Orchestrator admin API?")
        }
    }
}

/// A decoded answer with the exact bytes it came from.
struct Fetched<Value> {
    let value: Value
    let raw: Data
}

extension Fetched: Sendable where Value: Sendable {}

/// Percent-encodes one path segment (endpoint names are plain, but input is input).
enum PathComponent {
    static func encode(_ segment: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#;%")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }
}
