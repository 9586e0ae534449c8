import ReviewAgent
import Testing

/// The tolerant parser of the seed model's replies, on well-formed and malformed variants.
@Suite("Agent reply parser")
struct AgentReplyParserTests {
    static let call = #"{"tool_name": "python_sandbox", "arguments": {"code": "print(1 + 1)"}}"#

    static let accepted: [(String, String, AgentReply)] = [
        ("ideal plan", "<agent_response>\n<node>Plan</node>\n<next_node>Execute</next_node>\n<content>## Plan\n- run it</content>\n</agent_response>", .plan("## Plan\n- run it")),
        ("ideal execute", "<agent_response><node>Execute</node><next_node>Execute</next_node><content>\(call)</content></agent_response>", .execute(code: "print(1 + 1)")),
        ("reflect", "<agent_response><node>Reflect</node><next_node>Execute</next_node><content>root cause: off by one</content></agent_response>", .reflect("root cause: off by one")),
        ("finish", "<agent_response><node>Finish</node><next_node>Finish</next_node><content>All good.</content></agent_response>", .finish("All good.")),
        ("think prefix", "<think>let me think</think>\n<agent_response><node>Finish</node><next_node>Finish</next_node><content>done</content></agent_response>", .finish("done")),
        ("markdown fence around xml", "```xml\n<agent_response>\n<node>Reflect</node>\n<next_node>Execute</next_node>\n<content>why</content>\n</agent_response>\n```", .reflect("why")),
        ("missing closing agent_response", "<agent_response><node>Finish</node><next_node>Finish</next_node><content>cut off</content>", .finish("cut off")),
        ("missing closing content", "<agent_response><node>Reflect</node><next_node>Execute</next_node><content>no close tag\n</agent_response>", .reflect("no close tag")),
        ("missing both closings", "<agent_response><node>Plan</node><next_node>Execute</next_node><content>1. run", .plan("1. run")),
        ("unescaped markup in content", "<agent_response><node>Reflect</node><next_node>Execute</next_node><content>if a < b && c > d: use </tag> carefully</content></agent_response>", .reflect("if a < b && c > d: use </tag> carefully")),
        ("raw newlines in json code", "<agent_response><node>Execute</node><next_node>Execute</next_node><content>{\"tool_name\": \"python_sandbox\", \"arguments\": {\"code\": \"import math\nprint(math.pi)\"}}</content></agent_response>", .execute(code: "import math\nprint(math.pi)")),
        ("single quotes in json", "<agent_response><node>Execute</node><next_node>Execute</next_node><content>{'tool_name': 'python_sandbox', 'arguments': {'code': 'print(\"hi\")'}}</content></agent_response>", .execute(code: "print(\"hi\")")),
        ("escaped quotes and newlines", "<agent_response><node>Execute</node><next_node>Execute</next_node><content>{\"tool_name\": \"python_sandbox\", \"arguments\": {\"code\": \"s = \\\"x\\\"\\nprint(s)\"}}</content></agent_response>", .execute(code: "s = \"x\"\nprint(s)")),
        ("bare python fence in content", "<agent_response><node>Execute</node><next_node>Execute</next_node><content>```python\nassert 1 + 1 == 2\n```</content></agent_response>", .execute(code: "assert 1 + 1 == 2")),
        ("bare python fence without xml", "Let me run this:\n```python\nprint('x')\n```\n", .execute(code: "print('x')")),
        ("json in a json fence", "<agent_response><node>Execute</node><next_node>Execute</next_node><content>```json\n\(call)\n```</content></agent_response>", .execute(code: "print(1 + 1)")),
        ("text around the block", "Sure! Here is my answer.\n<agent_response><node>Finish</node><next_node>Finish</next_node><content>ok</content></agent_response>\nHope this helps.", .finish("ok")),
        ("two blocks, first counts", "<agent_response><node>Plan</node><next_node>Execute</next_node><content>first</content></agent_response><agent_response><node>Finish</node><next_node>Finish</next_node><content>second</content></agent_response>", .plan("first")),
        ("second block opens before the first closes", "<agent_response><node>Reflect</node><next_node>Execute</next_node><content>first</content><agent_response><node>Finish</node>", .reflect("first")),
        ("lowercase node", "<agent_response><node>execute</node><content>\(call)</content></agent_response>", .execute(code: "print(1 + 1)")),
        ("node with chinese gloss", "<agent_response><node>Reflect(反思)</node><next_node>Execute</next_node><content>原因</content></agent_response>", .reflect("原因")),
        ("no next_node", "<agent_response><node>Finish</node><content>done</content></agent_response>", .finish("done")),
        ("node without close tag", "<agent_response><node>Finish\n<content>done</content></agent_response>", .finish("done")),
    ]

    @Test(arguments: 0..<accepted.count)
    func accepts(index: Int) {
        let (name, text, expected) = Self.accepted[index]
        switch AgentReplyParser.parse(text) {
        case .success(let reply): #expect(reply == expected, "\(name)")
        case .failure(let error): Issue.record("\(name): \(error)")
        }
    }

    static let rejected: [(String, String)] = [
        ("empty", ""),
        ("prose only", "I think the code is fine."),
        ("unfinished think", "<think>I need to consider the options and"),
        ("no node", "<agent_response><content>hello</content></agent_response>"),
        ("unknown node", "<agent_response><node>Deploy</node><content>x</content></agent_response>"),
        ("no content", "<agent_response><node>Plan</node><next_node>Execute</next_node></agent_response>"),
        ("execute without code", "<agent_response><node>Execute</node><content>I will now run the tests.</content></agent_response>"),
        ("execute with other tool", "<agent_response><node>Execute</node><content>{\"tool_name\": \"shell\", \"arguments\": {\"cmd\": \"ls\"}}</content></agent_response>"),
        ("unterminated code string", "<agent_response><node>Execute</node><content>{\"tool_name\": \"python_sandbox\", \"arguments\": {\"code\": \"print(1)</content></agent_response>"),
    ]

    @Test(arguments: 0..<rejected.count)
    func rejects(index: Int) {
        let (name, text) = Self.rejected[index]
        if case .success(let reply) = AgentReplyParser.parse(text) { Issue.record("\(name) was accepted as \(reply)") }
    }

    @Test func randomGarbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["<agent_response>", "</agent_response>", "<node>", "</node>", "Execute", "Plan", "<content>",
            "</content>", "{", "}", "\"code\"", ":", "'", "\"", "\\", "\n", "```python", "```", "<think>", "</think>", "x"]
        for _ in 0..<2000 {
            let text = (0..<Int.random(in: 0...20, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            _ = AgentReplyParser.parse(text)
        }
    }
}
