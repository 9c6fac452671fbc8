/// Sleeps `duration` even in a cancelled task. Shutdown paths poll until shards post, a write
/// returns or connections finish; a cancelled `Task.sleep` returns at once, so polling with it
/// would spin a core (and starve every other task) for as long as the awaited thing hangs.
public func uncancelledSleep(_ duration: Duration) async {
    await Task.detached { try? await Task.sleep(for: duration) }.value
}
