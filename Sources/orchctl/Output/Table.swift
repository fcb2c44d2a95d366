/// Rows of cells printed in aligned columns, two spaces apart; the last column is not padded.
/// Widths are counted on the plain text so that colour does not disturb alignment.
struct Table {
    struct Cell: ExpressibleByStringLiteral {
        var text: String
        var style: Style

        init(_ text: String, _ style: Style = .plain) {
            self.text = text
            self.style = style
        }

        init(stringLiteral value: String) { self.init(value) }
    }

    var header: [String]
    var rows: [[Cell]] = []
    /// Printed before every line (for tables under a section title).
    var indent = ""

    init(_ header: [String], indent: String = "") {
        self.header = header
        self.indent = indent
    }

    mutating func add(_ cells: [Cell]) { rows.append(cells) }

    func render(_ terminal: Terminal) -> String {
        let columns = max(header.count, rows.map(\.count).max() ?? 0)
        var widths = [Int](repeating: 0, count: columns)
        let headerCells = header.map { Cell($0, .bold) }
        for row in [headerCells] + rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.text.count) }
        }
        var lines: [String] = []
        for row in [headerCells] + rows {
            var line = indent
            for (index, cell) in row.enumerated() {
                let last = index == row.count - 1
                line += terminal.paint(cell.text, cell.style)
                if !last { line += String(repeating: " ", count: widths[index] - cell.text.count + 2) }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

/// `key  value` lines with the keys aligned, for one object.
struct Fields {
    var pairs: [(key: String, value: Table.Cell)] = []

    mutating func add(_ key: String, _ value: String, _ style: Style = .plain) {
        pairs.append((key, Table.Cell(value, style)))
    }

    func render(_ terminal: Terminal) -> String {
        let width = pairs.map(\.key.count).max() ?? 0
        return pairs.map { pair in
            pair.key + String(repeating: " ", count: width - pair.key.count + 2)
                + terminal.paint(pair.value.text, pair.value.style)
        }.joined(separator: "\n")
    }
}
