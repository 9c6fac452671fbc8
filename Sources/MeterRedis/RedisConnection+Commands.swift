#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CHiredis

extension RedisConnection {
    /// Sends one command and waits for its reply (`redisCommandArgv`: binary-safe arguments,
    /// no format string). An error reply is returned as `.error`; I/O failures throw.
    public func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
        precondition(!arguments.isEmpty, "a Redis command needs at least its name")
        let context = try liveContext()
        let raw = withArgv(arguments) { argc, argv, lengths in
            redisCommandArgv(context, argc, argv, lengths)
        }
        let savedErrno = errno
        guard let raw else { throw dropAfterFailure(context, savedErrno: savedErrno) }
        defer { freeReplyObject(raw) }
        return RedisReply(decoding: raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Sends every command in one write and reads all replies: one round trip per batch
    /// (`redisAppendCommandArgv` into hiredis' output buffer, then `redisGetReply` n times).
    /// Replies come back in command order; error replies are values, as in `command`.
    ///
    /// The whole batch is held in memory twice (hiredis' buffer, then the replies): the caller
    /// bounds the batch size (the mirror sends at most one flush's worth at a time).
    /// If this throws, some commands may have run: the caller must treat the batch as unknown.
    public func pipeline(_ commands: [[String]]) throws(RedisError) -> [RedisReply] {
        if commands.isEmpty { return [] }
        let context = try liveContext()
        for arguments in commands {
            precondition(!arguments.isEmpty, "a Redis command needs at least its name")
            let status = withArgv(arguments) { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            if status != REDIS_OK {
                // Only an allocation failure gets here; the buffer now holds part of a batch.
                throw dropAfterFailure(context, savedErrno: errno)
            }
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            let status = redisGetReply(context, &raw)
            let savedErrno = errno
            guard status == REDIS_OK, let raw else { throw dropAfterFailure(context, savedErrno: savedErrno) }
            replies.append(RedisReply(decoding: raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        return replies
    }

    private func liveContext() throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        guard let context, context.pointee.err == 0 else {
            close()
            throw RedisError(.connectionLost, "not connected; call reconnect()", endpoint: endpoint.description)
        }
        return context
    }

    /// Classifies the failure, then frees the context: after an I/O error or a timeout the
    /// stream position is unknown, so the connection must not be reused.
    private func dropAfterFailure(_ context: UnsafeMutablePointer<redisContext>, savedErrno: Int32) -> RedisError {
        let error = failure(of: context, savedErrno: savedErrno, connecting: false)
        close()
        return error
    }

    /// Lays the arguments out in one reused byte buffer and calls `body` with hiredis' argv
    /// shape: `argc`, `const char **argv`, `const size_t *argvlen` (lengths, so arguments may
    /// hold any bytes, NUL included).
    private func withArgv<R>(_ arguments: [String],
                             _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
        argumentBytes.removeAll(keepingCapacity: true)
        argumentLengths.removeAll(keepingCapacity: true)
        argumentOffsets.removeAll(keepingCapacity: true)
        for argument in arguments {
            argumentOffsets.append(argumentBytes.count)
            argumentBytes.append(contentsOf: argument.utf8)
            argumentLengths.append(argumentBytes.count - argumentOffsets[argumentOffsets.count - 1])
        }
        // Never empty, so the buffer has a base address even when every argument is "".
        argumentBytes.append(0)
        return argumentBytes.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
            var pointers = argumentOffsets.map { Optional(base + $0) }
            return pointers.withUnsafeMutableBufferPointer { argv in
                argumentLengths.withUnsafeBufferPointer { lengths in
                    body(Int32(arguments.count), argv.baseAddress!, lengths.baseAddress!)
                }
            }
        }
    }
}
