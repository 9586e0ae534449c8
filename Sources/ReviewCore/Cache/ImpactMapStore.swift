import Foundation
import ReviewGit

/// Impact maps kept between runs, in `<common git dir>/review/maps/`, one file per
/// environment (interpreter, its packages, review's settings, import roots) and not per
/// base: a map follows the branch (``MapDrift``).
///
/// A file holds the map's JSON; its `format` member is read first, so a map written by an
/// older or newer `review` is ignored with a note and a damaged one is discarded with a
/// warning, never misread. Writers write a temporary file and rename it into place, so
/// concurrent reviews (shards, two pushes) leave one complete map or the other.
/// `review map export` and `review map import` move the directory's maps between machines
/// as one file.
public struct ImpactMapStore: Sendable {
    /// The directory of the maps.
    public let directory: String

    /// The store of a repository's common git directory (created on first write).
    public init(gitDirectory: String) {
        directory = (gitDirectory.hasSuffix("/") ? gitDirectory : gitDirectory + "/") + "review/maps"
    }

    /// What reading a map gave.
    enum Loaded {
        case map(ImpactMap)
        case none
        /// Written in another format; the text says which.
        case otherFormat(String)
        /// Unreadable; the text says why (the file was removed).
        case damaged(String)
    }

    /// The file of the map for `key`.
    func path(_ key: CacheKey) -> String {
        directory + "/" + key.digest.prefix(20) + ".json"
    }

    /// The map for `key`.
    func load(_ key: CacheKey) -> Loaded {
        let path = path(key)
        guard let data = FileManager.default.contents(atPath: path) else { return .none }
        return Self.decode(data, path: path, removeDamaged: true)
    }

    struct FormatProbe: Decodable {
        var format: Int?
    }

    static func decode(_ data: Data, path: String, removeDamaged: Bool) -> Loaded {
        guard let probe = try? JSONDecoder().decode(FormatProbe.self, from: data) else {
            if removeDamaged { unlink(path) }
            return .damaged("warning: discarded a damaged impact map (not JSON): \(path)")
        }
        guard probe.format == ImpactMap.currentFormat else {
            let written = probe.format.map { "format \($0)" } ?? "an unversioned format"
            return .otherFormat(
                "impact map in \(path) is in \(written), this review reads format \(ImpactMap.currentFormat): ignored; a new one is recorded")
        }
        do {
            return .map(try JSONDecoder().decode(ImpactMap.self, from: data))
        } catch {
            if removeDamaged { unlink(path) }
            return .damaged("warning: discarded a damaged impact map (\(error.localizedDescription)): \(path)")
        }
    }

    /// Keeps `map` under `key`, atomically; a warning when it could not be written.
    @discardableResult
    func store(_ map: ImpactMap, key: CacheKey) -> String? {
        guard let data = Self.encoded(map) else { return "warning: the impact map could not be encoded" }
        return write(data, to: path(key))
    }

    /// JSON with sorted keys: the same map gives the same bytes.
    private static func encoded(_ value: some Encodable) -> Data? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try? encoder.encode(value)
    }

    private func write(_ data: Data, to path: String) -> String? {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            return "warning: cannot create \(directory); the impact map is not kept"
        }
        guard ResultCache.replace(path, with: data, in: directory) else {
            return "warning: cannot write the impact map in \(directory); it is not kept"
        }
        return nil
    }

    /// The layout of an exported file.
    struct Bundle: Codable {
        static let header = "review impact maps 1"
        var format: String
        var maps: [String: ImpactMap]
    }

    /// Writes every current-format map into one file; how many, and notes about the maps
    /// left out.
    public func export(to file: String) throws(ReviewFailure) -> (count: Int, notes: [String]) {
        var maps: [String: ImpactMap] = [:]
        var notes: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            switch Self.decode(data, path: path, removeDamaged: false) {
            case .map(let map): maps[String(name.dropLast(5))] = map
            case .otherFormat(let note), .damaged(let note): notes.append(note)
            case .none: break
            }
        }
        guard let data = Self.encoded(Bundle(format: Bundle.header, maps: maps)) else {
            throw ReviewFailure("cannot encode the impact maps", status: .infrastructure)
        }
        guard FileManager.default.createFile(atPath: file, contents: data) else {
            throw ReviewFailure("cannot write \(file)", status: .usage)
        }
        return (maps.count, notes)
    }

    /// Reads a file written by ``export(to:)`` and keeps its maps (replacing maps of the
    /// same environment); how many.
    public func importMaps(from file: String) throws(ReviewFailure) -> Int {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ReviewFailure("cannot read \(file)", status: .usage)
        }
        struct Header: Decodable { var format: String? }
        guard let header = try? JSONDecoder().decode(Header.self, from: data), header.format == Bundle.header else {
            throw ReviewFailure("\(file) is not an impact map export of this review (expected \"\(Bundle.header)\")", status: .usage)
        }
        let bundle: Bundle
        do {
            bundle = try JSONDecoder().decode(Bundle.self, from: data)
        } catch {
            throw ReviewFailure("\(file) is damaged or from another format of impact map: \(error.localizedDescription)", status: .usage)
        }
        for (name, map) in bundle.maps.sorted(by: { $0.key < $1.key }) {
            guard name.allSatisfy({ $0.isHexDigit }), map.format == ImpactMap.currentFormat,
                let encoded = Self.encoded(map)
            else {
                throw ReviewFailure("\(file) holds a map named \(name) that this review cannot use", status: .usage)
            }
            if let warning = write(encoded, to: directory + "/" + name + ".json") {
                throw ReviewFailure(warning, status: .infrastructure)
            }
        }
        return bundle.maps.count
    }
}
