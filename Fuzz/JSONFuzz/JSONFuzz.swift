import Foundation
import ProxyFuzzSupport
import Shared

/// libFuzzer's entry point: arbitrary bytes as a JSON document, as the gateway reads them from
/// admin API bodies, control-plane frames, replica messages and cache files.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    fuzzJSON(Data(UnsafeBufferPointer(start: start, count: count)))
}

/// Invariants, beyond not crashing or hanging: a document the parser accepts, written back out,
/// parses to the same tree; the typed readers on top of it (replica messages, control-plane frames,
/// snapshots, endpoint configs) answer a value or an error; the report reader accepts a report
/// exactly when the tree's decoder does, as the same value.
func fuzzJSON(_ data: Data) -> CInt {
    checkReportReader(data)
    guard let root = try? ConfigNode.parseJSON(data) else { return 0 }
    let written = JSONWriting.text(of: root.value)
    guard let again = try? ConfigNode.parseJSON(Data(written.utf8)), again == root else {
        fatalError("invariant broken: the tree written back as \(written) does not parse to the same tree")
    }
    _ = try? NodeDecoder.decode(DataPlaneMessage.self, from: root)
    _ = try? ControlPlaneMessage.decode(data)
    _ = try? Snapshot.validate(root)
    _ = try? EndpointConfig.validate(root)
    return 0
}

func checkReportReader(_ data: Data) {
    let read = data.withUnsafeBytes { try? DataPlaneMessage.readReport($0) }
    let tree = try? NodeDecoder.decode(DataPlaneMessage.self, fromJSON: data)
    switch (read, tree) {
    case (let report?, let tree):
        guard tree == .report(report) else {
            fatalError("the report reader accepted what the tree decodes as \(String(describing: tree))")
        }
    case (_, .report?): fatalError("the report reader refused a report the tree decodes")
    default: break
    }
}

/// A node tree as JSON text, keys in the tree's order.
enum JSONWriting {
    static func text(of value: ConfigValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        // Swift prints the shortest text that reads back as the same Double.
        case .double(let number): "\(number)"
        case .string(let text): quoted(text)
        case .array(let items): "[" + items.map { text(of: $0.value) }.joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.map { quoted($0.key) + ":" + text(of: $0.value.value) }.joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

@main
enum JSONFuzzMain {
    static func main() {
        runLibFuzzer { data, count in
            guard let data else { return 0 }
            return fuzzJSON(Data(UnsafeBufferPointer(start: data, count: count)))
        }
    }
}
