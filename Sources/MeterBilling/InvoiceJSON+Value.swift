import MeterCore

extension InvoiceJSON {
    /// A JSON value built by hand, so decimals stay strings and keys keep their documented
    /// order (Foundation's encoder would pass numbers through `Double` and sort nothing stably).
    indirect enum Value {
        case string(String)
        case integer(Int64)
        case null
        case array([Value])
        case object([(key: String, value: Value)])

        /// A string, or `null` when absent.
        static func optional(_ text: String?) -> Value { text.map { .string($0) } ?? .null }

        /// Pretty-printed with two spaces per level, no trailing newline.
        var text: String {
            var text = ""
            write(into: &text, indent: "")
            return text
        }

        func write(into text: inout String, indent: String) {
            switch self {
            case .string(let string): JSONString.append(string, to: &text)
            case .integer(let integer): text += String(integer)
            case .null: text += "null"
            case .array(let elements):
                guard !elements.isEmpty else { text += "[]"; return }
                text += "[\n"
                for (index, element) in elements.enumerated() {
                    text += indent + "  "
                    element.write(into: &text, indent: indent + "  ")
                    text += index == elements.count - 1 ? "\n" : ",\n"
                }
                text += indent + "]"
            case .object(let members):
                guard !members.isEmpty else { text += "{}"; return }
                text += "{\n"
                for (index, member) in members.enumerated() {
                    text += indent + "  "
                    JSONString.append(member.key, to: &text)
                    text += ": "
                    member.value.write(into: &text, indent: indent + "  ")
                    text += index == members.count - 1 ? "\n" : ",\n"
                }
                text += indent + "}"
            }
        }
    }
}
