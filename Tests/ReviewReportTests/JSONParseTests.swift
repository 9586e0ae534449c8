import ReviewJSON
import ReviewReport
import Testing

/// The JSON reader `review merge` uses: order-keeping, strict, one-line errors.
@Suite("JSON reader")
struct JSONParseTests {
    @Test func readsBackWhatTheWriterWritesInTheSameOrder() throws {
        let value = JSONValue.object([
            ("zeta", .int(-3)), ("alpha", .string("tab\there \"quoted\" \\ é 🚀 \u{01}")),
            ("list", .array([.null, .bool(true), .bool(false), .double(1.5), .object([])])),
            ("empty", .array([])), ("nested", .object([("b", .int(1)), ("a", .int(2))])),
        ])
        for pretty in [true, false] {
            let parsed = try JSONValue.parse(value.rendered(pretty: pretty))
            #expect(parsed == value)
            #expect(parsed.rendered() == value.rendered(), "member order survives")
        }
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let parsed = try JSONValue.parse(#"["\u00e9\ud83d\ude80\/", 1e3, -0.25, 12345678901]"#)
        #expect(parsed == .array([.string("é🚀/"), .double(1000), .double(-0.25), .int(12_345_678_901)]))
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "\"open", "tru", "[1] 2", "{\"a\":1,}", "\"\u{01}\"", "-", "[\"\\x\"]"])
    func rejects(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
    }
}
