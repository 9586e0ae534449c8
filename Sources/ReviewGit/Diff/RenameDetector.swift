/// Pairs deleted and added files into renames the way `git diff -M` does.
///
/// The steps and tie-breaks follow git's rename detection (diffcore-rename): exact
/// matches by blob id first (preferring an unused source with the same basename), then
/// pairs whose basenames are unique on both sides and at least halfway between the
/// threshold and 100 % similar, then the best-scoring remaining pairs above the threshold,
/// keeping four candidates per destination. Only regular files take part in inexact
/// matching; the inexact step is skipped when sources x destinations exceed the rename
/// limit squared.
struct RenameDetector {
    /// One side of a candidate pair.
    struct Candidate {
        /// Raw path bytes.
        var path: [UInt8]
        /// Raw git mode.
        var mode: UInt32
        /// Blob id (for gitlinks, the commit id).
        var id: ObjectID
    }

    /// A detected rename: indexes into the source and destination arrays, and git's score.
    struct Pair: Equatable {
        var source: Int
        var destination: Int
        var score: Int
    }

    var minimumScore = SimilarityIndex.defaultMinimumScore
    var renameLimit = 1000

    /// Finds renames among `sources` (deleted files) and `destinations` (added files).
    ///
    /// - Parameter content: loads a candidate's bytes (`true` for a destination); called only
    ///   when content is compared.
    func detect(
        sources: [Candidate], destinations: [Candidate], content: (Candidate, Bool) throws(GitError) -> [UInt8]
    ) throws(GitError) -> [Pair] {
        guard !sources.isEmpty, !destinations.isEmpty else { return [] }
        var pairs: [Pair] = []
        var sourceUsed = [Bool](repeating: false, count: sources.count)
        var destinationDone = [Bool](repeating: false, count: destinations.count)

        // 1. Exact renames, by blob id.
        var byID: [ObjectID: [Int]] = [:]
        for (index, source) in sources.enumerated() { byID[source.id, default: []].append(index) }
        for (index, destination) in destinations.enumerated() {
            guard let candidates = byID[destination.id] else { continue }
            var best: Int?
            var bestScore = -1
            var budget = 100
            for candidate in candidates {
                let source = sources[candidate]
                if !Self.isRegular(source.mode) || !Self.isRegular(destination.mode) {
                    if source.mode != destination.mode { continue }
                }
                if sourceUsed[candidate] { continue }
                let score = 1 + (Self.sameBasename(source.path, destination.path) ? 1 : 0)
                if score > bestScore {
                    best = candidate
                    bestScore = score
                    if score == 2 { break }
                }
                budget -= 1
                if budget == 0 { break }
            }
            if let best {
                sourceUsed[best] = true
                destinationDone[index] = true
                pairs.append(Pair(source: best, destination: index, score: SimilarityIndex.maxScore))
            }
        }
        if minimumScore >= SimilarityIndex.maxScore { return pairs }

        var sourceIndexes = [SimilarityIndex?](repeating: nil, count: sources.count)
        var destinationIndexes = [SimilarityIndex?](repeating: nil, count: destinations.count)
        func index(_ candidate: Candidate, isDestination: Bool) throws(GitError) -> SimilarityIndex {
            let bytes = try content(candidate, isDestination)
            return SimilarityIndex(bytes, isBinary: SimilarityIndex.isBinary(bytes))
        }
        func estimate(_ source: Int, _ destination: Int, minimum: Int) throws(GitError) -> Int {
            guard Self.isRegular(sources[source].mode), Self.isRegular(destinations[destination].mode) else { return 0 }
            if sourceIndexes[source] == nil {
                sourceIndexes[source] = try index(sources[source], isDestination: false)
            }
            if destinationIndexes[destination] == nil {
                destinationIndexes[destination] = try index(destinations[destination], isDestination: true)
            }
            let a = sourceIndexes[source]!
            let b = destinationIndexes[destination]!
            guard SimilarityIndex.sizesAllow(a.size, b.size, minimumScore: minimum) else { return 0 }
            return SimilarityIndex.score(a, b)
        }

        // 2. Unique basenames on both sides, with a stricter threshold.
        let basenameMinimum = minimumScore + (SimilarityIndex.maxScore - minimumScore) / 2
        var sourceByName: [[UInt8]: Int] = [:]
        for index in sources.indices where !sourceUsed[index] {
            let name = Self.basename(sources[index].path)
            sourceByName[name] = sourceByName[name] == nil ? index : -1
        }
        var destinationByName: [[UInt8]: Int] = [:]
        for index in destinations.indices where !destinationDone[index] {
            let name = Self.basename(destinations[index].path)
            destinationByName[name] = destinationByName[name] == nil ? index : -1
        }
        for source in sources.indices where !sourceUsed[source] {
            let name = Self.basename(sources[source].path)
            guard let sourceIndex = sourceByName[name], sourceIndex == source,
                let destination = destinationByName[name], destination >= 0, !destinationDone[destination]
            else { continue }
            let score = try estimate(source, destination, minimum: basenameMinimum)
            if score < basenameMinimum { continue }
            sourceUsed[source] = true
            destinationDone[destination] = true
            pairs.append(Pair(source: source, destination: destination, score: score))
        }

        // 3. The similarity matrix over what is left.
        let remainingSources = sources.indices.filter { !sourceUsed[$0] }
        let remainingDestinations = destinations.indices.filter { !destinationDone[$0] }
        guard !remainingSources.isEmpty, !remainingDestinations.isEmpty else { return pairs }
        if renameLimit > 0 && remainingSources.count * remainingDestinations.count > renameLimit * renameLimit {
            return pairs
        }
        var matrix: [Score] = []
        matrix.reserveCapacity(remainingDestinations.count * 4)
        for destination in remainingDestinations {
            var slots = [Score](repeating: Score(source: -1, destination: -1, score: 0, nameScore: 0), count: 4)
            for source in remainingSources {
                let candidate = Score(
                    source: source, destination: destination,
                    score: try estimate(source, destination, minimum: minimumScore),
                    nameScore: Self.sameBasename(sources[source].path, destinations[destination].path) ? 1 : 0)
                var worst = 0
                for slot in 1..<4 where Score.compare(slots[slot], slots[worst]) > 0 { worst = slot }
                if Score.compare(slots[worst], candidate) > 0 { slots[worst] = candidate }
            }
            matrix.append(contentsOf: slots)
        }
        // A stable sort, most similar first.
        let ordered = matrix.enumerated().sorted { lhs, rhs in
            let order = Score.compare(lhs.element, rhs.element)
            return order != 0 ? order < 0 : lhs.offset < rhs.offset
        }.map(\.element)
        for entry in ordered {
            if entry.destination < 0 || entry.score < minimumScore { break }
            if destinationDone[entry.destination] || sourceUsed[entry.source] { continue }
            sourceUsed[entry.source] = true
            destinationDone[entry.destination] = true
            pairs.append(Pair(source: entry.source, destination: entry.destination, score: entry.score))
        }
        return pairs
    }

    /// A cell of the similarity matrix.
    struct Score {
        var source: Int
        var destination: Int
        var score: Int
        var nameScore: Int

        /// Git's ordering: used cells before empty ones, higher score first, then same basename first.
        static func compare(_ a: Score, _ b: Score) -> Int {
            if a.destination < 0 { return b.destination >= 0 ? 1 : 0 }
            if b.destination < 0 { return -1 }
            if a.score == b.score { return b.nameScore - a.nameScore }
            return b.score - a.score
        }
    }

    static func isRegular(_ mode: UInt32) -> Bool {
        (mode & 0o170000) == 0o100000
    }

    static func basename(_ path: [UInt8]) -> [UInt8] {
        if let slash = path.lastIndex(of: 0x2F) { return Array(path[(slash + 1)...]) }
        return path
    }

    /// Whether the last path components are equal (git's `basename_same`).
    static func sameBasename(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        basename(a) == basename(b)
    }
}
