#if canImport(Glibc)
import Glibc
#endif
import MeterSystemd
import Testing

/// Sets NOTIFY_SOCKET / WATCHDOG_* in this process: serialized, environment restored after each test.
@Suite(.serialized) struct SystemdNotifierTests {
    let notifier = SystemdNotifier()

    @Test func everythingIsANoOpWithoutNotifySocket() {
        withEnvironment(["NOTIFY_SOCKET": nil]) {
            #expect(!notifier.isEnabled)
            #expect(notifier.ready() == .disabled)
            #expect(notifier.status("warming up") == .disabled)
            #expect(notifier.watchdog() == .disabled)
            #expect(notifier.reloading() == .disabled)
            #expect(notifier.stopping() == .disabled)
        }
    }

    @Test func sendsEachStateAsADatagram() {
        let listener = NotifySocketListener()
        withEnvironment(["NOTIFY_SOCKET": listener.path]) {
            #expect(notifier.isEnabled)
            #expect(notifier.ready() == .sent)
            #expect(notifier.status("flushing 12 series") == .sent)
            #expect(notifier.watchdog() == .sent)
            #expect(notifier.stopping() == .sent)
        }
        #expect(listener.receiveAll() == ["READY=1", "STATUS=flushing 12 series", "WATCHDOG=1", "STOPPING=1"])
    }

    @Test func statusCannotInjectOtherAssignments() {
        let listener = NotifySocketListener()
        withEnvironment(["NOTIFY_SOCKET": listener.path]) {
            #expect(notifier.status("tenant says\nREADY=1\r\nok") == .sent)
        }
        let messages = listener.receiveAll()
        #expect(messages.count == 1)
        #expect(messages.first?.contains("\n") == false)
        #expect(messages.first?.hasPrefix("STATUS=tenant says READY=1") == true)
    }

    @Test func reloadingCarriesTheMonotonicTime() {
        let listener = NotifySocketListener()
        var before = timespec()
        clock_gettime(CLOCK_MONOTONIC, &before)
        withEnvironment(["NOTIFY_SOCKET": listener.path]) {
            #expect(notifier.reloading() == .sent)
            #expect(notifier.ready() == .sent)
        }
        let messages = listener.receiveAll()
        #expect(messages.count == 2)
        let lines = messages.first?.split(separator: "\n") ?? []
        #expect(lines.first == "RELOADING=1")
        let microseconds = lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? Int64($0.dropFirst(15)) : nil }
        #expect(microseconds.map { $0 >= Int64(before.tv_sec) * 1_000_000 } == true)
        #expect(messages.last == "READY=1")
    }

    @Test func unreachableSocketIsAFailureNotACrash() {
        withEnvironment(["NOTIFY_SOCKET": "/nonexistent-meterd-dir/notify.sock"]) {
            #expect(notifier.ready() == .failed(errno: ENOENT))
        }
    }

    @Test func watchdogIntervalFromTheEnvironment() {
        let pid = String(getpid())
        withEnvironment(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": pid]) {
            #expect(notifier.watchdogInterval == .seconds(2))
        }
        withEnvironment(["WATCHDOG_USEC": "1500", "WATCHDOG_PID": nil]) {
            #expect(notifier.watchdogInterval == .microseconds(1500))
        }
        withEnvironment(["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": String(getpid() + 1)]) {
            #expect(notifier.watchdogInterval == nil)
        }
        withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": pid]) {
            #expect(notifier.watchdogInterval == nil)
        }
        withEnvironment(["WATCHDOG_USEC": "soon", "WATCHDOG_PID": pid]) {
            #expect(notifier.watchdogInterval == nil)
        }
        withEnvironment(["WATCHDOG_USEC": "0", "WATCHDOG_PID": pid]) {
            #expect(notifier.watchdogInterval == nil)
        }
    }
}
