/// The idempotency window of one aggregator shard: remembers the fingerprints of recently
/// counted events so that a retried event (same tenant, metric and id) is counted once.
///
/// **Key.** The caller fingerprints (tenant, metric, id) with `Fingerprint128.Builder`
/// (`DedupWindow.fingerprint(tenant:metric:id:hasher:)` does exactly that); the window keeps
/// the 128-bit fingerprints, never the id bytes. `now` is the event's *arrival* time in Unix
/// seconds.
///
/// **Generations.** Time is cut into buckets of `spanSeconds = ceil(windowSeconds / (G - 1))`
/// seconds, `G = DedupWindow.generations` (4). Fingerprints go into the newest of `G`
/// generations, each one hash table standing for a bucket; when an insert arrives in a later
/// bucket, generations older than `G - 1` buckets are dropped whole and a fresh one is opened.
/// A fingerprint inserted at time `t` is therefore remembered
/// - at least through `t + windowSeconds` (unless forgotten early for capacity, below), and
/// - at most until `t + G * spanSeconds`, that is `windowSeconds` (rounded up to a multiple of
///   `G - 1`) plus one span; `contains` reports it absent from then on.
///
/// **Clock steps.** If `now` goes backwards, nothing rotates (nothing is ever forgotten early
/// because of a clock step): the insert goes into the newest generation, which then remembers
/// it at least as long as it would have been remembered at its own time. Lookups with an
/// earlier `now` see everything still held.
///
/// **Capacity.** At most `maxEntries` fingerprints are held. When the newest generation cannot
/// take another one without exceeding that, the window rotates early: the oldest generation
/// still holding fingerprints is dropped before its time and its size is added to
/// `evictedBeforeExpiry`. From then on the
/// window covers less than `windowSeconds` (`forgottenEarlyThrough` says from when), and a
/// retry of an event older than what is still held is counted twice: a rising
/// `evictedBeforeExpiry` is the operator's signal to raise `dedup.max_entries`. So that an early
/// rotation drops a part of the window rather than all of it, a newest generation that already
/// holds `ceil(maxEntries / (G - 1))` fingerprints is closed early, at no cost, whenever the
/// oldest slot of the ring is unused. Only capacity ever forgets a fingerprint before its time:
/// if the ring is fully in use when time moves on (which only follows capacity pressure), the
/// newest generation takes on the new span as well, keeping its fingerprints longer.
///
/// **Memory** (`bytesPerEntry`, 64 bytes). Each table slot is one 16-byte fingerprint; a table
/// grows by doubling when an insert would fill it beyond one half, so right after a doubling it
/// is just over one quarter full: at most 4 slots, 64 bytes, per fingerprint. A closed
/// generation whose table ended more than 4 times larger than its fingerprints (it was given a
/// predecessor's storage, then traffic fell) is trimmed to fit when it closes. The window only
/// allocates within a budget of `4 * maxEntries + G * 16` slots, freeing dropped generations'
/// storage first when needed, so at all times
///
///     allocatedBytes <= maxAllocatedBytes = 64 * maxEntries + 1024     (G = 4)
///
/// for `maxEntries >= 8`, i.e. 64 MB (plus bookkeeping of a few hundred bytes) for the default
/// 1 000 000 entries per shard. Memory grows with use: a new window holds nothing, and tables
/// grow as fingerprints arrive. Under steady traffic a rotation reuses the dropped generation's
/// storage (it is cleared, not freed), so inserts allocate only when a table grows.
///
/// **Cost.** An insert probes each of the (at most `G`) non-empty generations, a few slots
/// each at load at most one half, and then stores into the newest; `contains` does the lookup
/// half. Dropping a generation is O(1); its slots are cleared when the storage is reused.
///
/// **Disabled.** `windowSeconds == 0` turns deduplication off: the window remembers nothing,
/// allocates nothing, `insert` always answers "new" and `contains` always "absent".
///
/// **Restarts.** The window itself holds no persistent state. The daemon, with PostgreSQL and
/// a data directory (whose hash seed keeps fingerprints stable), journals the fingerprints it
/// stores (`startJournal`, `takeNewIDs`), commits them with each flush, and at start-up
/// `restore`s those still inside the window with their original arrival times, oldest first;
/// then the events replayed from the write-ahead log are re-inserted the same way, before live
/// traffic resumes (docs/dedup.md "Restarts"). Inserts with old `now` values are accepted for
/// exactly this reason.
///
/// **Empty marker.** A free slot holds the all-zero fingerprint (`emptyMarker`); a fingerprint
/// equal to it is remembered as `emptyMarkerStandIn` instead. The two are therefore one key to
/// the window: a false match needs a fingerprint to be one of these two exact 128-bit values.
///
/// One owner: a shard's single thread inserts and looks up without locking. The type is a
/// value (copying it copies the tables on the next write), and `Sendable`, so it can be handed
/// to the shard's thread.
public struct DedupWindow: Sendable {
    /// The number of generations, `G`.
    public static let generations = 4
    /// Slots of a table's first allocation.
    static let firstTableSlots = 16

    /// The fingerprint value that marks a free slot.
    public static let emptyMarker = Fingerprint128(high: 0, low: 0)
    /// What a fingerprint equal to `emptyMarker` is remembered as.
    public static let emptyMarkerStandIn = Fingerprint128(high: 0x9E37_79B9_7F4A_7C15, low: 0xD1B5_4A32_D192_ED03)

    /// The memory cost per remembered fingerprint: 16-byte slots, at most 4 per fingerprint
    /// (a table is kept at most half full and doubles, so it is at least a quarter full once
    /// grown to fit). Also the per-entry factor of `maxAllocatedBytes`.
    public static var bytesPerEntry: Int { 4 * MemoryLayout<Fingerprint128>.stride }

    /// The largest `allocatedBytes` a window with these settings may ever reach (0 when
    /// disabled). The settings must be valid, as for `init`.
    public static func maxAllocatedBytes(windowSeconds: Int64, maxEntries: Int) -> Int {
        guard windowSeconds > 0 else { return 0 }
        precondition(maxEntries >= 1 && maxEntries <= maxEntriesLimit, "dedup max entries out of range")
        return slotBudget(maxEntries: maxEntries) * MemoryLayout<Fingerprint128>.stride
    }

    /// The largest `maxEntries` accepted (so that every size computed from it fits an `Int`).
    public static let maxEntriesLimit = Int.max / 256

    static func slotBudget(maxEntries: Int) -> Int {
        4 * maxEntries + generations * min(firstTableSlots, 2 * maxEntries)
    }

    /// `dedup.window_seconds`: how long a fingerprint is at least remembered; 0: disabled.
    public let windowSeconds: Int64
    /// `dedup.max_entries`: the most fingerprints held at once.
    public let maxEntries: Int
    /// The time span each generation stands for, `ceil(windowSeconds / (G - 1))`; 0 when disabled.
    public let spanSeconds: Int64

    /// The generations, used as a ring; `newest` receives inserts, the one after it is the oldest.
    private var tables: [DedupTable]
    private var newest = 0
    /// Fingerprints currently remembered (as of the latest insert; expiry is applied by inserts).
    public private(set) var count = 0
    /// Lifetime count of fingerprints forgotten before their generation expired because
    /// `maxEntries` was reached.
    public private(set) var evictedBeforeExpiry = 0
    /// The latest arrival time (`now`) of any fingerprint forgotten early for capacity; nil if
    /// none has been. A retry of an event that arrived at or before this time may be counted
    /// twice; ids inserted after it are still remembered. `now - forgottenEarlyThrough` is
    /// therefore the window the shard actually covers: below `windowSeconds`, the guarantee is
    /// being broken and `dedup.max_entries` must be raised.
    public private(set) var forgottenEarlyThrough: Int64?
    /// Slots allocated across all tables.
    private var allocatedSlots = 0
    /// Whether `insert` records each new fingerprint in `newIDs` (persistence, `startJournal`).
    public private(set) var isJournaling = false
    /// The fingerprints `insert` stored since the last `takeNewIDs`, in insertion order.
    private var newIDs: [DedupEntry] = []

    /// The largest table: `2 * maxEntries` slots, enough for every fingerprint at load one half.
    private let maxTableSlots: Int
    /// A table's first size: 16 slots, or `maxTableSlots` if smaller.
    private let firstSlots: Int
    /// The most slots allocated at once.
    private let slotBudget: Int
    /// Fingerprints after which a newest generation is closed early when that costs nothing.
    private let newestShare: Int

    /// A window that remembers each fingerprint for at least `windowSeconds` seconds, holding
    /// at most `maxEntries`. `windowSeconds == 0` disables deduplication (`maxEntries` is then
    /// ignored). Negative `windowSeconds`, or `maxEntries` outside `1 ... maxEntriesLimit` for
    /// an enabled window, are programmer errors (configuration is validated before).
    public init(windowSeconds: Int64, maxEntries: Int) {
        precondition(windowSeconds >= 0, "dedup window must not be negative")
        self.windowSeconds = windowSeconds
        self.maxEntries = maxEntries
        guard windowSeconds > 0 else {
            spanSeconds = 0
            tables = []
            maxTableSlots = 0
            firstSlots = 0
            slotBudget = 0
            newestShare = 0
            return
        }
        precondition(maxEntries >= 1 && maxEntries <= DedupWindow.maxEntriesLimit,
                     "dedup max entries must be between 1 and \(DedupWindow.maxEntriesLimit)")
        let spans = Int64(DedupWindow.generations - 1)
        spanSeconds = windowSeconds / spans + (windowSeconds % spans == 0 ? 0 : 1)
        tables = Array(repeating: DedupTable(), count: DedupWindow.generations)
        maxTableSlots = 2 * maxEntries
        firstSlots = min(DedupWindow.firstTableSlots, maxTableSlots)
        slotBudget = DedupWindow.slotBudget(maxEntries: maxEntries)
        newestShare = (maxEntries + DedupWindow.generations - 2) / (DedupWindow.generations - 1)
    }

    /// Whether the window deduplicates at all (`windowSeconds > 0`).
    public var isEnabled: Bool { windowSeconds > 0 }

    /// Bytes of table storage currently held (slots requested from the allocator; the array
    /// headers and the window's own fields add a few hundred bytes).
    public var allocatedBytes: Int { allocatedSlots * MemoryLayout<Fingerprint128>.stride }

    /// The bound `allocatedBytes` never exceeds: `bytesPerEntry * maxEntries` plus the first
    /// allocation of each generation (at most `G * 16` slots).
    public var maxAllocatedBytes: Int { slotBudget * MemoryLayout<Fingerprint128>.stride }

    /// The fingerprint of an idempotency key: tenant, metric and id, each length-delimited.
    @inlinable
    public static func fingerprint(tenant: UnsafeRawBufferPointer, metric: UnsafeRawBufferPointer,
                                   id: UnsafeRawBufferPointer, hasher: ByteHasher) -> Fingerprint128 {
        var builder = Fingerprint128.Builder(hasher: hasher)
        builder.add(tenant)
        builder.add(metric)
        builder.add(id)
        return builder.value
    }

    /// Records `fingerprint` as seen at `now`. Returns true if it is new (it is now remembered),
    /// false if it was seen within the window (a duplicate: do not count the event). A
    /// duplicate does not extend how long the fingerprint is remembered.
    public mutating func insert(_ fingerprint: Fingerprint128, now: Int64) -> Bool {
        guard windowSeconds > 0 else { return true }
        let key = DedupWindow.canonical(fingerprint)
        let bucket = self.bucket(of: now)
        if bucket > tables[newest].stamp { advance(to: bucket) }
        // Everything still held is inside the window as seen from `bucket`.
        var index = newest
        for _ in 0 ..< DedupWindow.generations {
            if tables[index].count > 0 && tables[index].contains(key) { return false }
            index = index == 0 ? DedupWindow.generations - 1 : index - 1
        }
        makeRoom()
        growNewestIfNeeded()
        tables[newest].insertAbsent(key, now: now)
        count += 1
        if isJournaling {
            // Bounded while nobody takes them (flushes held back): the oldest `maxEntries` are
            // dropped past `2 * maxEntries`; the window itself no longer holds most of those.
            if newIDs.count >= 2 * maxEntries { newIDs.removeFirst(maxEntries) }
            newIDs.append(DedupEntry(fingerprint: fingerprint, arrival: now))
        }
        return true
    }

    /// From now on, `insert` records every fingerprint it stores, for `takeNewIDs` (the daemon
    /// persists them with each flush: docs/dedup.md "Restarts"). No-op when disabled.
    public mutating func startJournal() {
        isJournaling = isEnabled
    }

    /// The fingerprints `insert` stored since the previous call (or since `startJournal`), with
    /// their arrival times, in insertion order; each exactly once, whichever generation holds
    /// it now (or if it was since forgotten). Empties the journal. At most `2 * maxEntries`
    /// are kept between two calls (the oldest `maxEntries` are dropped at that point).
    public mutating func takeNewIDs() -> [DedupEntry] {
        guard !newIDs.isEmpty else { return [] }
        defer { newIDs = [] }
        return newIDs
    }

    /// Fingerprints recorded and not yet taken.
    public var pendingNewIDs: Int { newIDs.count }

    /// Re-inserts a fingerprint persisted by an earlier process (start-up), with its original
    /// arrival time, without journaling it. Returns false if it was already held. Call in
    /// increasing `arrival` order, as for `insert`.
    @discardableResult
    public mutating func restore(_ fingerprint: Fingerprint128, arrival: Int64) -> Bool {
        let journaling = isJournaling
        isJournaling = false
        defer { isJournaling = journaling }
        return insert(fingerprint, now: arrival)
    }

    /// Whether `fingerprint` is remembered as seen within the window as of `now`.
    public func contains(_ fingerprint: Fingerprint128, now: Int64) -> Bool {
        guard windowSeconds > 0 else { return false }
        let key = DedupWindow.canonical(fingerprint)
        let bucket = self.bucket(of: now)
        for table in tables where table.count > 0 && !DedupWindow.isExpired(stamp: table.stamp, at: bucket) {
            if table.contains(key) { return true }
        }
        return false
    }

    // MARK: - Internals

    @inline(__always)
    static func canonical(_ fingerprint: Fingerprint128) -> Fingerprint128 {
        fingerprint.low | fingerprint.high == 0 ? emptyMarkerStandIn : fingerprint
    }

    /// The bucket `floor(now / spanSeconds)`.
    @inline(__always)
    private func bucket(of now: Int64) -> Int64 {
        now >= 0 ? now / spanSeconds : -((-(now + 1)) / spanSeconds) - 1
    }

    /// Whether a generation standing for bucket `stamp` has left the window at `bucket`.
    @inline(__always)
    static func isExpired(stamp: Int64, at bucket: Int64) -> Bool {
        guard bucket > stamp else { return false }
        let (distance, overflow) = bucket.subtractingReportingOverflow(stamp)
        return overflow || distance >= Int64(generations)
    }

    private var oldestIndex: Int { newest + 1 == DedupWindow.generations ? 0 : newest + 1 }

    /// Time has reached `bucket`, later than the newest generation's: drops the generations
    /// that left the window and opens one for `bucket`.
    private mutating func advance(to bucket: Int64) {
        for index in tables.indices where tables[index].count > 0 && DedupWindow.isExpired(stamp: tables[index].stamp, at: bucket) {
            count -= tables[index].count
            tables[index].drop()
        }
        let oldest = oldestIndex
        if tables[newest].count == 0 {
            tables[newest].clearIfNeeded()
            tables[newest].stamp = bucket
        } else if tables[oldest].count > 0 {
            // Every generation is in use and none has expired (this follows capacity pressure):
            // rather than forget the oldest before its time, the newest stands for `bucket` too.
            tables[newest].stamp = bucket
        } else {
            open(oldest, stamp: bucket)
        }
    }

    /// Ensures one more fingerprint fits under `maxEntries`, rotating early if it does not.
    private mutating func makeRoom() {
        if tables[newest].count >= newestShare && tables[oldestIndex].count == 0 {
            open(oldestIndex, stamp: tables[newest].stamp)
        }
        while count >= maxEntries {
            if tables[newest].count == 0 {
                dropOldestInUse()
            } else {
                open(oldestIndex, stamp: tables[newest].stamp)
            }
        }
    }

    /// Forgets the oldest generation that holds anything (before its time).
    private mutating func dropOldestInUse() {
        var index = oldestIndex
        while tables[index].count == 0 {
            index = index + 1 == DedupWindow.generations ? 0 : index + 1
        }
        evictEarly(index)
    }

    /// Forgets generation `index` before its time, for capacity.
    private mutating func evictEarly(_ index: Int) {
        evictedBeforeExpiry += tables[index].count
        count -= tables[index].count
        forgottenEarlyThrough = max(forgottenEarlyThrough ?? .min, tables[index].latestArrival)
        tables[index].drop()
    }

    /// Closes the newest generation and makes `slot` (the ring's oldest) the new newest,
    /// standing for bucket `stamp`. Whatever `slot` still holds is forgotten early.
    private mutating func open(_ slot: Int, stamp: Int64) {
        let closing = tables[newest].count
        let fitted = slotsToHold(closing)
        if tables[newest].capacity > max(firstSlots, 4 * closing) {
            resize(newest, to: fitted)
        }
        if tables[slot].count > 0 { evictEarly(slot) }
        // Reuse the storage when it is no larger than the closing generation needed (the
        // usual case); otherwise provision that much afresh, within the budget.
        if tables[slot].capacity > fitted {
            resize(slot, to: 0)
        }
        if tables[slot].capacity == 0 {
            if allocatedSlots + fitted > slotBudget { freeDroppedStorage(except: slot) }
            if allocatedSlots + fitted <= slotBudget { resize(slot, to: fitted) }
        } else {
            tables[slot].clearIfNeeded()
        }
        tables[slot].stamp = stamp
        newest = slot
    }

    /// Grows the newest table, if needed, so that it can take one more fingerprint at load
    /// at most one half. Fits the budget: every other table in use holds at most 4 slots per
    /// fingerprint (or its first 16), and the grown one fewer than 4 per fingerprint it will hold.
    private mutating func growNewestIfNeeded() {
        let needed = 2 * (tables[newest].count + 1)
        let current = tables[newest].capacity
        guard needed > current else { return }
        assert(needed <= maxTableSlots, "dedup table grown beyond maxEntries")
        var target = current == 0 ? firstSlots : current
        while target < needed { target = min(2 * target, maxTableSlots) }
        if allocatedSlots - current + target > slotBudget { freeDroppedStorage(except: newest) }
        assert(allocatedSlots - current + target <= slotBudget, "dedup memory budget exceeded")
        resize(newest, to: target)
    }

    /// Frees the storage of dropped generations (other than the newest and `except`).
    private mutating func freeDroppedStorage(except keep: Int) {
        for index in tables.indices where index != newest && index != keep
            && tables[index].count == 0 && tables[index].capacity > 0 {
            resize(index, to: 0)
        }
    }

    private mutating func resize(_ index: Int, to capacity: Int) {
        allocatedSlots += capacity - tables[index].capacity
        tables[index].rehash(capacity: capacity)
    }

    /// The table size `count` fingerprints need at load at most one half, following the
    /// growth sequence (first size, doubling, capped at `maxTableSlots`).
    private func slotsToHold(_ count: Int) -> Int {
        var slots = firstSlots
        while slots < 2 * count && slots < maxTableSlots { slots = min(2 * slots, maxTableSlots) }
        return slots
    }
}
