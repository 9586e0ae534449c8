/// Git's content similarity estimate (the measure behind `git diff -M`), computed the
/// same way so that rename pairs and their scores agree with the git CLI.
///
/// Content is cut into spans that end at a newline or after 64 bytes; each span is hashed
/// and the bytes per hash counted. Two files share the bytes whose span hashes they have
/// in common; similarity is the shared bytes over the larger file's size, on git's scale
/// of 0...60000 (`maxScore`). For text, a CR directly before LF is ignored; a final
/// partial span (no newline, under 64 bytes) is not counted, as in git.
struct SimilarityIndex {
    /// Git's full score (100 %).
    static let maxScore = 60000
    /// Git's default rename threshold (50 %).
    static let defaultMinimumScore = 30000
    private static let hashBase: UInt32 = 107_927

    /// Span hashes, ascending, and the bytes counted for each (parallel arrays).
    let hashes: [UInt32]
    let counts: [Int32]
    /// The content's size in bytes.
    let size: Int

    /// Indexes `content`; `isBinary` turns off the CRLF normalization.
    init(_ content: [UInt8], isBinary: Bool) {
        var counts: [UInt32: Int] = [:]
        var accum1: UInt32 = 0
        var accum2: UInt32 = 0
        var length = 0
        var index = 0
        let end = content.count
        while index < end {
            let byte = content[index]
            index += 1
            if !isBinary && byte == 0x0D && index < end && content[index] == 0x0A { continue }
            let previous1 = accum1
            accum1 = (accum1 << 7) ^ (accum2 >> 25)
            accum2 = (accum2 << 7) ^ (previous1 >> 25)
            accum1 &+= UInt32(byte)
            length += 1
            if length < 64 && byte != 0x0A { continue }
            counts[(accum1 &+ accum2 &* 0x61) % Self.hashBase, default: 0] += length
            length = 0
            accum1 = 0
            accum2 = 0
        }
        // Like git, a last span without a newline that is shorter than 64 bytes is not counted.
        let sorted = counts.sorted { $0.key < $1.key }
        hashes = sorted.map(\.key)
        self.counts = sorted.map { Int32(clamping: $0.value) }
        size = content.count
    }

    /// Bytes of `self` (the source) that also appear in `destination`.
    func copiedBytes(into destination: SimilarityIndex) -> Int {
        // A merge of two sorted lists; this runs sources x destinations times, so it works on
        // raw buffers.
        hashes.withUnsafeBufferPointer { sourceHashes in
            counts.withUnsafeBufferPointer { sourceCounts in
                destination.hashes.withUnsafeBufferPointer { otherHashes in
                    destination.counts.withUnsafeBufferPointer { otherCounts in
                        var copied = 0
                        var other = 0
                        let otherCount = otherHashes.count
                        for index in 0..<sourceHashes.count {
                            let hash = sourceHashes[index]
                            while other < otherCount && otherHashes[other] < hash { other += 1 }
                            if other < otherCount && otherHashes[other] == hash {
                                copied += Int(min(sourceCounts[index], otherCounts[other]))
                                other += 1
                            }
                        }
                        return copied
                    }
                }
            }
        }
    }

    /// Whether two sizes differ too much to reach `minimumScore`, as git checks before hashing.
    static func sizesAllow(_ a: Int, _ b: Int, minimumScore: Int) -> Bool {
        let largest = max(a, b)
        let delta = largest - min(a, b)
        return largest * (maxScore - minimumScore) >= delta * maxScore
    }

    /// The similarity score of `source` renamed to `destination`, 0...``maxScore``.
    static func score(_ source: SimilarityIndex, _ destination: SimilarityIndex) -> Int {
        let largest = max(source.size, destination.size)
        guard destination.size > 0, largest > 0 else { return 0 }
        return source.copiedBytes(into: destination) * maxScore / largest
    }

    /// Git's binary test: a NUL byte among the first 8000 bytes.
    static func isBinary(_ content: [UInt8]) -> Bool {
        content.prefix(8000).contains(0)
    }
}
