/// One message of a chat conversation.
public struct ChatMessage: Hashable, Sendable {
    /// `system`, `user` or `assistant`.
    public var role: String
    public var content: String

    /// Creates a message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A chat completion request, with the seed model's recommended decoding by default.
public struct ChatRequest: Hashable, Sendable {
    public var messages: [ChatMessage]
    public var model: String
    public var temperature: Double = 0.1
    public var topP: Double = 0.95
    public var maxTokens: Int = 1024
    /// Generation stops at these strings; the client puts a stripped stop string back.
    public var stop: [String] = ["</agent_response>"]
    /// A GBNF grammar for servers that accept one (llama.cpp), or `nil`.
    public var grammar: String?

    /// Creates a request.
    public init(messages: [ChatMessage], model: String, grammar: String? = nil) {
        self.messages = messages
        self.model = model
        self.grammar = grammar
    }
}

/// The model's reply and what it cost.
public struct ChatResponse: Hashable, Sendable {
    /// The reply text (with the stop string restored when the server removed it).
    public var content: String
    public var promptTokens: Int
    public var completionTokens: Int
    /// `stop`, `length`, ...
    public var finishReason: String?

    /// Creates a response.
    public init(content: String, promptTokens: Int, completionTokens: Int, finishReason: String?) {
        self.content = content
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.finishReason = finishReason
    }
}

/// Why a chat request failed.
public enum ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The server could not be reached (refused, DNS, reset); carries libcurl's message.
    case unreachable(url: String, message: String)
    /// No complete answer within the time limit.
    case timeout(url: String, seconds: Double)
    /// The server answered with an error status; carries its own message.
    case http(status: Int, message: String)
    /// The answer is not a chat completion (or is larger than the limit).
    case invalidResponse(String)

    public var description: String {
        switch self {
        case .unreachable(let url, let message): return "the model server at \(url) cannot be reached: \(message)"
        case .timeout(let url, let seconds): return "the model server at \(url) did not answer within \(Int(seconds)) s"
        case .http(let status, let message): return "the model server answered \(status): \(message)"
        case .invalidResponse(let message): return "the model server's answer is not usable: \(message)"
        }
    }

    /// Whether trying again may help (connection errors, 429, 5xx, timeouts).
    public var isTransient: Bool {
        switch self {
        case .unreachable, .timeout: return true
        case .http(let status, _): return status == 429 || status >= 500
        case .invalidResponse: return false
        }
    }
}

/// Sends chat completions. The seam between the agent and a model server.
public protocol ChatClient: Sendable {
    /// Completes one conversation.
    ///
    /// - Throws: ``ModelError`` after retries are exhausted or for a permanent error.
    func complete(_ request: ChatRequest) throws(ModelError) -> ChatResponse
}
