import ReviewAgent
import ReviewCore
import Testing

/// The deterministic, cost-balanced split of tasks across CI shards.
@Suite("Shard assignment")
struct ShardTests {
    static func tasks(_ costs: [Int]) -> ([ReviewTask], [String: Int]) {
        var tasks: [ReviewTask] = []
        var cost: [String: Int] = [:]
        for (index, value) in costs.enumerated() {
            let path = "pkg/m\(index).py"
            tasks.append(ReviewTask(path: path, basePath: path, hunks: [], module: nil, importPaths: [], isTestFile: false))
            cost[path] = value
        }
        return (tasks, cost)
    }

    @Test func everyTaskGoesToExactlyOneShardAndLoadsAreBalanced() throws {
        let (tasks, cost) = Self.tasks([9, 1, 7, 3, 3, 5, 2, 8, 4, 6])
        var seen: [String] = []
        var loads: [Int] = []
        for index in 1...3 {
            let shard = try #require(Shard("\(index)/3"))
            let mine = shard.select(tasks) { cost[$0.path]! }
            #expect(mine == tasks.filter { mine.contains($0) }, "original order kept")
            seen += mine.map(\.path)
            loads.append(mine.map { cost[$0.path]! }.reduce(0, +))
        }
        #expect(seen.sorted() == tasks.map(\.path).sorted())
        #expect(loads.max()! - loads.min()! <= 1, "48 split as evenly as the greedy rule allows: \(loads)")
    }

    @Test func theAssignmentDoesNotDependOnTheInputOrder() throws {
        let (tasks, cost) = Self.tasks([4, 4, 4, 2, 2, 1])
        let shard = try #require(Shard("2/2"))
        let forward = shard.select(tasks) { cost[$0.path]! }.map(\.path)
        let backward = shard.select(tasks.reversed()) { cost[$0.path]! }.map(\.path)
        #expect(Set(forward) == Set(backward))
    }

    @Test func moreShardsThanTasksLeavesSomeEmpty() throws {
        let (tasks, _) = Self.tasks([1, 1])
        let third = try #require(Shard("3/3"))
        #expect(third.select(tasks) { _ in 1 }.isEmpty)
    }

    @Test func parsing() {
        #expect(Shard("1/1") != nil)
        #expect(Shard("4/4")?.description == "4/4")
        for bad in ["0/1", "2/1", "1/0", "-1/2", "x/2", "1/", "/1", "1/2/3", ""] { #expect(Shard(bad) == nil, "\(bad)") }
    }
}
