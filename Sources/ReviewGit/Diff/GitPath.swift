/// A path inside a repository, kept as the exact bytes git stores.
///
/// Git paths are byte strings: most are UTF-8, but nothing forces them to be. `GitPath`
/// never loses a byte; ``description`` renders it readably, escaping what is not
/// printable UTF-8 the way git's `core.quotePath=false` does.
public struct GitPath: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The raw bytes of the path, `/`-separated, relative to the repository root.
    public let bytes: [UInt8]

    /// Creates a path from raw bytes.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Creates a path from a Swift string (UTF-8 encoded).
    public init(_ string: String) {
        self.bytes = Array(string.utf8)
    }

    init(cString: UnsafePointer<CChar>) {
        let length = strlen(cString)
        self.bytes = cString.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// The path as a string when it is valid UTF-8, otherwise `nil`.
    public var string: String? {
        String(validating: bytes, as: UTF8.self)
    }

    /// Whether the bytes are valid UTF-8.
    public var isUTF8: Bool { string != nil }

    /// The last path component as bytes-preserving `GitPath`.
    public var lastComponent: GitPath {
        if let slash = bytes.lastIndex(of: UInt8(ascii: "/")) {
            return GitPath(bytes: Array(bytes[(slash + 1)...]))
        }
        return self
    }

    /// The path for display: unchanged when it is plain printable UTF-8, otherwise in
    /// double quotes with C escapes (`\t`, `\n`, `\"`, `\\`, and `\ooo` octal for control
    /// characters and bytes that are not valid UTF-8), as git quotes paths.
    public var description: String {
        if let text = string, !bytes.contains(where: GitPath.needsQuoting) {
            return text
        }
        return quoted
    }

    /// The path always in git's quoted form, with every non-ASCII byte as octal
    /// (git's default `core.quotePath=true` style when quoting is needed).
    public var quoted: String {
        var out = "\""
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x80, let (scalarText, length) = GitPath.validUTF8Sequence(bytes, at: index) {
                out += scalarText
                index += length
                continue
            }
            out += GitPath.escape(byte)
            index += 1
        }
        return out + "\""
    }

    public static func < (lhs: GitPath, rhs: GitPath) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    private static func needsQuoting(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func escape(_ byte: UInt8) -> String {
        switch byte {
        case 0x07: return "\\a"
        case 0x08: return "\\b"
        case 0x09: return "\\t"
        case 0x0A: return "\\n"
        case 0x0B: return "\\v"
        case 0x0C: return "\\f"
        case 0x0D: return "\\r"
        case UInt8(ascii: "\""): return "\\\""
        case UInt8(ascii: "\\"): return "\\\\"
        case 0x20..<0x7F: return String(UnicodeScalar(byte))
        default:
            let octal = String(byte, radix: 8)
            return "\\" + String(repeating: "0", count: 3 - octal.count) + octal
        }
    }

    /// Decodes one valid multi-byte UTF-8 sequence starting at `index`.
    private static func validUTF8Sequence(_ bytes: [UInt8], at index: Int) -> (String, Int)? {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        let slice = Array(bytes[index..<(index + length)])
        guard let text = String(validating: slice, as: UTF8.self) else { return nil }
        return (text, length)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
