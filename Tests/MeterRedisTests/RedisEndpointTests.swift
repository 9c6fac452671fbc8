import MeterRedis
import Testing

@Suite struct RedisEndpointTests {
    @Test func parsesHostPortAndDatabase() throws {
        let endpoint = try RedisEndpoint(url: "redis://127.0.0.1:56379/3")
        #expect(endpoint == RedisEndpoint(host: "127.0.0.1", port: 56379, database: 3))
        #expect(try RedisEndpoint(url: "redis://cache.internal") == RedisEndpoint(host: "cache.internal"))
        #expect(try RedisEndpoint(url: "redis://[::1]:7000").host == "::1")
        #expect(try RedisEndpoint(url: "redis://[::1]:7000").port == 7000)
    }

    @Test func parsesPasswordAndUser() throws {
        let classic = try RedisEndpoint(url: "redis://s3cret@localhost:6380")
        #expect(classic.password == "s3cret" && classic.username == nil && classic.port == 6380)
        let acl = try RedisEndpoint(url: "redis://mirror:p%40ss%3Aw0rd@localhost/2")
        #expect(acl.username == "mirror" && acl.password == "p@ss:w0rd" && acl.database == 2)
        let passwordOnly = try RedisEndpoint(url: "redis://:hunter2@localhost")
        #expect(passwordOnly.username == nil && passwordOnly.password == "hunter2")
    }

    @Test func descriptionRedactsThePassword() throws {
        let endpoint = try RedisEndpoint(url: "redis://mirror:hunter2@localhost:6380/1")
        #expect(endpoint.description == "redis://mirror:***@localhost:6380/1")
        #expect(!String(describing: endpoint).contains("hunter2"))
        #expect(try RedisEndpoint(url: "redis://:hunter2@[::1]").description == "redis://:***@[::1]:6379")
    }

    @Test(arguments: [
        "http://localhost:6379", "rediss://:hunter2@localhost", "redis://", "redis://:hunter2@localhost:0",
        "redis://:hunter2@localhost:99999", "redis://:hunter2@localhost:x", "redis://:hunter2@localhost/-1",
        "redis://:hunter2@localhost/db", "redis://:hunter2@localhost?timeout=1", "redis://:hun%zzter2@localhost",
        "redis://:hunter2@[::1",
    ])
    func refusesBadURLsWithoutEchoingThem(url: String) {
        #expect {
            _ = try RedisEndpoint(url: url)
        } throws: { error in
            guard let error = error as? RedisError else { return false }
            return error.kind == .invalidURL && !error.description.contains("hunter2") && !error.description.contains("hun%zz")
        }
    }
}
