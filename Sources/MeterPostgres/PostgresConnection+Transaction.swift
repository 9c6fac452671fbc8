extension PostgresConnection {
    /// Runs `body` between BEGIN and COMMIT. If `body` throws, the transaction is rolled back and
    /// the error rethrown; if COMMIT itself turns into a rollback (the transaction had failed
    /// while `body` ignored the error), that is reported as `transactionRolledBack`.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        let value: T
        do {
            value = try body()
        } catch {
            // Best effort: on a lost connection the server rolls back by itself.
            _ = try? execute("ROLLBACK")
            throw error
        }
        let commit = try execute("COMMIT")
        guard commit.commandTag == "COMMIT" else {
            throw PostgresError(code: .transactionRolledBack,
                                message: "COMMIT answered \(commit.commandTag): the transaction had failed",
                                target: redactedTarget)
        }
        return value
    }
}
