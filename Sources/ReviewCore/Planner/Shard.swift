import Foundation
import ReviewAgent

/// One share of a review split across CI jobs: `index` of `count`, 1-based (`2/4`).
public struct Shard: Hashable, Sendable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// Reads `I/N` with 1 <= I <= N.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, count <= 1000,
            index >= 1, index <= count
        else { return nil }
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    /// The tasks of this shard, in their original order.
    ///
    /// Every shard computes the same assignment from the same tasks: tasks are taken from
    /// the most to the least costly (ties by path) and each goes to the shard with the least
    /// cost so far (ties to the lower index), the longest-processing-time rule. The cost
    /// must depend only on the revision (not on caches or timings), so that all shards agree.
    public func select(_ tasks: [ReviewTask], cost: (ReviewTask) -> Int) -> [ReviewTask] {
        let costs = tasks.map(cost)
        let order = tasks.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : tasks[$0].path < tasks[$1].path }
        var loads = Array(repeating: 0, count: count)
        var mine = Set<Int>()
        for position in order {
            let target = loads.indices.min { loads[$0] != loads[$1] ? loads[$0] < loads[$1] : $0 < $1 }!
            loads[target] += costs[position]
            if target == index - 1 { mine.insert(position) }
        }
        return tasks.indices.filter { mine.contains($0) }.map { tasks[$0] }
    }
}

extension Shard {
    /// A task's expected cost for sharding, from the revision alone: one for its own checks
    /// and, per related test file, one plus one per 4 KiB.
    static func cost(of task: ReviewTask, head: String) -> Int {
        var cost = 1
        for test in task.tests {
            var info = stat()
            let size = stat(head + "/" + test, &info) == 0 ? Int(info.st_size) : 0
            cost += 1 + size / 4096
        }
        return cost
    }
}
