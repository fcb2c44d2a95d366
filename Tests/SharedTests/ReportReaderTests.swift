import Foundation
import Testing

@testable import Shared

/// The control plane reads replica reports with ``JSONReader`` instead of a tree: it must accept
/// exactly the reports `NodeDecoder` accepts, as the same values, and refuse the others.
@Suite struct ReportReaderTests {
    /// What the reader makes of `json`: the report, `nil` for another message, or its error.
    static func read(_ json: [UInt8]) -> Result<ReplicaReport?, JSONReader.Failure> {
        json.withUnsafeBytes { bytes in
            Result { () throws(JSONReader.Failure) in try DataPlaneMessage.readReport(bytes) }
        }
    }

    static func viaTree(_ json: [UInt8]) -> DataPlaneMessage? {
        try? NodeDecoder.decode(DataPlaneMessage.self, fromJSON: Data(json))
    }

    static func decoded(_ json: [UInt8]) -> DataPlaneMessage? {
        json.withUnsafeBytes { try? DataPlaneMessage.decode(fromJSON: $0) }
    }

    /// Both ways of writing `message`: sorted keys as replicas write them, and JSONEncoder's.
    static func writings(of message: DataPlaneMessage) throws -> [[UInt8]] {
        [try message.encodedJSON(), Array(try JSONEncoder().encode(message))]
    }

    @Test func everyMessageAReplicaSendsIsReadAsItWasAndOnlyReportsByTheReader() throws {
        var random = SystemRandomNumberGenerator()
        let messages = NodeDecoderTests.messages + (0..<200).map { _ in .report(RandomReport.make(using: &random)) }
        for message in messages {
            for json in try Self.writings(of: message) {
                #expect(Self.decoded(json) == message)
                let read = try Self.read(json).get()
                if case .report(let report) = message {
                    #expect(read == report)
                } else {
                    #expect(read == nil)
                }
            }
        }
    }

    static let valid = #"{"buckets": [], "sum": 0, "count": 0}"#

    /// A report of one endpoint's traffic: its required members, each of `fields` (`"key": value`)
    /// in place of the member of its key or added.
    static func endpoint(_ fields: String...) -> String {
        var members = [
            #""endpoint": "a""#, #""responses": {}"#, #""upstream_errors": {}"#, #""breaker_transitions": 0"#,
            #""upstream_duration": \#(valid)"#, #""request_duration": \#(valid)"#,
        ]
        for field in fields {
            let key = field.prefix { $0 != ":" }
            members.removeAll { $0.hasPrefix(key) }
            members.append(field)
        }
        return #"{"type": "report", "report": {"traffic": {"active_connections": 0, "pooled_connections": 0, "#
            + #""endpoints": [{\#(members.joined(separator: ", "))}]}}}"#
    }

    @Test(arguments: [
        #"{"type": "report", "report": {"requests": 4, "draining": null, "extra": [1, {"x": 2, "x": 3}]}}"#,
        #"{"report": {"requests": 4}, "version": "ignored", "type": "report"}"#,
        #"{"type": "report", "report": {"requ\u0065sts": 4, "health_seq": null}}"#,
        #"  {"type":"report","report":{"breakers":[],"traffic":null}}  "#,
        endpoint(#""retries": null"#, #""rate_limited": 3"#, #""unknown": {"deep": [[[]]]}"#),
        endpoint(#""responses": {"2xx": 1, "5xx": 2}"#, #""retries": {"connect": 1}"#),
    ])
    func reportsTheTreeAcceptsTheReaderReadsAsTheSameValue(_ json: String) throws {
        let bytes = Array(json.utf8)
        guard case .report(let expected)? = Self.viaTree(bytes) else {
            Issue.record("NodeDecoder refused \(json)")
            return
        }
        #expect(try Self.read(bytes).get() == expected)
    }

    @Test(arguments: [
        #"{"type": "report", "report": {"requests": 4, "requests": 5}}"#,
        #"{"type": "report", "report": {"requests": null, "requests": 5}}"#,
        #"{"type": "report", "report": {"x": 1, "x": 1}}"#,
        #"{"type": "report", "type": "report", "report": {}}"#,
        #"{"type": "report", "report": {}, "z": 1, "z": 1}"#,
        #"{"type": "report"}"#,
        #"{"type": "report", "report": null}"#,
        #"{"type": "report", "report": {"requests": 4.0}}"#,
        #"{"type": "report", "report": {"requests": 1e3}}"#,
        #"{"type": "report", "report": {"requests": "4"}}"#,
        #"{"type": "report", "report": {"requests": 99999999999999999999}}"#,
        #"{"type": "report", "report": {"draining": 1}}"#,
        #"{"type": "report", "report": {"breakers": {}}}"#,
        #"{"type": "report", "report": {}} x"#,
        #"{"type": "report", "report": {},}"#,
        #"{"type": "report", "report": {"breakers": [,]}}"#,
        #"{"type": "report", "report": {"breakers": []]}"#,
        #"{"type": "report" "report": {}}"#,
        #"{"type": "report", "report": {"x": "\ud800"}}"#,
        endpoint(#""responses": null"#),
        endpoint(#""responses": {"2xx": 1, "2xx": 1}"#),
        endpoint(#""retries": {"connect": 1.5}"#),
        endpoint(#""request_duration": {"buckets": [1], "sum": 0}"#),
        endpoint(#""request_duration": {"buckets": [1], "sum": "0", "count": 1}"#),
        endpoint(#""request_duration": {"buckets": [1], "sum": 0, "count": 1, "count": 1}"#),
        endpoint(#""endpoint": 5"#),
        #"{"type": "report", "report": {"x": "#
            + String(repeating: "[", count: JSONTreeParser.maximumDepth) + String(repeating: "]", count: 100) + "}}",
    ])
    func reportsTheTreeRefusesTheReaderRefuses(_ json: String) {
        let bytes = Array(json.utf8)
        #expect(Self.viaTree(bytes) == nil)
        guard case .failure = Self.read(bytes) else {
            Issue.record("the reader accepted \(json)")
            return
        }
        #expect(Self.decoded(bytes) == nil)
    }

    @Test func aMessageThatIsNotAReportGoesThroughTheTreeWhateverItsReportKeyHolds() {
        let json = Array(#"{"type": "ack", "version": 7, "report": 5}"#.utf8)
        #expect(Self.decoded(json) == .ack(version: 7))
    }

    /// Random edits of valid reports: whatever the reader accepts, the tree accepts as the same
    /// report, and the other way round.
    @Test func editedReportsAreAcceptedByTheReaderExactlyWhenTheTreeAcceptsThem() throws {
        var random = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]",:-.0123456789eEnulltrfas\ "#.utf8)
        for _ in 0..<40 {
            let message = DataPlaneMessage.report(RandomReport.make(using: &random))
            for original in try Self.writings(of: message) {
                for _ in 0..<25 {
                    var json = original
                    for _ in 0..<Int.random(in: 1...3, using: &random) where !json.isEmpty {
                        let at = Int.random(in: 0..<json.count, using: &random)
                        switch Int.random(in: 0..<3, using: &random) {
                        case 0: json[at] = alphabet.randomElement(using: &random)!
                        case 1: json.remove(at: at)
                        default: json.insert(alphabet.randomElement(using: &random)!, at: at)
                        }
                    }
                    let tree = Self.viaTree(json)
                    switch Self.read(json) {
                    case .success(let report?):
                        #expect(tree == .report(report), "\(String(decoding: json, as: UTF8.self))")
                    case .success(nil): if case .report? = tree { Issue.record("not read as a report") }
                    case .failure:
                        if case .report? = tree { Issue.record("refused: \(String(decoding: json, as: UTF8.self))") }
                    }
                    #expect(Self.decoded(json) == tree)
                }
            }
        }
    }
}
