import MeterCore

/// How a request body holds its events, chosen by its Content-Type (never by sniffing, so a
/// body is read one way only): `application/x-ndjson` (or `application/ndjson`): one JSON
/// event per line; `application/json`: one JSON array of events.
public enum HTTPEventFormat: Sendable, Hashable {
    case ndjson
    case jsonArray

    /// The format of a Content-Type header value (parameters such as `charset` ignored);
    /// nil when it is not one meterd takes.
    public init?(contentType: String) {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: " \t").lowercased()
        } ?? ""
        switch mediaType {
        case "application/x-ndjson", "application/ndjson": self = .ndjson
        case "application/json": self = .jsonArray
        default: return nil
        }
    }
}

/// Splits a request body into its events. A body that cannot be read as a whole (a JSON
/// array with a syntax error, or not an array) is an error for the whole request; an NDJSON
/// line that is not valid JSON is only that event's refusal (`bad_json_event`): lines are
/// independent.
public enum HTTPEventDocument {
    public enum Failure: Error, Sendable, Equatable {
        case syntax(JSONSyntaxError)
        case tooManyEvents(limit: Int)
    }

    /// Each event in order: its JSON value, or why it could not be read.
    public static func events(in body: UnsafeRawBufferPointer, format: HTTPEventFormat, maxEvents: Int)
        -> Result<[Result<JSONValue, RefusalReason>], Failure> {
        switch format {
        case .jsonArray:
            do throws(JSONSyntaxError) {
                guard case .array(let elements) = try JSONReader.parse(body) else {
                    return .failure(.syntax(JSONSyntaxError(offset: 0, line: 1, column: 1,
                                                            message: "expected a JSON array of events")))
                }
                if elements.count > maxEvents { return .failure(.tooManyEvents(limit: maxEvents)) }
                return .success(elements.map { .success($0) })
            } catch {
                return .failure(.syntax(error))
            }
        case .ndjson:
            var events: [Result<JSONValue, RefusalReason>] = []
            var start = 0
            while start < body.count {
                var end = start
                while end < body.count && body[end] != UInt8(ascii: "\n") { end += 1 }
                if !isBlank(body, start..<end) {
                    if events.count == maxEvents { return .failure(.tooManyEvents(limit: maxEvents)) }
                    do throws(JSONSyntaxError) {
                        events.append(.success(try JSONReader.parse(body, range: start..<end)))
                    } catch {
                        events.append(.failure(.badJSONEvent))
                    }
                }
                start = end + 1
            }
            return .success(events)
        }
    }

    static func isBlank(_ body: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        for index in range {
            switch body[index] {
            case 0x20, 0x09, 0x0D: continue
            default: return false
            }
        }
        return true
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
