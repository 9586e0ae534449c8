import Foundation
import ReviewJSON

/// A client for any OpenAI-compatible `POST {url}/chat/completions` (llama.cpp's server,
/// vLLM, SGLang, Ollama) over libcurl.
///
/// Retries connection errors, timeouts, 429 and 5xx with exponential backoff and jitter,
/// honouring `Retry-After`; a 4xx is reported at once with the server's own message. The
/// API key is sent as a bearer header and nowhere else. Each request owns its own libcurl
/// handle, so one client serves concurrent tasks.
public struct OpenAICompatibleClient: ChatClient {
    /// The base URL, e.g. `http://127.0.0.1:8080/v1`.
    public var baseURL: String
    public var apiKey: String?
    public var connectTimeout: Double = 5
    /// Seconds for one request (generation included).
    public var requestTimeout: Double = 120
    /// Attempts per request, the first included.
    public var attempts: Int = 4
    /// The first backoff in seconds; doubled each retry, with up to 50 % jitter.
    public var backoff: Double = 0.5
    /// The largest answer accepted, in bytes.
    public var responseLimit: Int = 4 << 20
    /// Whether to send `chat_template_kwargs: {"enable_thinking": false}` (Qwen3 templates).
    public var disableThinking: Bool = true

    /// Creates a client.
    public init(baseURL: String, apiKey: String?) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        self.apiKey = apiKey
    }

    /// The API key from `REVIEW_API_KEY`, else `OPENAI_API_KEY`.
    public static func apiKey(from environment: [String: String]) -> String? {
        for name in ["REVIEW_API_KEY", "OPENAI_API_KEY"] {
            if let key = environment[name], !key.isEmpty { return key }
        }
        return nil
    }

    public func complete(_ request: ChatRequest) throws(ModelError) -> ChatResponse {
        let body = Array(requestBody(request).utf8)
        var headers = ["Content-Type: application/json", "Accept: application/json"]
        if let apiKey { headers.append("Authorization: Bearer \(apiKey)") }
        let url = baseURL + "/chat/completions"
        var delay = backoff
        var lastError = ModelError.unreachable(url: url, message: "no attempt made")
        for attempt in 1...max(1, attempts) {
            do {
                guard let transfer = HTTPTransfer() else {
                    throw ModelError.unreachable(url: url, message: "libcurl could not be initialized")
                }
                let result = try transfer.post(
                    url: url, body: body, headers: headers, connectTimeout: connectTimeout,
                    totalTimeout: requestTimeout, responseLimit: responseLimit)
                guard (200..<300).contains(result.status) else {
                    let error = ModelError.http(status: result.status, message: Self.serverMessage(result.body))
                    if error.isTransient, attempt < attempts {
                        lastError = error
                        Self.sleep(Self.retryAfter(result.headers["retry-after"]) ?? Self.jittered(delay))
                        delay *= 2
                        continue
                    }
                    throw error
                }
                return try Self.parse(result.body, stop: request.stop)
            } catch let error as ModelError {
                guard error.isTransient, attempt < attempts else { throw error }
                lastError = error
                Self.sleep(Self.jittered(delay))
                delay *= 2
            } catch {
                throw .invalidResponse("\(error)")
            }
        }
        throw lastError
    }

    /// The JSON body of a request.
    func requestBody(_ request: ChatRequest) -> String {
        var members: [(String, JSONValue)] = []
        if disableThinking { members.append(("chat_template_kwargs", .object([("enable_thinking", .bool(false))]))) }
        if let grammar = request.grammar { members.append(("grammar", .string(grammar))) }
        members += [
            ("max_tokens", .int(request.maxTokens)),
            ("messages", .array(request.messages.map { .object([("content", .string($0.content)), ("role", .string($0.role))]) })),
            ("model", .string(request.model)),
            ("stop", .array(request.stop.map(JSONValue.string))),
            ("stream", .bool(false)),
            ("temperature", .double(request.temperature)),
            ("top_p", .double(request.topP)),
        ]
        return JSONValue.object(members).rendered(pretty: false)
    }

    /// Reads a chat completion; puts the stop string back when the server stripped it.
    static func parse(_ body: [UInt8], stop: [String]) throws(ModelError) -> ChatResponse {
        guard let object = try? JSONValue.parse(bytes: body), object.members != nil else {
            throw .invalidResponse("not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        guard let choice = object["choices"]?.arrayValue?.first, let message = choice["message"], message.members != nil
        else {
            throw .invalidResponse("no choices[0].message in the answer")
        }
        var content = message["content"]?.stringValue ?? ""
        let finish = choice["finish_reason"]?.stringValue
        // Servers strip the stop string; put a closing tag back when its opening tag is there.
        if finish == "stop" {
            for marker in stop where marker.hasPrefix("</") {
                let opening = "<" + marker.dropFirst(2)
                if content.contains(opening) && !content.contains(marker) { content += marker }
            }
        }
        let usage = object["usage"]
        return ChatResponse(
            content: content, promptTokens: usage?["prompt_tokens"]?.intValue ?? 0,
            completionTokens: usage?["completion_tokens"]?.intValue ?? 0, finishReason: finish)
    }

    /// The server's error message (OpenAI's `{"error": {"message": ...}}` or the raw text).
    static func serverMessage(_ body: [UInt8]) -> String {
        if let object = try? JSONValue.parse(bytes: body), object.members != nil {
            if let message = object["error"]?["message"]?.stringValue { return message }
            if let message = object["error"]?.stringValue { return message }
            if let detail = object["detail"] { return detail.stringValue ?? detail.rendered(pretty: false) }
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "no message" : text
    }

    /// `Retry-After` in seconds (capped at 60), when the header holds a number.
    static func retryAfter(_ header: String?) -> Double? {
        guard let header, let seconds = Double(header.trimmingCharacters(in: .whitespaces)), seconds >= 0 else {
            return nil
        }
        return min(seconds, 60)
    }

    static func jittered(_ delay: Double) -> Double {
        delay * (1 + Double.random(in: 0..<0.5))
    }

    static func sleep(_ seconds: Double) {
        usleep(useconds_t(max(0, min(seconds, 60)) * 1_000_000))
    }
}
