#if canImport(Glibc)
import Glibc
#endif
import MeterRedis
import Testing

/// Against the real Redis started by scripts/test.sh.
@Suite(.enabled(if: RedisTestServer.isConfigured, RedisTestServer.skipMessage))
struct RedisConnectionTests {
    @Test func commandsAndReplyKinds() throws {
        let redis = try RedisTestServer.connect()
        let prefix = RedisTestServer.uniquePrefix("kinds")
        #expect(redis.isConnected)
        #expect(try redis.command(["PING"]) == .status("PONG"))
        #expect(try redis.command(["SET", "\(prefix):s", "hello world"]) == .status("OK"))
        #expect(try redis.command(["GET", "\(prefix):s"]) == .bulk(Array("hello world".utf8)))
        #expect(try redis.command(["GET", "\(prefix):missing"]) == .null)
        #expect(try redis.command(["INCRBY", "\(prefix):n", "-5"]) == .integer(-5))
        #expect(try redis.command(["RPUSH", "\(prefix):l", "a", "", "c"]) == .integer(3))
        #expect(try redis.command(["LRANGE", "\(prefix):l", "0", "-1"]) == .array([.bulk([0x61]), .bulk([]), .bulk([0x63])]))
        #expect(try redis.command(["LRANGE", "\(prefix):missing", "0", "-1"]) == .array([]))
        // Error replies are values and leave the connection usable.
        let wrongType = try redis.command(["INCR", "\(prefix):l"])
        #expect(wrongType.isError)
        #expect(wrongType == .error("WRONGTYPE Operation against a key holding the wrong kind of value"))
        #expect(try redis.command(["NO-SUCH-COMMAND"]).isError)
        #expect(redis.isConnected)
        #expect(try redis.command(["PING"]) == .status("PONG"))
    }

    @Test func nestedArraysAndNilElementsDecodeRecursively() throws {
        let redis = try RedisTestServer.connect()
        // Lua false becomes a nil bulk; a nested table a nested array.
        let reply = try redis.command(["EVAL", "return {1, {2, 'x', {}}, false, 'tail'}", "0"])
        #expect(reply == .array([.integer(1), .array([.integer(2), .bulk([0x78]), .array([])]), .null, .bulk(Array("tail".utf8))]))
    }

    @Test func argumentsAreBinarySafe() throws {
        let redis = try RedisTestServer.connect()
        let key = "\(RedisTestServer.uniquePrefix("binary")):k"
        let value = "a\u{0}b c\r\nd é 🚀 %s %n"
        #expect(try redis.command(["SET", key, value]) == .status("OK"))
        #expect(try redis.command(["GET", key]) == .bulk(Array(value.utf8)))
        #expect(try redis.command(["STRLEN", key]) == .integer(Int64(value.utf8.count)))
    }

    @Test func pipelineOfTenThousandCommands() throws {
        let redis = try RedisTestServer.connect()
        let key = "\(RedisTestServer.uniquePrefix("pipeline")):counter"
        let commands = (0 ..< 10_000).map { _ in ["INCRBY", key, "3"] }
        let replies = try redis.pipeline(commands)
        #expect(replies.count == 10_000)
        #expect(replies.enumerated().allSatisfy { $0.element == .integer(Int64(3 * ($0.offset + 1))) })
        #expect(try redis.command(["GET", key]).int64 == 30_000)
        #expect(try redis.pipeline([]) == [])
    }

    @Test func pipelineKeepsOrderAndPerCommandErrors() throws {
        let redis = try RedisTestServer.connect()
        let prefix = RedisTestServer.uniquePrefix("mixed")
        let replies = try redis.pipeline([
            ["SET", "\(prefix):a", "x"],
            ["INCR", "\(prefix):a"],
            ["HINCRBY", "\(prefix):h", "f", "9223372036854775807"],
            ["HINCRBY", "\(prefix):h", "f", "1"],
            ["GET", "\(prefix):a"],
        ])
        #expect(replies.count == 5)
        #expect(replies[0] == .status("OK"))
        #expect(replies[1].isError)
        #expect(replies[2] == .integer(.max))
        #expect(replies[3].isError)
        #expect(replies[4] == .bulk([0x78]))
    }

    @Test func selectsTheDatabaseFromTheEndpoint() throws {
        var endpoint = try RedisEndpoint(url: RedisTestServer.url!)
        let base = endpoint.database
        endpoint.database = base == 5 ? 6 : 5
        let other = try RedisConnection(endpoint: endpoint)
        let same = try RedisTestServer.connect()
        let key = "\(RedisTestServer.uniquePrefix("select")):k"
        #expect(try other.command(["SET", key, "1"]) == .status("OK"))
        #expect(try same.command(["EXISTS", key]) == .integer(0))
        #expect(try other.command(["EXISTS", key]) == .integer(1))
    }

    @Test func failedAuthIsAServerErrorThatHidesThePassword() throws {
        // The test server has no password: AUTH is refused, and neither the error nor the
        // endpoint may repeat the password.
        let plain = try RedisEndpoint(url: RedisTestServer.url!)
        var endpoint = plain
        endpoint.password = "hunter2-secret"
        #expect {
            _ = try RedisConnection(endpoint: endpoint)
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.kind == .serverError && error.message.hasPrefix("AUTH failed")
                && !error.description.contains("hunter2") && error.description.contains(":***@")
        }
    }

    @Test func commandTimeoutOnABlockingCommandThenReconnect() throws {
        let redis = try RedisTestServer.connect(commandTimeout: .milliseconds(200))
        let key = "\(RedisTestServer.uniquePrefix("blpop")):list"
        let clock = ContinuousClock()
        let start = clock.now
        #expect {
            _ = try redis.command(["BLPOP", key, "5"])
        } throws: { error in
            (error as? RedisError)?.kind == .timeout
        }
        #expect(clock.now - start < .seconds(2))
        #expect(!redis.isConnected)
        #expect {
            _ = try redis.command(["PING"])
        } throws: { error in
            (error as? RedisError)?.kind == .connectionLost
        }
        try redis.reconnect()
        #expect(redis.isConnected)
        #expect(try redis.command(["PING"]) == .status("PONG"))
    }

    @Test func serverClosingTheConnectionIsConnectionLost() throws {
        let victim = try RedisTestServer.connect()
        let admin = try RedisTestServer.connect()
        let id = try #require(try victim.command(["CLIENT", "ID"]).int64)
        #expect(try admin.command(["CLIENT", "KILL", "ID", String(id)]) == .integer(1))
        #expect {
            _ = try victim.command(["PING"])
        } throws: { error in
            (error as? RedisError)?.kind == .connectionLost
        }
        #expect(!victim.isConnected)
        try victim.reconnect()
        #expect(try victim.command(["PING"]) == .status("PONG"))
    }
}

/// Failures that need no Redis at all: nothing listening, or a peer that never answers.
@Suite struct RedisConnectionFailureTests {
    @Test func connectionRefusedOnAnUnusedLoopbackPort() throws {
        let port = unusedLoopbackPort()
        #expect {
            _ = try RedisConnection(url: "redis://:hunter2@127.0.0.1:\(port)", connectTimeout: .seconds(1))
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.kind == .connectFailed && error.message.contains("refused")
                && error.description == "Redis connect_failed (redis://:***@127.0.0.1:\(port)): \(error.message)"
        }
    }

    @Test func commandTimeoutWhenThePeerNeverAnswers() throws {
        let listener = SilentListener()
        let redis = try RedisConnection(url: "redis://127.0.0.1:\(listener.port)", commandTimeout: .milliseconds(150))
        #expect(redis.isConnected)
        let clock = ContinuousClock()
        let start = clock.now
        #expect {
            _ = try redis.pipeline([["PING"], ["PING"]])
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.kind == .timeout && error.description.hasPrefix("Redis timeout (redis://127.0.0.1:")
        }
        #expect(clock.now - start < .seconds(2))
        #expect(!redis.isConnected)
    }

    @Test func closedConnectionThrowsUntilReconnected() throws {
        let listener = SilentListener()
        let redis = try RedisConnection(url: "redis://127.0.0.1:\(listener.port)")
        redis.close()
        #expect(!redis.isConnected)
        #expect {
            _ = try redis.command(["PING"])
        } throws: { error in
            (error as? RedisError)?.kind == .connectionLost
        }
    }
}
