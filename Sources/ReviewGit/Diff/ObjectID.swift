internal import CGit2

/// A git object id (SHA-1), as 40 lowercase hexadecimal digits.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The full hexadecimal id.
    public let hex: String

    /// Creates an id from its hexadecimal spelling (not validated beyond what callers need).
    public init(hex: String) {
        self.hex = hex.lowercased()
    }

    init(_ oid: git_oid) {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(40)
        withUnsafeBytes(of: oid.id) { bytes in
            for byte in bytes {
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0F)])
            }
        }
        self.hex = String(decoding: text, as: UTF8.self)
    }

    /// Whether this is the all-zeros id that git uses for "no object".
    public var isZero: Bool { hex.allSatisfy { $0 == "0" } }

    /// The first seven digits, as git abbreviates ids for display.
    public var short: String { String(hex.prefix(7)) }

    public var description: String { hex }

    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.hex < rhs.hex }

    /// The libgit2 form of the id.
    var raw: git_oid {
        var oid = git_oid()
        _ = git_oid_fromstr(&oid, hex)
        return oid
    }
}

extension ObjectID {
    /// The id git gives a blob with these bytes (`git hash-object`): a content digest that
    /// needs no repository, used for cache keys and checksums.
    public static func blob(hashing bytes: [UInt8]) -> ObjectID {
        var oid = git_oid()
        bytes.withUnsafeBufferPointer { buffer in
            _ = git_odb_hash(&oid, buffer.baseAddress, buffer.count, GIT_OBJECT_BLOB)
        }
        return ObjectID(oid)
    }
}
