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

    /// Byte counts per span hash, sorted by hash.
    let spans: [(hash: UInt32, count: Int)]
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
        spans = counts.map { (hash: $0.key, count: $0.value) }.sorted { $0.hash < $1.hash }
        size = content.count
    }

    /// Bytes of `self` (the source) that also appear in `destination`.
    func copiedBytes(into destination: SimilarityIndex) -> Int {
        var copied = 0
        var other = 0
        for span in spans {
            while other < destination.spans.count && destination.spans[other].hash < span.hash { other += 1 }
            if other < destination.spans.count && destination.spans[other].hash == span.hash {
                copied += min(span.count, destination.spans[other].count)
                other += 1
            }
        }
        return copied
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
