import Foundation

/// A `delta` frame: the change from version ``from`` (whose checksum was ``fromChecksum``) to
/// ``version``, whose content has ``checksum``. A replica applies it only on top of exactly
/// ``from``, checks the result's checksum, and acknowledges ``version``; otherwise it NACKs
/// and the control plane sends the whole snapshot.
public struct SnapshotDeltaFrame: Sendable, Equatable, Codable {
    public var from: Int
    public var fromChecksum: String
    public var version: Int
    public var checksum: String
    public var createdAt: String
    public var cause: String
    package var change: SnapshotDelta

    package init(
        from: Int, fromChecksum: String, version: Int, checksum: String, createdAt: String, cause: String,
        change: SnapshotDelta
    ) {
        self.from = from
        self.fromChecksum = fromChecksum
        self.version = version
        self.checksum = checksum
        self.createdAt = createdAt
        self.cause = cause
        self.change = change
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case from
        case fromChecksum = "from_checksum"
        case version, checksum
        case createdAt = "created_at"
        case cause, change
    }

    /// The snapshot this frame makes of `content` (the content of version ``from``), or why not.
    package func applied(
        to content: consuming SnapshotContent
    ) -> Result<(Snapshot, SnapshotContent), DeltaRefusal> {
        var next = content
        change.apply(to: &next)
        let snapshot = next.snapshot(version: version, createdAt: createdAt, cause: cause)
        guard snapshot.checksum == checksum else {
            return .failure(.checksumMismatch(expected: checksum, got: snapshot.checksum))
        }
        return .success((snapshot, next))
    }
}

/// Why a replica did not apply a delta.
package enum DeltaRefusal: Error, Equatable, CustomStringConvertible {
    /// The replica does not serve the version (and content) the delta starts from.
    case notOnBase(from: Int, serving: Int?)
    /// Applied, the content's checksum is not the one the delta names.
    case checksumMismatch(expected: String, got: String)

    package var description: String {
        switch self {
        case .notOnBase(let from, let serving):
            "delta from version \(from) does not apply: serving \(serving.map(String.init) ?? "nothing") (or other content)"
        case .checksumMismatch(let expected, let got):
            "delta applied gives checksum \(got), not \(expected)"
        }
    }
}

extension SnapshotDeltaFrame {
    /// Validates a `delta` frame's body with the shared validator (every upserted endpoint as in a
    /// whole snapshot).
    static func validate(_ node: ConfigNode) throws(ValidationError) -> SnapshotDeltaFrame {
        let context = ValidationContext()
        guard
            let reader = ObjectReader(
                node, path: "delta", allowedKeys: Set(CodingKeys.allCases.map(\.rawValue)), context: context)
        else { throw ValidationError(context.issues) }
        let from = reader.integer("from", in: 0...Int.max)
        let version = reader.integer("version", in: 1...Int.max)
        let fromChecksum = reader.string("from_checksum")
        let checksum = reader.string("checksum")
        for key in ["from", "version", "from_checksum", "checksum", "change"] where !reader.has(key) {
            reader.requireMissing(key)
        }
        var change = SnapshotDelta()
        if let block = reader.object("change", allowedKeys: ["upsert", "remove", "proxy", "tls"]) {
            let endpointKeys = Set(SnapshotEndpoint.CodingKeys.allCases.map(\.rawValue))
            change.upsert =
                block.list("upsert") { item, path -> SnapshotDelta.Upsert? in
                    guard
                        let entry = ObjectReader(item, path: path, allowedKeys: ["seq", "endpoint"], context: context),
                        let seq = entry.integer("seq", in: 0...Int.max),
                        let endpointReader = entry.object("endpoint", allowedKeys: endpointKeys),
                        let endpoint = SnapshotEndpoint.read(endpointReader)
                    else { return nil }
                    return SnapshotDelta.Upsert(seq: seq, endpoint: endpoint)
                } ?? []
            change.remove =
                block.list("remove") { item, path -> String? in
                    guard case .string(let name) = item.value else {
                        context.fail(path, item.line, "must be an endpoint name")
                        return nil
                    }
                    return name
                } ?? []
            change.proxy = block.object("proxy", allowedKeys: ProxyLimits.allowedKeys).map(ProxyLimits.read)
            change.tls = block.object("tls", allowedKeys: TLSSettings.allowedKeys).flatMap(TLSSettings.read)
        }
        try context.check()
        return SnapshotDeltaFrame(
            from: from ?? 0, fromChecksum: fromChecksum ?? "", version: version ?? 0, checksum: checksum ?? "",
            createdAt: reader.string("created_at") ?? "", cause: reader.string("cause") ?? "", change: change)
    }
}
