#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CHiredis

extension RedisConnection {
    /// `PUBLISH channel message`; returns how many subscribers received it.
    @discardableResult
    public func publish(channel: String, message: String) throws(RedisError) -> Int64 {
        let reply = try command(["PUBLISH", channel, message])
        if case .error(let text) = reply { throw RedisError(.serverError, "PUBLISH failed: \(text)", endpoint: endpoint.description) }
        return reply.int64 ?? 0
    }

    /// The next reply the server pushes without a command, as a subscriber receives messages
    /// after `SUBSCRIBE` (`["message", channel, payload]`). Waits at most the command timeout
    /// (then throws `timeout` and, as after any failure, drops the connection).
    public func nextPushedReply() throws(RedisError) -> RedisReply {
        guard let context, context.pointee.err == 0 else {
            close()
            throw RedisError(.connectionLost, "not connected; call reconnect()", endpoint: endpoint.description)
        }
        var raw: UnsafeMutableRawPointer?
        let status = redisGetReply(context, &raw)
        let savedErrno = errno
        guard status == REDIS_OK, let raw else {
            let error = failure(of: context, savedErrno: savedErrno, connecting: false)
            close()
            throw error
        }
        defer { freeReplyObject(raw) }
        return RedisReply(decoding: raw.assumingMemoryBound(to: redisReply.self))
    }
}
