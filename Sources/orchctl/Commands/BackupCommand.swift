import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `orchctl backup FILE`: a consistent copy of the control plane's store, written to FILE.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Save a consistent copy of the control plane's store (SQLite) to FILE.",
        discussion: """
            The control plane makes the copy with SQLite's VACUUM INTO while it keeps serving, so the file \
            holds everything committed up to one moment, the WAL included (a plain copy of \
            orchestrator.sqlite may not). Restore it with 'orch-control-plane --restore FILE'. \
            The file is written with mode 0600: it holds every endpoint and snapshot.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Where to write the backup (replaced if it exists).")
    var file: String

    func run() async throws {
        let (bytes, version) = try await AdminClient.with(global) { client in
            try await client.download("/backup", to: file, action: "make a backup")
        }
        let summary = ["file": file, "bytes": "\(bytes)", "snapshot_version": version ?? "unknown"]
        switch global.output {
        case .json:
            print(JSONPrinter.pretty(try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])))
        case .table:
            print("Backup written to \(file) (\(bytes) bytes, snapshot version \(version ?? "unknown"))")
        }
    }
}

extension AdminClient {
    /// GETs `path` and streams a 2xx body into `file` (through a temporary file in the same
    /// directory, renamed at the end, mode 0600); returns the bytes written and the
    /// `X-Snapshot-Version` header.
    func download(_ path: String, to file: String, action: String) async throws(OrchctlError) -> (Int, String?) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "User-Agent", value: "orchctl/\(Orchctl.version)")
        if let value = token.value { request.headers.add(name: "Authorization", value: "Bearer \(value)") }
        let temporary = file + ".part"
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, deadline: .now() + .milliseconds(Int64(timeout * 1000)))
        } catch {
            throw TransportFailure(error, url: baseURL, timeout: timeout).error
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            let body =
                (try? await response.body.collect(upTo: 1024 * 1024)).map { Data($0.readableBytesView) } ?? Data()
            throw ServerRefusal(status: Int(response.status.code), body: body).error(
                action: action, url: baseURL, token: token, notFoundHint: nil)
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .usage("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var written = 0
        do {
            for try await chunk in response.body {
                try handle.write(contentsOf: Data(chunk.readableBytesView))
                written += chunk.readableBytes
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            unlink(temporary)
            throw TransportFailure(error, url: baseURL, timeout: timeout).error
        }
        guard rename(temporary, file) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .usage("cannot write \(file): \(reason)")
        }
        return (written, response.headers.first(name: "X-Snapshot-Version"))
    }
}
