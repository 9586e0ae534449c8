import Foundation
import ReviewJSON

/// One call of a changed function, to make at base and at head.
public struct Probe: Hashable, Sendable, Codable {
    /// Unique within its ``ProbeSet``.
    public var id: String
    /// The function's qualified name in its module (`slugify`, `Cart.total`).
    public var target: String
    /// The pickled `(self or None, args, kwargs)`, base64.
    public var payload: String
    /// Where the input came from: `test` (a call the tests made), `neighbour` (a recorded
    /// call with one value moved), `new` (built from the signature: no test calls it).
    public var origin: String
    /// The test (or `doctest:<name>`) that made the recorded call, if any.
    public var test: String?
    /// The arguments as Python source, when each reads back equal (`"a  b", sep="_"`).
    public var arguments: String?
    /// Whether it is a method's call on a recorded instance.
    public var bound: Bool
    /// The instance, described (`Cart(items=list[1, 2])`), for a method's call.
    public var instance: String?
    /// What was set inside the recorded instance for this probe, in words (`` `instance._items[0].removed`
    /// set to True ``): a state the tests may never have reached.
    public var moved: String?
}

/// What the recording at head produced for one file.
public struct ProbeSet: Hashable, Sendable {
    public var probes: [Probe]
    /// Per changed function: the tests that called it.
    public var callers: [String: [String]]
    /// Per changed function: distinct calls recorded, and calls whose arguments could not be copied.
    public var recorded: [String: Int]
    public var uncopyable: [String: Int]
    /// Per changed function: how many of the recorded calls replayed ran a changed line;
    /// `nil` when that could not be traced (another tracer, such as coverage, was on).
    public var reaching: [String: Int]?
    /// Whether the calls were recorded during the test session at head rather than by a
    /// run of the tests of its own.
    public var inSession = false

    /// Creates a set.
    public init(
        probes: [Probe], callers: [String: [String]], recorded: [String: Int], uncopyable: [String: Int],
        reaching: [String: Int]? = nil
    ) {
        self.reaching = reaching
        self.probes = probes
        self.callers = callers
        self.recorded = recorded
        self.uncopyable = uncopyable
    }
}

/// What one probe did at one revision.
public struct ProbeResult: Hashable, Sendable {
    /// `returned`, `raised`, `timeout`, `missing` (no such function here), `unloadable`
    /// (its inputs do not load here), or `lost` (the interpreter died before it reported).
    public var status: String
    /// The returned value, described (addresses masked, sets sorted, iterators listed).
    public var value: String?
    /// The returned value as Python source, when it reads back equal.
    public var literal: String?
    /// Whether the function returned an iterator (listed, at most 100 items).
    public var iterator: Bool
    /// The exception's type and message.
    public var error: String?
    public var message: String?
    /// What it printed.
    public var stdout: String
    /// The instance and arguments after the call, described (a mutation shows here).
    public var after: String?
    /// `(args, kwargs)` after the call as Python source, when it reads back equal.
    public var afterLiteral: String?
    /// For a constructor's probe: the new object's public attributes, each as Python
    /// source (`nil` when it has none); `nil` for other probes.
    public var state: [String: String?]?
    /// For a constructor's probe: the new object's public attributes, described.
    public var fields: [String: String]?
    /// The returned value's type (its qualified name).
    public var type: String?
    /// The state inside what the call returned (an object of the project's) and inside the
    /// instance it ran on, private attributes included, leaf by leaf; `nil` when neither is
    /// an object of the project's, and in a run of every probe (only the runs of the probes
    /// that differed list it).
    public var inside: [Leaf]?
    /// What is compared of ``inside``: a digest of its leaves with private attribute names
    /// left out, so that renaming one is no difference.
    public var insideCompared: String?

    /// One value inside an object: the Python expression that reads it (`returned._order[2]`
    /// or `instance.items`), the value as Python source when it has one, and as described.
    public struct Leaf: Hashable, Sendable {
        public var expression: String
        public var literal: String?
        public var text: String

        public init(expression: String, literal: String?, text: String) {
            self.expression = expression
            self.literal = literal
            self.text = text
        }
    }

    /// Creates a result.
    public init(
        status: String, value: String? = nil, literal: String? = nil, iterator: Bool = false, error: String? = nil,
        message: String? = nil, stdout: String = "", after: String? = nil, afterLiteral: String? = nil,
        state: [String: String?]? = nil, fields: [String: String]? = nil, type: String? = nil
    ) {
        self.fields = fields
        self.type = type
        self.afterLiteral = afterLiteral
        self.state = state
        self.status = status
        self.value = value
        self.literal = literal
        self.iterator = iterator
        self.error = error
        self.message = message
        self.stdout = stdout
        self.after = after
    }

    /// Whether the probe could be compared: the function exists and its inputs load.
    public var comparable: Bool { status == "returned" || status == "raised" || status == "timeout" }

    /// What is compared between runs and revisions.
    public var observed: [String?] { outcome + [stdout, after] }

    /// What the call itself came to: how it ended, and the value or exception.
    public var outcome: [String?] { [status, value, error, message] }

    /// What is compared apart from the value (a constructor's value is compared by its
    /// ``fields``, one by one).
    public var observedApartFromValue: [String?] { [status, error, message, stdout, after] }

    /// The same result with the attributes in `names` left out of the object built (its
    /// value, state and fields): attributes that change from run to run, such as a time.
    public func without(_ names: Set<String>) -> ProbeResult {
        guard !names.isEmpty, let fields, let value, let open = value.firstIndex(of: "(") else { return self }
        var result = self
        let kept = fields.filter { !names.contains($0.key) }
        result.fields = kept
        result.state = state?.filter { !names.contains($0.key) }
        result.value = value[..<open] + "(" + kept.keys.sorted().map { "\($0)=\(kept[$0] ?? "")" }.joined(separator: ", ") + ")"
        return result
    }

    /// The outcome in a few words (`returns 'a-b'`, `raises ValueError: ...`, `times out`).
    public var summary: String {
        switch status {
        case "returned": return (iterator ? "yields " : "returns ") + Self.short(value ?? "?")
        case "built": return "builds " + Self.short(value ?? "?")
        case "raised": return "raises \(error ?? "?")" + ((message ?? "").isEmpty ? "" : ": " + Self.short(message ?? ""))
        case "timeout": return "does not return (times out)"
        default: return status
        }
    }

    /// The arguments after the call as a reader writes them: `(args, kwargs)` as Python
    /// source when it has one, else as described (the instance first, for a method).
    public var arguments: String { afterLiteral ?? after ?? "?" }

    /// The same result, said of a constructor: `builds Class(...)` rather than `returns`.
    public var building: ProbeResult {
        var result = self
        result.status = status == "returned" ? "built" : status
        return result
    }

    public static func short(_ text: String) -> String {
        text.count <= 160 ? text : String(text.prefix(157)) + "..."
    }
}

/// One run of probes at one revision.
public struct ProbeRun: Hashable, Sendable {
    /// Results by probe id.
    public var results: [String: ProbeResult]
    /// The module did not import: nothing was called.
    public var importError: String?
    public var execution: ExecutionResult
}

extension PythonToolbox {
    /// What the recording needs to know about a file.
    public struct ProbeRecording: Hashable, Sendable {
        public var module: String
        /// Qualified names of the changed functions.
        public var targets: [String]
        /// The tests to run with the recorder (node ids or files).
        public var tests: [String]
        public var headSource: String
        public var headLines: [ClosedRange<Int>]
        public var baseSource: String
        public var baseLines: [ClosedRange<Int>]
        /// Seconds the tests may take before recording stops.
        public var seconds: Double

        /// Creates a recording request.
        public init(
            module: String, targets: [String], tests: [String], headSource: String, headLines: [ClosedRange<Int>],
            baseSource: String, baseLines: [ClosedRange<Int>], seconds: Double
        ) {
            self.module = module
            self.targets = targets
            self.tests = tests
            self.headSource = headSource
            self.headLines = headLines
            self.baseSource = baseSource
            self.baseLines = baseLines
            self.seconds = seconds
        }
    }

    /// Takes the calls of the changed functions that the test session at head recorded
    /// (`recorded`) or, without them, runs the related tests of the revision at `root`
    /// (head) with the functions wrapped to record their calls; then runs their docstring
    /// examples the same way and derives the probes from what was recorded (at most 20
    /// distinct calls each replayed, those that run a changed line first).
    ///
    /// - Returns: the probes, or `nil` when the recorder wrote none; and the run.
    ///
    /// - Parameter recorded: what ``PythonScripts/callsPlugin`` recorded for the module during
    ///   the test session at head; the tests do not run again then.
    public func recordProbes(_ request: ProbeRecording, root: String, extraPaths: [String], recorded: JSONValue? = nil)
        throws(SandboxError) -> (probes: ProbeSet?, execution: ExecutionResult)
    {
        func lines(_ ranges: [ClosedRange<Int>]) -> JSONValue {
            .array(ranges.map { .array([.int($0.lowerBound), .int($0.upperBound)]) })
        }
        let spec: JSONValue = .object([
            ("module", .string(request.module)), ("targets", .array(request.targets.map(JSONValue.string))),
            ("tests", .array(request.tests.map(JSONValue.string))), ("budget", .double(request.seconds)),
            ("pytest_options", .array(Self.pytestOptions.map(JSONValue.string))),
            ("head_source", .string(request.headSource)), ("head_ranges", lines(request.headLines)),
            ("base_source", .string(request.baseSource)), ("base_ranges", lines(request.baseLines)),
            ("recorded", recorded ?? .null),
        ])
        let (data, execution) = try probeDriver(
            "record", spec: spec, root: root, extraPaths: extraPaths, wallSeconds: request.seconds * 2 + 30)
        guard let data, let object = try? JSONValue.parse(String(decoding: data, as: UTF8.self)) else { return (nil, execution) }
        let probes = (object["probes"]?.arrayValue ?? []).compactMap { entry -> Probe? in
            guard let id = entry["id"]?.stringValue, let target = entry["target"]?.stringValue,
                let payload = entry["payload"]?.stringValue
            else { return nil }
            return Probe(
                id: id, target: target, payload: payload, origin: entry["origin"]?.stringValue ?? "test",
                test: entry["test"]?.stringValue, arguments: entry["arguments"]?.stringValue,
                bound: entry["bound"]?.boolValue ?? false, instance: entry["instance"]?.stringValue,
                moved: entry["moved"]?.stringValue)
        }
        func counts(_ key: String) -> [String: Int] {
            (object[key]?.members ?? []).reduce(into: [:]) { $0[$1.0] = $1.1.intValue ?? 0 }
        }
        let callers = (object["callers"]?.members ?? []).reduce(into: [String: [String]]()) {
            $0[$1.0] = $1.1.arrayValue?.compactMap(\.stringValue) ?? []
        }
        let reaching = object["reaching"]?.members == nil ? nil : counts("reaching")
        var set = ProbeSet(
            probes: probes, callers: callers, recorded: counts("recorded"), uncopyable: counts("skipped"),
            reaching: reaching)
        set.inSession = recorded != nil
        return (set, execution)
    }

    /// Calls `probes` (all, or those in `only`) in one interpreter at the revision at
    /// `root`, each with `probeSeconds` before it counts as not returning.
    public func runProbes(
        _ probes: [Probe], module: String, only: Set<String>? = nil, probeSeconds: Double, root: String,
        extraPaths: [String]
    ) throws(SandboxError) -> ProbeRun {
        let chosen = probes.filter { only?.contains($0.id) ?? true }
        let spec: JSONValue = .object([
            ("module", .string(module)), ("probe_seconds", .double(probeSeconds)),
            // A run of some probes only (the ones that differed) lists the values inside objects.
            ("list_inside", .bool(only != nil)),
            (
                "probes",
                .array(
                    chosen.map {
                        .object([("id", .string($0.id)), ("target", .string($0.target)), ("payload", .string($0.payload))])
                    })
            ),
        ])
        let wall = Double(chosen.count) * probeSeconds + 30
        let (data, execution) = try probeDriver("run", spec: spec, root: root, extraPaths: extraPaths, wallSeconds: wall)
        var results: [String: ProbeResult] = [:]
        var importError: String?
        for line in String(decoding: data ?? Data(), as: UTF8.self).split(separator: "\n") {
            guard let entry = try? JSONValue.parse(String(line)) else { continue }
            if let failure = entry["import_error"]?.stringValue { importError = failure }
            guard let id = entry["id"]?.stringValue, let status = entry["status"]?.stringValue else { continue }
            results[id] = ProbeResult(
                status: status, value: entry["value"]?.stringValue, literal: entry["literal"]?.stringValue,
                iterator: entry["iterator"]?.boolValue ?? false, error: entry["error"]?.stringValue,
                message: entry["message"]?.stringValue, stdout: entry["stdout"]?.stringValue ?? "",
                after: entry["after"]?.stringValue, afterLiteral: entry["after_literal"]?.stringValue,
                state: entry["state"]?.members.map { members in
                    members.reduce(into: [String: String?]()) { $0[$1.0] = .some($1.1.stringValue) }
                },
                fields: entry["fields"]?.members.map { members in
                    members.reduce(into: [String: String]()) { $0[$1.0] = $1.1.stringValue ?? "" }
                }, type: entry["type"]?.stringValue)
            results[id]?.inside = entry["inside"]?.arrayValue?.compactMap { leaf -> ProbeResult.Leaf? in
                guard let parts = leaf.arrayValue, parts.count == 3, let expression = parts[0].stringValue else { return nil }
                return ProbeResult.Leaf(expression: expression, literal: parts[1].stringValue, text: parts[2].stringValue ?? "")
            }
            results[id]?.insideCompared = entry["inside_compared"]?.stringValue
        }
        // The probe that was running when the interpreter died (a crash, a hang in C code)
        // has no result: it is lost, and so are the ones after it.
        for probe in chosen where results[probe.id] == nil && importError == nil {
            results[probe.id] = ProbeResult(status: "lost")
        }
        return ProbeRun(results: results, importError: importError, execution: execution)
    }

    /// Runs one generated test file (`content`) at the revision at `root` on its own: the
    /// project's conftests and `addopts` left out, so that only the file decides.
    public func runPinnedTests(_ content: String, root: String, extraPaths: [String], wallSeconds: Double)
        throws(SandboxError) -> TestRun
    {
        try withOutputDirectory { output throws(SandboxError) in
            try? Data(content.utf8).write(to: URL(fileURLWithPath: output + "/test_review_pins.py"))
            try? Data("[pytest]\n".utf8).write(to: URL(fileURLWithPath: output + "/pytest.ini"))
            let arguments =
                [
                    interpreter.path, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--noconftest", "-c",
                    Self.outputRoot + "/pytest.ini", "--rootdir", Self.outputRoot,
                ] + Self.junitOptions + [Self.outputRoot + "/test_review_pins.py"]
            var command = command(arguments, root: root, output: output, extraPaths: extraPaths)
            command.limits.wallSeconds = wallSeconds
            return try junitSession(command, output: output, shown: "python3 -m pytest test_review_pins.py")
        }
    }

    /// Runs the probe driver in `mode` with `spec`; returns what it wrote and the run.
    private func probeDriver(_ mode: String, spec: JSONValue, root: String, extraPaths: [String], wallSeconds: Double)
        throws(SandboxError) -> (Data?, ExecutionResult)
    {
        try withOutputDirectory { output throws(SandboxError) in
            try? Data(spec.rendered(pretty: false).utf8).write(to: URL(fileURLWithPath: output + "/spec.json"))
            let arguments = [
                interpreter.path, "-c", PythonScripts.probe, mode, Self.outputRoot + "/spec.json",
                Self.outputRoot + "/result",
            ]
            var command = command(arguments, root: root, output: output, extraPaths: extraPaths)
            // The same hash seed on both sides, so that a set's order is no difference.
            command.environment["PYTHONHASHSEED"] = "0"
            command.limits.wallSeconds = min(command.limits.wallSeconds, wallSeconds)
            let execution = try sandbox.run(command)
            return (FileManager.default.contents(atPath: output + "/result"), execution)
        }
    }
}
