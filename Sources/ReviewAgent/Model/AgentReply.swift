import Foundation
import ReviewJSON

/// One reply of the seed model, parsed.
public enum AgentReply: Hashable, Sendable {
    case plan(String)
    case execute(code: String)
    case reflect(String)
    case finish(String)

    /// The node the reply is in.
    public var node: AgentNode {
        switch self {
        case .plan: return .plan
        case .execute: return .execute
        case .reflect: return .reflect
        case .finish: return .finish
        }
    }
}

/// Turns model text into an ``AgentReply``, accepting the deviations real models make
/// when the meaning is still clear: a `<think>` prefix, Markdown fences around the XML,
/// a missing `</content>` or `</agent_response>`, unescaped `<`, `>` and `&` in the
/// content, a tool call whose JSON has raw newlines or single quotes, a bare Python fence
/// instead of the JSON, text around the block, and two blocks (the first counts).
public enum AgentReplyParser {
    /// Why a reply could not be understood.
    public struct FormatError: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Parses one reply.
    public static func parse(_ text: String) -> Result<AgentReply, FormatError> {
        var body = text
        if let thinkEnd = body.range(of: "</think>") {
            body = String(body[thinkEnd.upperBound...])
        } else if body.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("<think>"),
            !body.contains("<agent_response>")
        {
            return .failure(FormatError(description: "the reply is an unfinished <think> block"))
        }
        guard let start = body.range(of: "<agent_response>") ?? body.range(of: "<node>") else {
            if let code = pythonFence(body) { return .success(.execute(code: code)) }
            return .failure(FormatError(description: "no <agent_response> block"))
        }
        var block = String(body[start.lowerBound...])
        // The first block only: cut at its end, or where a second block starts.
        if let end = block.range(of: "</agent_response>") {
            block = String(block[..<end.lowerBound])
        }
        if let second = block.dropFirst("<agent_response>".count).range(of: "<agent_response>") {
            block = String(block[..<second.lowerBound])
        }
        guard let nodeName = tagValue("node", in: block) else {
            return .failure(FormatError(description: "the block has no <node>"))
        }
        guard let node = node(named: nodeName) else {
            return .failure(FormatError(description: "unknown node '\(nodeName)'"))
        }
        guard let content = content(in: block) else {
            return .failure(FormatError(description: "the block has no <content>"))
        }
        switch node {
        case .plan: return .success(.plan(content))
        case .reflect: return .success(.reflect(content))
        case .finish: return .success(.finish(content))
        case .execute:
            guard let code = toolCode(content) else {
                return .failure(
                    FormatError(description: "the Execute content is not a python_sandbox tool call with code"))
            }
            return .success(.execute(code: code))
        }
    }

    static func node(named name: String) -> AgentNode? {
        let cleaned = name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return AgentNode.allCases.first { cleaned.hasPrefix($0.rawValue.lowercased()) }
    }

    /// The text of `<tag>...</tag>`, tolerating a missing close tag (up to the next tag or line end).
    static func tagValue(_ tag: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(tag)>") else { return nil }
        let rest = text[open.upperBound...]
        if let close = rest.range(of: "</\(tag)>") {
            return String(rest[..<close.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let value = rest.prefix { $0 != "<" && $0 != "\n" }
        return value.isEmpty ? nil : String(value)
    }

    /// The content: from `<content>` to the last `</content>` of the block (the content may
    /// itself hold `<`, `>` and even `</`), or to the end of the block.
    static func content(in block: String) -> String? {
        guard let open = block.range(of: "<content>") else { return nil }
        let rest = block[open.upperBound...]
        var value = rest
        if let close = rest.range(of: "</content>", options: .backwards) {
            value = rest[..<close.lowerBound]
        }
        return String(value).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The code of a `python_sandbox` tool call: strict JSON first, then a lenient scan of
    /// the `"code"` string (raw newlines, single quotes), then a Python fence.
    static func toolCode(_ content: String) -> String? {
        let trimmed = unfence(content)
        if let object = try? JSONValue.parse(trimmed), let code = object["arguments"]?["code"]?.stringValue {
            return code
        }
        if let code = lenientCode(trimmed) { return code }
        return pythonFence(content)
    }

    /// Removes one Markdown fence around the whole text.
    static func unfence(_ text: String) -> String {
        var lines = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 2, lines.first?.hasPrefix("```") == true, lines.last?.hasPrefix("```") == true else {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        lines.removeFirst()
        lines.removeLast()
        return lines.joined(separator: "\n")
    }

    static func lenientCode(_ text: String) -> String? {
        guard let key = text.range(of: "\"code\"") ?? text.range(of: "'code'") else { return nil }
        var index = key.upperBound
        while index < text.endIndex, text[index] == " " || text[index] == ":" || text[index].isNewline { index = text.index(after: index) }
        guard index < text.endIndex, text[index] == "\"" || text[index] == "'" else { return nil }
        let quote = text[index]
        index = text.index(after: index)
        var code = ""
        var closed = false
        while index < text.endIndex {
            let character = text[index]
            if character == "\\" {
                let next = text.index(after: index)
                guard next < text.endIndex else { break }
                switch text[next] {
                case "n": code.append("\n")
                case "t": code.append("\t")
                case "r": code.append("\r")
                case "\"": code.append("\"")
                case "'": code.append("'")
                case "\\": code.append("\\")
                default:
                    code.append("\\")
                    code.append(text[next])
                }
                index = text.index(after: next)
                continue
            }
            if character == quote {
                // A closing quote is followed by the end of the object, not by more code.
                let rest = text[text.index(after: index)...].trimmingCharacters(in: .whitespacesAndNewlines)
                if rest.isEmpty || rest.hasPrefix("}") || rest.hasPrefix(",") {
                    closed = true
                    break
                }
            }
            code.append(character)
            index = text.index(after: index)
        }
        return closed && !code.isEmpty ? code : nil
    }

    /// The body of the first ```python (or bare ```) fence.
    static func pythonFence(_ text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let open = lines.firstIndex(where: {
            let line = $0.trimmingCharacters(in: .whitespaces)
            return line == "```python" || line == "```py" || line == "```python3"
        }) else { return nil }
        guard let close = lines[(open + 1)...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "```" })
        else { return nil }
        let code = lines[(open + 1)..<close].joined(separator: "\n")
        return code.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : code
    }
}
