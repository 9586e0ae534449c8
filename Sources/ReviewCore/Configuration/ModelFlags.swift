import ReviewAgent

/// The model flags of a command line, merged here with `[tool.review.model]` and the
/// environment into the model settings of a review.
public struct ModelFlags: Sendable {
    public var url: String?
    public var model: String?
    /// `builtin` or `none`.
    public var fallback: String?
    public var constrained = false
    public var timeout: Double?
    public var maxTokens: Int?

    public init() {}

    /// Sets `options.model` and `options.modelFallback`: `[tool.review.model]`, then
    /// `REVIEW_MODEL_URL` / `REVIEW_MODEL`, then these flags; no model without a URL. The
    /// chat client gets the API key from `environment` (it never reaches the sandbox).
    ///
    /// - Throws: ``ReviewFailure`` (exit 2) for a flag with a bad value.
    public func apply(to options: inout ReviewOptions, environment: [String: String]) throws(ReviewFailure) {
        let configuration = options.configuration
        func nonEmpty(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let fallback, fallback != "builtin" && fallback != "none" {
            throw ReviewFailure("--model-fallback takes builtin or none", status: .usage)
        }
        guard let url = url ?? nonEmpty("REVIEW_MODEL_URL") ?? configuration.modelURL else {
            (options.model, options.modelFallback) = (nil, false)
            return
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ReviewFailure("--model-url must start with http:// or https://", status: .usage)
        }
        var settings = ModelSettings(url: url, model: model ?? nonEmpty("REVIEW_MODEL") ?? configuration.modelName ?? "seed")
        settings.constrained = constrained || (configuration.modelConstrained ?? false)
        if let timeout = timeout ?? configuration.modelTimeout.map(Double.init) {
            settings.requestTimeout = max(1, timeout)
        }
        if let maxTokens {
            guard maxTokens > 0 else { throw ReviewFailure("--max-tokens must be positive", status: .usage) }
            settings.maxTokensPerRun = maxTokens
        }
        options.model = settings
        options.modelFallback = fallback.map { $0 == "builtin" } ?? configuration.modelFallback ?? false
        options.chatClient = ReviewOptions.standardChatClient(apiKey: ReviewOptions.apiKey(from: environment))
    }
}
