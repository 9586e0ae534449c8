import Foundation
import ReviewGit
import ReviewTestSupport
import Testing

/// The change set of libgit2 must equal what the git CLI reports, on random histories.
@Suite("Change sets against the git CLI")
struct ChangeSetOracleTests {
    /// Histories per batch; 8 batches x 25 = 200 histories.
    static let batches = Array(0..<8)
    /// `REVIEW_ORACLE_HISTORIES=N` runs N histories per batch instead (a deeper local search).
    static let historiesPerBatch = Int(ProcessInfo.processInfo.environment["REVIEW_ORACLE_HISTORIES"] ?? "") ?? 25

    @Test("random histories match git diff -M --raw and -U0", arguments: batches)
    func randomHistories(batch: Int) throws {
        for offset in 0..<Self.historiesPerBatch {
            let seed = UInt64(batch * Self.historiesPerBatch + offset + 1)
            try checkHistory(seed: seed)
        }
    }

    @Test("one history, chosen with REVIEW_ORACLE_SEED", .enabled(if: ProcessInfo.processInfo.environment["REVIEW_ORACLE_SEED"] != nil))
    func singleHistory() throws {
        try checkHistory(seed: UInt64(ProcessInfo.processInfo.environment["REVIEW_ORACLE_SEED"] ?? "1") ?? 1)
    }

    @Test("a binary file renamed exactly or changing only its mode is binary, as in git diff -M --numstat")
    func binaryWithUnchangedContent() throws {
        let temporary = try TemporaryRepository()
        try temporary.write("x.bin", Data([0x61, 0x00, 0x62, 0x00, 0x63]))
        try temporary.write("m.bin", Data([0x00, 0x01, 0x02]))
        try temporary.write("t.txt", "hello\n")
        _ = try temporary.commit("one")
        _ = try temporary.git(["mv", "x.bin", "y.bin"])
        _ = try temporary.git(["mv", "t.txt", "u.txt"])
        try temporary.write("m.bin", Data([0x00, 0x01, 0x02]), executable: true)
        _ = try temporary.git(["add", "-A"])
        _ = try temporary.git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "two"])
        let repository = try Repository.discover(from: temporary.path)
        let range = try repository.resolve(.revisions("HEAD"))
        let files = try repository.changes(in: range).files
        let binary = Dictionary(uniqueKeysWithValues: files.map { ($0.path.string ?? "", $0.isBinary) })
        #expect(binary == ["y.bin": true, "m.bin": true, "u.txt": false])
        let expected = try GitOracle.diff(temporary, base: range.base?.hex, head: try temporary.head())
        #expect(files.map(Self.oracleForm) == expected)
    }

    private func checkHistory(seed: UInt64) throws {
        let temporary = try TemporaryRepository()
        var generator = HistoryGenerator(seed: seed)
        let commits = try generator.generate(into: temporary, commitCount: 8)
        let repository = try Repository.discover(from: temporary.path)
        var random = SeededRandom(seed: seed &* 7919)

        var specs: [String] = []
        let lower = random.int(0...(commits.count - 2))
        let upper = random.int((lower + 1)...(commits.count - 1))
        specs.append("\(commits[lower].id)..\(commits[upper].id)")
        specs.append(commits[random.int(0...(commits.count - 1))].id)
        specs.append(String(commits[random.int(0...(commits.count - 1))].id.prefix(12)))
        specs.append("main...side")

        for spec in specs {
            if spec == "main...side", (try? temporary.head("side")) == nil { continue }
            let range = try repository.resolve(.revisions(spec))
            try expectResolution(spec, range, temporary)
            guard case .commit(let head) = range.head else { continue }
            let expected = try GitOracle.diff(temporary, base: range.base?.hex, head: head.hex)
            let actual = try repository.changes(in: range).files
            let context = "seed \(seed), range \(spec), repository \(temporary.path)"
            try #require(actual.count == expected.count, "\(context): \(actual) vs \(expected)")
            for (mine, theirs) in zip(actual, expected) {
                #expect(Self.oracleForm(mine) == theirs, "\(context)")
            }
        }
    }

    /// Checks the resolved sides against `git rev-parse` and `git merge-base`.
    private func expectResolution(_ spec: String, _ range: ResolvedRange, _ repository: TemporaryRepository) throws {
        if spec.contains("...") {
            let parts = spec.components(separatedBy: "...")
            #expect(range.base?.hex == (try repository.git(["merge-base", parts[0], parts[1]])).trimmed)
            #expect(range.head.commitID?.hex == (try repository.head(parts[1])))
        } else if spec.contains("..") {
            let parts = spec.components(separatedBy: "..")
            #expect(range.base?.hex == (try repository.head(parts[0])))
            #expect(range.head.commitID?.hex == (try repository.head(parts[1])))
        } else {
            #expect(range.head.commitID?.hex == (try repository.head(spec)))
            #expect(range.base?.hex == (try? repository.head(spec + "^")))
        }
    }

    /// Renders a ``FileChange`` the way ``GitOracle`` reports files.
    static func oracleForm(_ file: FileChange) -> OracleFile {
        let zero = String(repeating: "0", count: 40)
        let isPair = file.status == .renamed || file.status == .copied
        return OracleFile(
            status: file.status.letter,
            score: file.similarity,
            oldMode: file.oldMode?.octal ?? "000000",
            newMode: file.newMode?.octal ?? "000000",
            oldID: file.oldID?.hex ?? zero,
            newID: file.newID?.hex ?? zero,
            path: (file.oldPath ?? file.newPath)!.bytes,
            newPath: isPair ? file.newPath?.bytes : nil,
            binary: file.isBinary,
            hunks: file.hunks.map { [$0.oldStart, $0.oldLines, $0.newStart, $0.newLines] })
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
