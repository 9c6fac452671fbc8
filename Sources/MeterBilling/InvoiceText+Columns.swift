extension InvoiceText {
    /// Rows of cells laid out in aligned columns, two spaces apart, for a terminal.
    struct Columns {
        enum Alignment { case left, right }

        var alignments: [Alignment]
        var rows: [[String]] = []
        /// Widths below which a column never shrinks (to line other text up with it).
        var minimumWidths: [Int] = []

        init(_ alignments: [Alignment]) { self.alignments = alignments }

        mutating func add(_ cells: [String]) { rows.append(cells.map(InvoiceText.terminalSafe)) }

        /// Each column as wide as its widest cell; the last column left-aligned is not padded.
        var widths: [Int] {
            alignments.indices.map { column in
                max(minimumWidths.indices.contains(column) ? minimumWidths[column] : 0,
                    rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0)
            }
        }

        var lines: [String] {
            let widths = widths
            return rows.map { cells in
                var line = ""
                for (column, cell) in cells.enumerated() where column < alignments.count {
                    if column > 0 { line += "  " }
                    let padding = String(repeating: " ", count: widths[column] - cell.count)
                    line += alignments[column] == .right ? padding + cell : cell + (column == cells.count - 1 ? "" : padding)
                }
                return line
            }
        }
    }
}
