/// JSON string literals for the few places that write JSON by hand (the debug rollups
/// endpoint, the dimensions column in PostgreSQL), so both escape the same way.
public enum JSONString {
    /// Appends `string` to `text` as a quoted JSON string: quote, backslash and control
    /// characters (below 0x20, and DEL) escaped; everything else as is.
    public static func append(_ string: String, to text: inout String) {
        text += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    /// `string` as a quoted JSON string.
    public static func quoted(_ string: String) -> String {
        var text = ""
        append(string, to: &text)
        return text
    }
}
