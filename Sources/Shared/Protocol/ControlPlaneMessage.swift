import Foundation

/// A message the control plane sends to a data plane.
public enum ControlPlaneMessage: Sendable, Equatable {
    /// The complete routing state to serve.
    case snapshot(Snapshot)
    /// The complete routing state with each endpoint's registration seq (in the snapshot's
    /// order): the base that ``delta(_:)`` frames build on. Sent to replicas that said in
    /// `hello` that they take deltas.
    case base(Snapshot, seqs: [Int])
    /// The change from one version to the next (or to a later one: changes coalesce).
    case delta(SnapshotDeltaFrame)
    /// Health flips since the snapshot ``HealthUpdate/version``.
    case health(HealthUpdate)
    /// Stop accepting connections, finish what is in flight, exit by the deadline.
    case drain(deadlineSeconds: Double)
    /// Close the breaker of one endpoint (every endpoint when `nil`).
    case resetBreaker(endpoint: String?)
    /// Hand the inherited listening sockets to the control plane: connect to the Unix stream
    /// socket at `path` and send, in one message, one byte per socket naming it
    /// (``InheritedListener/handOverMarker``) with the descriptors attached in the same order
    /// (`SCM_RIGHTS`). A restarted control plane adopts the running replicas' sockets this way.
    case sendListener(path: String)
    /// How many replicas are connected to the control plane now: what a rate limit with
    /// `scope: gateway` is divided by. Sent on every connect and disconnect.
    case replicas(count: Int)
    /// The control plane will not serve this replica (another major version, a newer minor
    /// one, a certificate name it does not allow) and closes the connection after this.
    case refused(reason: String)

    enum CodingKeys: String, CodingKey {
        case type, snapshot, endpoint, path, seqs, delta
        case deadlineSeconds = "deadline_s"
    }

    /// What a data plane makes of one frame: a message, or a snapshot it must NACK.
    public enum Received: Sendable {
        case message(ControlPlaneMessage)
        /// A snapshot that failed validation; `version` is 0 when unreadable.
        case invalidSnapshot(version: Int, error: ValidationError)
    }

    /// Decodes a frame, validating a snapshot with the shared validator.
    ///
    /// - Throws: ``ValidationError`` when the frame is not a message at all.
    public static func decode(_ frame: Data) throws(ValidationError) -> Received {
        let root = try ConfigNode.parseJSON(frame)
        guard case .object(let members) = root.value,
            case .string(let type)? = members.first(where: { $0.key == "type" })?.value.value
        else {
            throw ValidationError(field: "type", "message has no type")
        }
        let field = { (key: String) in members.first(where: { $0.key == key })?.value }
        switch type {
        case "snapshot":
            guard let body = field("snapshot") else { throw ValidationError(field: "snapshot", "is required") }
            let snapshot: Snapshot
            do {
                snapshot = try Snapshot.validate(body)
            } catch {
                return .invalidSnapshot(version: body.intMember("version") ?? 0, error: error)
            }
            guard let seqsNode = field("seqs") else { return .message(.snapshot(snapshot)) }
            guard case .array(let items) = seqsNode.value, items.count == snapshot.endpoints.count else {
                return .invalidSnapshot(
                    version: snapshot.version,
                    error: ValidationError(field: "seqs", "must list one seq per endpoint"))
            }
            var seqs: [Int] = []
            for item in items {
                guard case .int(let seq) = item.value, seq >= 0, seqs.last.map({ seq > $0 }) ?? true else {
                    return .invalidSnapshot(
                        version: snapshot.version,
                        error: ValidationError(field: "seqs", "must be increasing whole numbers"))
                }
                seqs.append(seq)
            }
            return .message(.base(snapshot, seqs: seqs))
        case "delta":
            guard let body = field("delta") else { throw ValidationError(field: "delta", "is required") }
            do {
                return .message(.delta(try SnapshotDeltaFrame.validate(body)))
            } catch {
                return .invalidSnapshot(version: body.intMember("version") ?? 0, error: error)
            }
        case "health":
            let update: HealthUpdate
            do {
                update = try NodeDecoder.decode(HealthFrame.self, from: root).health
            } catch {
                throw ValidationError(field: "health", "is not a health update: \(error)")
            }
            if let problem = update.boundsProblem { throw ValidationError(field: "health", problem) }
            return .message(.health(update))
        case "drain":
            let seconds: Double
            switch field("deadline_s")?.value {
            case .int(let value): seconds = Double(value)
            case .double(let value): seconds = value
            default: seconds = 30
            }
            return .message(.drain(deadlineSeconds: seconds))
        case "reset_breaker":
            if case .string(let name)? = field("endpoint")?.value { return .message(.resetBreaker(endpoint: name)) }
            return .message(.resetBreaker(endpoint: nil))
        case "send_listener":
            guard case .string(let path)? = field("path")?.value, !path.isEmpty else {
                throw ValidationError(field: "path", "is required")
            }
            return .message(.sendListener(path: path))
        case "replicas":
            guard case .int(let count)? = field("count")?.value, (1...1_000_000).contains(count) else {
                throw ValidationError(field: "count", "must be a whole number from 1 to 1000000")
            }
            return .message(.replicas(count: count))
        case "refused":
            guard case .string(let reason)? = field("reason")?.value else {
                throw ValidationError(field: "reason", "is required")
            }
            return .message(.refused(reason: String(reason.prefix(1024))))
        default:
            throw ValidationError(field: "type", "unknown message type '\(type)'")
        }
    }

    /// The JSON body of this message's frame.
    public func encoded() -> Data {
        switch self {
        case .snapshot(let snapshot):
            return Snapshot.canonicalJSON(SnapshotFrame(type: "snapshot", snapshot: snapshot))
        case .base(let snapshot, let seqs):
            return Snapshot.canonicalJSON(SnapshotFrame(type: "snapshot", snapshot: snapshot, seqs: seqs))
        case .delta(let frame):
            return Snapshot.canonicalJSON(DeltaFrame(type: "delta", delta: frame))
        case .health(let update):
            return Snapshot.canonicalJSON(HealthFrame(type: "health", health: update))
        case .drain(let seconds):
            return Snapshot.canonicalJSON(DrainFrame(type: "drain", deadlineSeconds: seconds))
        case .resetBreaker(let endpoint):
            return Snapshot.canonicalJSON(ResetFrame(type: "reset_breaker", endpoint: endpoint))
        case .sendListener(let path):
            return Snapshot.canonicalJSON(SendListenerFrame(type: "send_listener", path: path))
        case .replicas(let count):
            return Snapshot.canonicalJSON(ReplicasFrame(type: "replicas", count: count))
        case .refused(let reason):
            return Snapshot.canonicalJSON(RefusedFrame(type: "refused", reason: reason))
        }
    }
}

private struct SnapshotFrame: Encodable {
    var type: String
    var snapshot: Snapshot
    var seqs: [Int]?
}

private struct DeltaFrame: Encodable {
    var type: String
    var delta: SnapshotDeltaFrame
}

private struct HealthFrame: Codable {
    var type: String
    var health: HealthUpdate
}

private struct ResetFrame: Encodable {
    var type: String
    var endpoint: String?
}

private struct RefusedFrame: Encodable {
    var type: String
    var reason: String
}

private struct ReplicasFrame: Encodable {
    var type: String
    var count: Int
}

private struct SendListenerFrame: Encodable {
    var type: String
    var path: String
}

private struct DrainFrame: Encodable {
    var type: String
    var deadlineSeconds: Double
    enum CodingKeys: String, CodingKey {
        case type
        case deadlineSeconds = "deadline_s"
    }
}

extension ConfigNode {
    func intMember(_ key: String) -> Int? {
        guard case .object(let members) = value,
            case .int(let number)? = members.first(where: { $0.key == key })?.value.value
        else { return nil }
        return number
    }
}
