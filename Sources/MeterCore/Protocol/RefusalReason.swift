/// Why a line (or the event it carries) was refused.
///
/// Each case is distinct so a sender learns exactly what to fix, and each `label` is a
/// stable, Prometheus-safe value for the `reason` label of the refusal counters.
/// Add new cases at the end: the raw values are persisted in counters and WAL records.
public enum RefusalReason: UInt8, Error, Sendable, Hashable, CaseIterable {
    // Framing
    case lineTooLong = 1
    // Metric name
    case missingName
    case nameTooLong
    case badName
    // Value
    case missingValue
    case badValue
    case valueTooPrecise
    case valueOutOfRange
    case negativeCounter
    case memberTooLong
    // Type
    case missingType
    case unsupportedType
    case sampleRate
    // Tags
    case missingTenant
    case badTenant
    case badIdempotencyKey
    case badTag
    case tagTooLong
    case duplicateTag
    case tooManyTags
    // Trailing fields
    case badTimestamp
    case tooLate
    case tooFarInFuture
    case unknownField
    // Limits applied by the aggregator
    case tenantSeriesLimit
    case seriesLimit
    case dimensionValueLimit
    case setMemberLimit
    case quantityOverflow
    // Transport
    case datagramTruncated
    // Durability
    case walFull
    // HTTP JSON events (docs/http-api.md); the line rules apply after these
    case badJSONEvent
    case badFieldType

    /// A stable snake_case name for metric labels, logs and replies to senders.
    public var label: String {
        switch self {
        case .lineTooLong: "line_too_long"
        case .missingName: "missing_name"
        case .nameTooLong: "name_too_long"
        case .badName: "bad_name"
        case .missingValue: "missing_value"
        case .badValue: "bad_value"
        case .valueTooPrecise: "value_too_precise"
        case .valueOutOfRange: "value_out_of_range"
        case .negativeCounter: "negative_counter"
        case .memberTooLong: "member_too_long"
        case .missingType: "missing_type"
        case .unsupportedType: "unsupported_type"
        case .sampleRate: "sample_rate"
        case .missingTenant: "missing_tenant"
        case .badTenant: "bad_tenant"
        case .badIdempotencyKey: "bad_idempotency_key"
        case .badTag: "bad_tag"
        case .tagTooLong: "tag_too_long"
        case .duplicateTag: "duplicate_tag"
        case .tooManyTags: "too_many_tags"
        case .badTimestamp: "bad_timestamp"
        case .tooLate: "too_late"
        case .tooFarInFuture: "too_far_in_future"
        case .unknownField: "unknown_field"
        case .tenantSeriesLimit: "tenant_series_limit"
        case .seriesLimit: "series_limit"
        case .dimensionValueLimit: "dimension_value_limit"
        case .setMemberLimit: "set_member_limit"
        case .quantityOverflow: "quantity_overflow"
        case .datagramTruncated: "datagram_truncated"
        case .walFull: "wal_full"
        case .badJSONEvent: "bad_json_event"
        case .badFieldType: "bad_field_type"
        }
    }

    /// One sentence for a human sender: what was wrong and what is accepted instead.
    public var explanation: String {
        switch self {
        case .lineTooLong: "the line is longer than the configured maximum line length"
        case .missingName: "the line has no metric name before ':'"
        case .nameTooLong: "the metric name is longer than the configured maximum"
        case .badName: "metric names may contain only letters, digits, '_', '.' and '-'"
        case .missingValue: "the line has no value between ':' and '|'"
        case .badValue: "the value is not a plain decimal number (no exponent, no '+'), or the set member contains control characters"
        case .valueTooPrecise: "the value has more than 6 fractional digits"
        case .valueOutOfRange: "the value is outside +/-9223372036854.775807"
        case .negativeCounter: "counter values must not be negative"
        case .memberTooLong: "the set member is longer than the configured maximum"
        case .missingType: "the line has no '|<type>' after the value"
        case .unsupportedType: "only the types c (counter), g (gauge) and s (set) are accepted"
        case .sampleRate: "sample rates ('|@') are refused: a bill cannot be sampled"
        case .missingTenant: "the line has no tenant tag"
        case .badTenant: "the tenant tag is empty, too long or has characters outside [A-Za-z0-9_.-]"
        case .badIdempotencyKey: "the id tag is empty, too long or contains control characters (',' and '|' end it)"
        case .badTag: "a tag is empty or not key:value with a non-empty key of [A-Za-z0-9_.-/] and a non-empty value without control characters"
        case .tagTooLong: "a tag key or value is longer than the configured maximum"
        case .duplicateTag: "a tag key appears more than once"
        case .tooManyTags: "the line has more dimension tags than the configured maximum"
        case .badTimestamp: "the '|T' field is not a whole number of Unix seconds"
        case .tooLate: "the event time is older than the configured lateness bound"
        case .tooFarInFuture: "the event time is further in the future than the configured bound"
        case .unknownField: "the line has a '|' field that is not part of the protocol"
        case .tenantSeriesLimit: "the tenant has reached its limit of distinct series"
        case .seriesLimit: "the daemon has reached its limit of distinct series"
        case .dimensionValueLimit: "the dimension has reached its limit of distinct values for this tenant"
        case .setMemberLimit: "the set has reached its limit of distinct members in this bucket"
        case .quantityOverflow: "the sum for this bucket would overflow"
        case .datagramTruncated: "the UDP datagram was longer than meterd reads (16383 bytes): its cut last line and anything after it were dropped; send shorter datagrams or use TCP"
        case .walFull: "the write-ahead log is full (wal.max_bytes) because flushes to PostgreSQL are not completing: the event was not logged and not counted; send it again later (with its id)"
        case .badJSONEvent: "HTTP: the event is not a JSON object (or its NDJSON line is not valid JSON), or a key appears twice in it"
        case .badFieldType: "HTTP: a field has the wrong JSON type: tenant, metric, type, id and tag values are strings, value and member a string or number, time an integer number, tags an object"
        }
    }
}
