import Foundation

/// What a snapshot holds, kept in memory (by the control plane's registry, by a replica for the
/// snapshot it serves) and changed in place: the
/// endpoints in registration (`seq`) order, each with its canonical JSON encoded once, and the
/// proxy limits and TLS settings. A change costs the encoding and hashing of what changed plus
/// one pass over the kept 8-byte digests for the checksum; nothing else is encoded or hashed
/// again, and the store is not read.
///
/// The checksum and the stored body it gives are byte for byte those of ``Snapshot`` built from
/// the same content, so replicas and older records see no difference.
package struct SnapshotContent: Sendable, Equatable {
    package private(set) var endpoints: [SnapshotEndpoint] = []
    package private(set) var seqs: [Int] = []
    private var encoded: [Data] = []
    /// ``Snapshot/digest(of:)`` of each of ``encoded``.
    private var digests: [UInt64] = []
    /// Each endpoint's seq by name: with ``seqs`` in ascending order, its index is found by a
    /// binary search, so a removal or an insertion does not renumber every endpoint after it.
    private var seqByName: [String: Int] = [:]
    package var proxy: ProxyLimits?
    package var tls: TLSSettings?

    package init() {}

    /// Content in the order given (the store's `seq` order).
    package init(_ entries: [(endpoint: SnapshotEndpoint, seq: Int)], proxy: ProxyLimits?, tls: TLSSettings?) {
        endpoints.reserveCapacity(entries.count)
        for entry in entries { append(entry.endpoint, seq: entry.seq) }
        self.proxy = proxy
        self.tls = tls
    }

    /// The content of a stored snapshot with its endpoints' seqs; without them (or with a list
    /// that does not fit), seqs follow its order.
    package init(_ snapshot: Snapshot, seqs: [Int]? = nil) {
        let fitting = seqs.flatMap { $0.count == snapshot.endpoints.count ? $0 : nil }
        let seqs = fitting ?? snapshot.endpoints.indices.map { $0 + 1 }
        self.init(zip(snapshot.endpoints, seqs).map { ($0, $1) }, proxy: snapshot.proxy, tls: snapshot.tls)
    }

    package subscript(name: String) -> SnapshotEndpoint? {
        index(of: name).map { endpoints[$0] }
    }

    package func seq(of name: String) -> Int? {
        seqByName[name]
    }

    /// The index of the endpoint named `name`: a binary search for its seq, checked by name (seqs
    /// out of order, from a base frame that lied, fall back to a scan).
    private func index(of name: String) -> Int? {
        guard let seq = seqByName[name] else { return nil }
        let index = firstIndex(withSeqAbove: seq - 1)
        if index < endpoints.count, seqs[index] == seq, endpoints[index].name == name { return index }
        return endpoints.firstIndex { $0.name == name }
    }

    /// The index of the first seq above `seq` (the count when none is).
    private func firstIndex(withSeqAbove seq: Int) -> Int {
        var low = 0
        var high = seqs.count
        while low < high {
            let middle = (low + high) / 2
            if seqs[middle] > seq { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// This content with the seqs of `other`, which holds the same endpoints in the same order.
    package func withSeqs(of other: SnapshotContent) -> SnapshotContent {
        precondition(other.endpoints.count == endpoints.count)
        var copy = self
        copy.seqs = other.seqs
        copy.seqByName = other.seqByName
        return copy
    }

    /// Puts `endpoint` where `seq` orders it: in place when its seq is unchanged, else after
    /// every endpoint with a lower seq (a new or re-registered endpoint has the highest).
    package mutating func upsert(_ endpoint: SnapshotEndpoint, seq: Int) {
        let bytes = Snapshot.canonicalJSON(endpoint)
        if let index = index(of: endpoint.name) {
            if seqs[index] == seq {
                endpoints[index] = endpoint
                encoded[index] = bytes
                digests[index] = Snapshot.digest(of: bytes)
                return
            }
            remove(at: index)
        }
        let index = seqs.last.map { $0 > seq } == true ? firstIndex(withSeqAbove: seq) : seqs.count
        endpoints.insert(endpoint, at: index)
        seqs.insert(seq, at: index)
        encoded.insert(bytes, at: index)
        digests.insert(Snapshot.digest(of: bytes), at: index)
        seqByName[endpoint.name] = seq
    }

    package mutating func remove(_ name: String) {
        guard let index = index(of: name) else { return }
        remove(at: index)
    }

    private mutating func remove(at index: Int) {
        seqByName[endpoints[index].name] = nil
        endpoints.remove(at: index)
        seqs.remove(at: index)
        encoded.remove(at: index)
        digests.remove(at: index)
    }

    private mutating func append(_ endpoint: SnapshotEndpoint, seq: Int) {
        let bytes = Snapshot.canonicalJSON(endpoint)
        seqByName[endpoint.name] = seq
        endpoints.append(endpoint)
        seqs.append(seq)
        encoded.append(bytes)
        digests.append(Snapshot.digest(of: bytes))
    }

    /// Whether `other` differs in anything but endpoint health (health travels as updates).
    package func sameConfiguration(as other: SnapshotContent) -> Bool {
        guard proxy == other.proxy, tls == other.tls, endpoints.count == other.endpoints.count else { return false }
        return zip(endpoints, other.endpoints).allSatisfy { Self.sameConfiguration($0, $1) }
    }

    package static func sameConfiguration(_ lhs: SnapshotEndpoint?, _ rhs: SnapshotEndpoint?) -> Bool {
        guard let lhs, let rhs else { return lhs == nil && rhs == nil }
        return lhs.sameConfiguration(as: rhs)
    }

    /// ``Snapshot/checksum(of:proxy:tls:)`` of this content, from the kept digests.
    package var checksum: String {
        var builder = Snapshot.ChecksumBuilder()
        builder.add(digests: digests)
        return builder.finish(proxy: proxy, tls: tls)
    }

    /// The snapshot of this content.
    package func snapshot(version: Int, createdAt: String, cause: String) -> Snapshot {
        Snapshot(
            version: version, createdAt: createdAt, cause: cause, endpoints: endpoints, proxy: proxy, tls: tls,
            checksum: checksum)
    }

    /// `Snapshot.canonicalJSON(snapshot)` for the snapshot of this content, assembled from the kept
    /// encodings: the keys in sorted order, `proxy` and `tls` left out when `nil`.
    package func canonicalJSON(of snapshot: Snapshot) -> Data {
        var body = Data()
        body.reserveCapacity(encoded.reduce(256) { $0 + $1.count + 1 })
        body.append(contentsOf: #"{"cause":"#.utf8)
        body.append(Snapshot.canonicalJSON(snapshot.cause))
        body.append(contentsOf: #","checksum":"#.utf8)
        body.append(Snapshot.canonicalJSON(snapshot.checksum))
        body.append(contentsOf: #","created_at":"#.utf8)
        body.append(Snapshot.canonicalJSON(snapshot.createdAt))
        body.append(contentsOf: #","endpoints":["#.utf8)
        for (index, bytes) in encoded.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(bytes)
        }
        body.append(UInt8(ascii: "]"))
        if let proxy {
            body.append(contentsOf: #","proxy":"#.utf8)
            body.append(Snapshot.canonicalJSON(proxy))
        }
        if let tls {
            body.append(contentsOf: #","tls":"#.utf8)
            body.append(Snapshot.canonicalJSON(tls))
        }
        body.append(contentsOf: #","version":"#.utf8)
        body.append(contentsOf: String(snapshot.version).utf8)
        body.append(UInt8(ascii: "}"))
        return body
    }
}
