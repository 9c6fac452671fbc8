/// The limits a line must respect to be accepted. Each is a configuration key
/// (see `config/limits.md`); the defaults suit a production deployment.
public struct ProtocolLimits: Sendable, Hashable {
    /// Longest accepted line in bytes, excluding the line terminator. `protocol.max_line_bytes`.
    public var maxLineBytes: Int = 1024
    /// Longest metric name in bytes. `protocol.max_name_bytes`.
    public var maxNameBytes: Int = 128
    /// Longest tenant id in bytes. `protocol.max_tenant_bytes`.
    public var maxTenantBytes: Int = 64
    /// Longest idempotency key in bytes. `protocol.max_id_bytes`.
    public var maxIDBytes: Int = 128
    /// Longest set member in bytes. `protocol.max_member_bytes`.
    public var maxMemberBytes: Int = 128
    /// Longest dimension tag key or value in bytes (at most 255). `protocol.max_tag_bytes`.
    public var maxTagBytes: Int = 64
    /// Most dimension tags per line, not counting the tenant and id tags. `protocol.max_dimensions`.
    public var maxDimensions: Int = 8
    /// Oldest accepted event time, as seconds before now. `protocol.max_lateness_seconds`.
    public var maxLatenessSeconds: Int64 = 3 * 86_400
    /// Furthest accepted event time, as seconds after now. `protocol.max_future_seconds`.
    public var maxFutureSeconds: Int64 = 300
    /// The tag key that names the tenant. `protocol.tenant_tag`.
    public var tenantTagKey: String = "tenant"
    /// The tag key that carries the client's idempotency key. `protocol.id_tag`.
    public var idTagKey: String = "id"

    public init() {}

    /// Problems with these limits, one message per problem naming the key; empty when valid.
    public func validationErrors() -> [String] {
        var errors: [String] = []
        func check(_ ok: Bool, _ message: String) { if !ok { errors.append(message) } }
        check(maxLineBytes >= 16 && maxLineBytes <= 65_536, "protocol.max_line_bytes must be between 16 and 65536")
        check(maxNameBytes >= 1 && maxNameBytes <= 255, "protocol.max_name_bytes must be between 1 and 255")
        check(maxTenantBytes >= 1 && maxTenantBytes <= 255, "protocol.max_tenant_bytes must be between 1 and 255")
        check(maxIDBytes >= 1 && maxIDBytes <= 255, "protocol.max_id_bytes must be between 1 and 255")
        check(maxMemberBytes >= 1 && maxMemberBytes <= 255, "protocol.max_member_bytes must be between 1 and 255")
        check(maxTagBytes >= 1 && maxTagBytes <= 255, "protocol.max_tag_bytes must be between 1 and 255")
        check(maxDimensions >= 0 && maxDimensions <= 32, "protocol.max_dimensions must be between 0 and 32")
        check(maxLatenessSeconds >= 0, "protocol.max_lateness_seconds must not be negative")
        check(maxFutureSeconds >= 0, "protocol.max_future_seconds must not be negative")
        check(!tenantTagKey.isEmpty && tenantTagKey.utf8.count <= maxTagBytes, "protocol.tenant_tag must be a non-empty tag key")
        check(!idTagKey.isEmpty && idTagKey.utf8.count <= maxTagBytes, "protocol.id_tag must be a non-empty tag key")
        check(tenantTagKey != idTagKey, "protocol.tenant_tag and protocol.id_tag must differ")
        return errors
    }
}
