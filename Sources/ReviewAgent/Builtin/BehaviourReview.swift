import ReviewFindings
import ReviewSandbox

extension ReviewTask {
    /// The changed functions behaviour review calls: not the ones nested in another changed
    /// function (that one is called), nor the methods that build or tear down objects
    /// (``BehaviourReview/unprobed``).
    public var probedFunctions: [PythonSymbol] {
        changedSymbols.filter { symbol in
            let last = symbol.name.split(separator: ".").last.map(String.init) ?? symbol.name
            return symbol.kind == "function" && !BehaviourReview.unprobed.contains(last)
                && !changedSymbols.contains { $0.kind == "function" && symbol.name.hasPrefix($0.name + ".") }
        }
    }

    /// What the test session at head records for this task's behaviour review; `nil` when
    /// it has no function to call (a test file, a new file, a change to no function, the
    /// same code at both revisions).
    public var callTargets: CallTargets? {
        guard !isTestFile, !sameCode, let module, basePath != nil else { return nil }
        let functions = probedFunctions
        guard !functions.isEmpty else { return nil }
        return CallTargets(
            module: module, targets: functions.map(\.name), headLines: hunks.filter { $0.newLines > 0 }.map(\.headLines))
    }
}

/// Behaviour review: the changed functions of a task called at base and at head on the
/// same inputs, and every difference that holds up reported with its input, both results
/// and a test that pins the base behaviour, verified by running it at both revisions.
///
/// The steps, each an Execute of the loop: record calls while the related tests run at
/// head (and derive probes from them); call every probe at base, then at head; call the
/// ones that differ again at both (a probe that changes between two runs of one revision
/// is nondeterministic and dropped); run the pinned tests at base and at head; and, when a
/// test changed in the range called the function, run it at base: failing there, it pins
/// the new behaviour, and the finding is information rather than a warning.
struct BehaviourReview {
    /// Seconds one probe may take before it counts as not returning.
    static let probeSeconds = 2.0
    /// Methods never called on a recorded instance: they build, tear down or reach into
    /// objects rather than compute (`__eq__`, `__len__`, `__call__` are probed; `__init__`
    /// is probed by calling the class and comparing the new objects' public attributes).
    static let unprobed: Set<String> = [
        "__new__", "__del__", "__init_subclass__", "__set_name__", "__getattr__", "__getattribute__",
        "__setattr__", "__delattr__", "__enter__", "__exit__", "__reduce__", "__reduce_ex__", "__getstate__",
        "__setstate__", "__class_getitem__",
    ]
    /// The most pinned tests tried per function.
    static let pinsPerFunction = 3
    /// Seconds a session of watched tests (``TestWatch``) may take.
    static let watchSeconds = 120.0

    /// What the loop runs next, or the end with what was found.
    enum Step {
        case execute(ExecutionRequest, note: String)
        case done(findings: [Finding], notes: [String])
    }

    private let task: ReviewTask
    private let targets: [PythonSymbol]
    private let recording: PythonToolbox.ProbeRecording
    /// The tests that passed at head in the task's own run.
    private let passedAtHead: Set<String>
    /// Reads a file of head (the changed tests, run against base's code).
    private let readHead: (String) -> String?
    private var stage: Stage = .record
    private var set: ProbeSet?
    private var first: (base: ProbeRun?, head: ProbeRun?) = (nil, nil)
    /// The probes whose results differ between the first runs at base and at head.
    private var differing: Set<String> = []
    private var second: (base: ProbeRun?, head: ProbeRun?) = (nil, nil)
    /// Per function: the probes whose difference held in both runs, in probe order.
    private var differences: [String: [Probe]] = [:]
    /// Per constructor probe: the attributes of the object built that changed between two
    /// runs of one revision (a time, an id), left out of the comparison and the pin.
    private var unstable: [String: Set<String>] = [:]
    private var pins: [Pin] = []
    private var pinRuns: (base: TestRun?, head: TestRun?) = (nil, nil)
    private var notes: [String] = []
    /// The watch of the functions whose calls could not be copied, once the probes are done,
    /// and what the probes found meanwhile.
    private var watch: TestWatch?
    private var probed: (findings: [Finding], notes: [String]) = ([], [])

    private enum Stage {
        case record, baseFirst, headFirst, baseSecond, headSecond, pinsBase, pinsHead, intended, finished, watching
    }

    /// A generated test for one differing probe.
    struct Pin {
        var target: String
        var probe: Probe
        var name: String
        var source: String
    }

    /// The review of `task`, or `nil` with the reason it has nothing to probe.
    static func make(
        _ task: ReviewTask, head: String?, base: String?, passedAtHead: Set<String>, seconds: Double,
        readHead: @escaping (String) -> String?
    ) -> Result<BehaviourReview, NotProbed> {
        guard !task.isTestFile else { return .failure(NotProbed(nil)) }
        guard let module = task.module else { return .failure(NotProbed("not an importable module")) }
        guard task.basePath != nil, let base, let head else { return .failure(NotProbed("the file is new at head")) }
        let functions = task.probedFunctions
        guard !functions.isEmpty else { return .failure(NotProbed("the change touches no function")) }
        let recording = PythonToolbox.ProbeRecording(
            module: module, targets: functions.map(\.name), tests: task.testTargets,
            headSource: head, headLines: task.hunks.filter { $0.newLines > 0 }.map(\.headLines), baseSource: base,
            baseLines: task.hunks.filter { $0.oldLines > 0 }.map { $0.oldStart...($0.oldStart + $0.oldLines - 1) },
            seconds: seconds)
        return .success(
            BehaviourReview(
                task: task, targets: functions, recording: recording, passedAtHead: passedAtHead, readHead: readHead))
    }

    /// Why a file was not probed.
    struct NotProbed: Error {
        /// `nil` when there is nothing to say (a test file is not probed, it is run).
        let reason: String?
        init(_ reason: String?) { self.reason = reason }
    }

    private init(
        task: ReviewTask, targets: [PythonSymbol], recording: PythonToolbox.ProbeRecording, passedAtHead: Set<String>,
        readHead: @escaping (String) -> String?
    ) {
        self.readHead = readHead
        self.task = task
        self.targets = targets
        self.recording = recording
        self.passedAtHead = passedAtHead
    }

    /// The next step, given the outcome of the last one.
    mutating func next(_ last: ExecutionOutcome?) -> Step {
        switch stage {
        case .record:
            stage = .baseFirst
            return .execute(.recordProbes(recording), note: "record the calls of \(names(targets.map(\.name)))")
        case .baseFirst:
            if case .probes(let recorded?, _)? = last { set = recorded }
            guard let recorded = set, !recorded.probes.isEmpty else {
                var note = "not probed: no inputs (no call of \(names(targets.map(\.name))) was recorded or could be built)"
                if let uncopied = set.flatMap(Self.uncopied) { note += "; " + uncopied }
                return finish(note: note)
            }
            stage = .headFirst
            return run(recorded.probes, only: nil, side: .base)
        case .headFirst:
            first.base = probeRun(last)
            stage = .baseSecond
            return run(set?.probes ?? [], only: nil, side: .head)
        case .baseSecond:
            first.head = probeRun(last)
            differing = differingIDs(first.base, first.head)
            if let failure = first.head?.importError ?? first.base?.importError {
                return finish(note: "not probed: the module does not import (\(Wording.short(failure)))")
            }
            guard !differing.isEmpty else { return finish(note: noDifference) }
            stage = .headSecond
            return run(set?.probes ?? [], only: differing, side: .base)
        case .headSecond:
            second.base = probeRun(last)
            stage = .pinsBase
            return run(set?.probes ?? [], only: differing, side: .head)
        case .pinsBase:
            second.head = probeRun(last)
            collectDifferences()
            guard !differences.isEmpty else { return finish(note: noDifference) }
            pins = makePins()
            guard !pins.isEmpty else {
                return finish(
                    note: "\(names(differences.keys.sorted())) differ(s) at head, but no test could be written to pin it (the results have no Python literal); not reported")
            }
            stage = .pinsHead
            return .execute(.runPinnedTests(pinFile(pins), side: .base), note: "do the pinned tests pass at base?")
        case .pinsHead:
            pinRuns.base = last?.testRun
            stage = .intended
            return .execute(.runPinnedTests(pinFile(pins), side: .head), note: "do they fail at head?")
        case .intended:
            pinRuns.head = last?.testRun
            let callers = intendedCandidates
            guard !callers.isEmpty else { return finish(intendedBy: [:]) }
            stage = .finished
            // Head's version of the tests, against base's code.
            let files = Set(callers.map(PythonToolbox.file(of:))).sorted()
            let overrides = files.compactMap { file in readHead(file).map { FileOverride(path: file, content: $0) } }
            return .execute(
                .runTests(callers, side: .base, overrides: overrides),
                note: "do the changed tests that call it (head's version) fail against base's code?")
        case .watching:
            return watched(last)
        case .finished:
            var failing: [String: String] = [:]
            if let run = last?.testRun {
                for outcome in run.outcomes where outcome.status == .failed || outcome.status == .error {
                    failing[outcome.nodeID] = outcome.message
                }
            }
            return finish(intendedBy: failing)
        }
    }

    // MARK: - Comparing

    private var noDifference: String {
        "\(ranCount) probe(s) of \(names(targets.map(\.name))), no difference between base and head"
            + (set.flatMap(Self.reach).map { "; " + $0 } ?? "")
            + (set.flatMap(Self.uncopied).map { "; " + $0 } ?? "")
    }

    /// How many of the recorded calls replayed ran a changed line, per function: a probe
    /// that never gets there cannot show the change.
    static func reach(_ set: ProbeSet) -> String? {
        guard let reaching = set.reaching else { return nil }
        let parts = reaching.keys.sorted().compactMap { name -> String? in
            let replayed = set.probes.filter { $0.target == name && $0.origin == "test" }.count
            guard replayed > 0 else { return nil }
            return "\(reaching[name] ?? 0) of the \(replayed) recorded call(s) of `\(name)` ran the changed lines"
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// The functions the tests called whose calls could not be copied at all (arguments or
    /// instance that do not pickle), said so: they were probed with built inputs at most.
    static func uncopied(_ set: ProbeSet) -> String? {
        let missed = set.uncopyable.filter { $0.value > 0 && (set.recorded[$0.key] ?? 0) == 0 }.sorted { $0.key < $1.key }
        guard !missed.isEmpty else { return nil }
        let list = missed.map { "`\($0.key)` (\($0.value))" }.joined(separator: ", ")
        return "the tests' calls of \(list) could not be copied (arguments or an instance that do not pickle: "
            + "lambdas, open files, classes defined inside a test), so none of them was replayed"
    }

    /// Probes that ran on both sides and did not agree.
    private func differingIDs(_ base: ProbeRun?, _ head: ProbeRun?) -> Set<String> {
        guard let base, let head else { return [] }
        return Set(
            base.results.compactMap { id, atBase in
                guard let atHead = head.results[id], atBase.comparable, atHead.comparable else { return nil }
                return atBase.observed == atHead.observed && atBase.insideCompared == atHead.insideCompared ? nil : id
            })
    }

    /// The differences that held: the same result in both runs of each revision. An object
    /// built is compared attribute by attribute, and an attribute that changed between the
    /// two runs of either revision is left out.
    private mutating func collectDifferences() {
        guard let set, let baseA = first.base, let headA = first.head, let baseB = second.base, let headB = second.head
        else { return }
        for probe in set.probes where differing.contains(probe.id) {
            guard let a = baseA.results[probe.id], let b = baseB.results[probe.id],
                let c = headA.results[probe.id], let d = headB.results[probe.id], !headsLayout(probe, base: a)
            else { continue }
            if let fa = a.fields, let fb = b.fields, let fc = c.fields, let fd = d.fields {
                guard a.observedApartFromValue == b.observedApartFromValue,
                    c.observedApartFromValue == d.observedApartFromValue
                else { continue }
                let names = Set(fa.keys).union(fb.keys).union(fc.keys).union(fd.keys)
                let stable = names.filter { fa[$0] == fb[$0] && fc[$0] == fd[$0] }
                let apart = a.observedApartFromValue != c.observedApartFromValue
                guard apart || stable.contains(where: { fa[$0] != fc[$0] }) else { continue }
                unstable[probe.id] = names.subtracting(stable)
            } else {
                guard a.observed == b.observed, c.observed == d.observed else { continue }
                // Only the state inside differs: that too must hold in both runs of each side.
                if a.observed == c.observed {
                    guard a.insideCompared == b.insideCompared, c.insideCompared == d.insideCompared,
                        a.insideCompared != c.insideCompared
                    else { continue }
                }
            }
            differences[probe.target, default: []].append(probe)
        }
    }

    /// Whether a call on an instance recorded at head fails at base only for want of an
    /// attribute head's code never names (a private attribute renamed throughout): the
    /// instance holds head's layout, which base's code was never meant to read.
    private func headsLayout(_ probe: Probe, base: ProbeResult) -> Bool {
        guard probe.bound, base.status == "raised", base.error == "AttributeError", let message = base.message,
            let start = message.range(of: "has no attribute '")
        else { return false }
        var name = String(message[start.upperBound...].prefix { $0 != "'" })
        // A name mangled in its class (`_Store__items`) reads `__items` in the source.
        if name.hasPrefix("_"), !name.hasSuffix("__"),
            let mangled = name.range(of: "__", range: name.index(after: name.startIndex)..<name.endIndex)
        {
            name = String(name[mangled.lowerBound...])
        }
        return !name.isEmpty && !Self.mentions(recording.headSource, name)
    }

    /// Whether `source` holds `name` as a whole identifier.
    static func mentions(_ source: String, _ name: String) -> Bool {
        func identifier(_ character: Character?) -> Bool {
            character.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false
        }
        var rest = source[...]
        while let found = rest.range(of: name) {
            let before = found.lowerBound > source.startIndex ? source[source.index(before: found.lowerBound)] : nil
            let after = found.upperBound < source.endIndex ? source[found.upperBound] : nil
            if !identifier(before) && !identifier(after) { return true }
            rest = source[found.upperBound...]
        }
        return false
    }

    private var ranCount: Int { first.head?.results.values.filter(\.comparable).count ?? 0 }

    private func results(_ probe: Probe) -> (base: ProbeResult, head: ProbeResult)? {
        guard var base = first.base?.results[probe.id], var head = first.head?.results[probe.id] else { return nil }
        // The values inside objects are listed by the second runs only (the first compare digests).
        base.inside = base.inside ?? second.base?.results[probe.id]?.inside
        head.inside = head.inside ?? second.head?.results[probe.id]?.inside
        let left = unstable[probe.id] ?? []
        return (base.without(left), head.without(left))
    }

    // MARK: - Pinned tests

    /// Up to ``pinsPerFunction`` tests per differing function: a call a test made first, then
    /// the simplest call.
    private func makePins() -> [Pin] {
        var made: [Pin] = []
        for target in differences.keys.sorted() {
            let ordered = differences[target, default: []].enumerated().sorted { left, right in
                let (l, r) = (left.element, right.element)
                if (l.origin == "test") != (r.origin == "test") { return l.origin == "test" }
                if (l.arguments == nil) != (r.arguments == nil) { return l.arguments != nil }
                if (l.arguments?.count ?? Int.max) != (r.arguments?.count ?? Int.max) {
                    return (l.arguments?.count ?? Int.max) < (r.arguments?.count ?? Int.max)
                }
                return left.offset < right.offset
            }.map(\.element)
            var count = 0
            func add(_ probe: Probe, typeOnly: Bool) {
                guard let (base, head) = results(probe),
                    let body = PinnedTest.body(
                        probe: probe, base: base, head: head, module: recording.module, typeOnly: typeOnly)
                else { return }
                count += 1
                let name = "test_\(PinnedTest.identifier(target))_keeps_base_behaviour" + (count > 1 ? "_\(count)" : "")
                made.append(Pin(target: target, probe: probe, name: name, source: "def \(name)(\(body.fixtures)):\n" + body.lines))
            }
            for probe in ordered where count < Self.pinsPerFunction { add(probe, typeOnly: false) }
            // Last, a pin of the type alone, in case the values depend on where they run.
            let limit = count + 1
            for probe in ordered where count < limit { add(probe, typeOnly: true) }
        }
        return made
    }

    private func pinFile(_ pins: [Pin]) -> String {
        PinnedTest.file(module: recording.module, pins: pins.map(\.source), targets: Set(pins.map(\.target)))
    }

    /// The pins that pass at base and fail at head, by function (first one each).
    private var verifiedPins: [String: Pin] {
        guard let base = pinRuns.base, let head = pinRuns.head else { return [:] }
        var verified: [String: Pin] = [:]
        for pin in pins where verified[pin.target] == nil {
            let failsAtHead: Bool
            if let atHead = PinnedTest.status(of: pin.name, in: head) {
                failsAtHead = atHead == .failed || atHead == .error
            } else {
                // A call that does not return at head stops the whole file.
                failsAtHead = head.execution.timedOut && results(pin.probe)?.head.status == "timeout"
            }
            if PinnedTest.status(of: pin.name, in: base) == .passed && failsAtHead { verified[pin.target] = pin }
        }
        return verified
    }

    /// Tests changed in the range that called a differing function and passed at head.
    private var intendedCandidates: [String] {
        let verified = verifiedPins
        var found: [String] = []
        for target in verified.keys.sorted() {
            for test in set?.callers[target] ?? [] where !test.hasPrefix("doctest:") && !found.contains(test) {
                let file = PythonToolbox.file(of: test)
                if task.changedTests.contains(file) && passedAtHead.contains(test) { found.append(test) }
            }
        }
        return found
    }

    // MARK: - Findings

    private mutating func finish(note: String) -> Step {
        stage = .finished
        notes.append(note)
        return conclude(findings: [], notes: notes)
    }

    /// The end, or first the watch of the functions whose calls could not be copied (not
    /// when the module does not import).
    private mutating func conclude(findings: [Finding], notes: [String]) -> Step {
        guard watch == nil, let set, first.base?.importError == nil, first.head?.importError == nil,
            let module = task.module,
            let started = TestWatch(task: task, module: module, set: set, passedAtHead: passedAtHead)
        else { return .done(findings: findings, notes: notes) }
        watch = started
        probed = (findings, notes)
        stage = .watching
        return watched(nil)
    }

    /// The watch's next step; at its end, its findings and notes after the probes'.
    private mutating func watched(_ last: ExecutionOutcome?) -> Step {
        guard var current = watch else { return .done(findings: probed.findings, notes: probed.notes) }
        let step = current.next(last)
        watch = current
        guard case .done(let findings, let notes) = step else { return step }
        stage = .finished
        return .done(findings: probed.findings + findings, notes: probed.notes + notes)
    }

    /// The findings: one per function with a verified pin; `intendedBy` holds the changed
    /// tests that failed at base (node id -> message).
    private mutating func finish(intendedBy failing: [String: String]) -> Step {
        stage = .finished
        let verified = verifiedPins
        var findings: [Finding] = []
        var unreported: [String] = []
        for target in differences.keys.sorted() {
            guard let pin = verified[target], let (base, head) = results(pin.probe) else {
                unreported.append(
                    "`\(target)` differs at head, but no test pinning it passed at base and failed at head, so it is not reported")
                continue
            }
            let pinnedBy = (set?.callers[target] ?? []).filter { failing[$0] != nil }
            findings.append(finding(target, pin: pin, base: base, head: head, pinnedBy: pinnedBy))
        }
        let differing = Set(differences.keys)
        let agreeing = targets.map(\.name).filter { !differing.contains($0) }
        notes.append(
            "\(ranCount) probe(s) of \(names(targets.map(\.name))); \(differences.values.map(\.count).reduce(0, +)) differ(s) at head"
                + (agreeing.isEmpty ? "" : ", none for \(names(agreeing))")
                + (set.flatMap(Self.reach).map { "; " + $0 } ?? ""))
        notes += unreported
        if let uncopied = set.flatMap(Self.uncopied) { notes.append(uncopied) }
        return conclude(findings: findings, notes: notes)
    }

    private func finding(_ target: String, pin: Pin, base: ProbeResult, head: ProbeResult, pinnedBy: [String]) -> Finding {
        let call = PinnedTest.callText(pin.probe, module: recording.module)
        // A constructor's result is the object it built.
        let builds = PinnedTest.isConstructor(pin.probe)
        let (base, head) = builds ? (base.building, head.building) : (base, head)
        let differing = differences[target]?.count ?? 0
        var message =
            "`\(target)` behaves differently at head: \(call) \(base.summary) at base but \(head.summary) at head"
        // A difference inside an object shows in the first value that differs there.
        let inner = base.outcome == head.outcome && base.stdout == head.stdout && base.after == head.after
            ? PinnedTest.insideDifferences(base: base, head: head).first : nil
        if base.outcome == head.outcome {
            message = "`\(target)` behaves differently at head: \(call) "
            if base.stdout != head.stdout {
                message += "prints \(ProbeResult.short(PinnedTest.python(base.stdout))) at base but \(ProbeResult.short(PinnedTest.python(head.stdout))) at head"
            } else if let inner {
                message += "\(base.summary) at both, but leaves `\(inner.expression)` as \(ProbeResult.short(inner.base)) at base and \(ProbeResult.short(inner.head)) at head"
            } else {
                message += "leaves its arguments as \(ProbeResult.short(base.arguments)) at base but \(ProbeResult.short(head.arguments)) at head"
            }
        }
        message += " (\(differing) of \(ranCount) probe(s) differ)."
        let severity: Severity
        if let test = pinnedBy.first {
            severity = .info
            message += " The change is intended: `\(test)`, changed in the range, passes at head and fails at base."
        } else {
            severity = .warning
            message += " " + PinnedTest.unasserted
        }
        let lines = task.changedLines(in: target)
        let path = PinnedTest.path(for: task, target: target)
        let file = pinFile([pin])
        // A difference in the arguments after the call shows in them, not in what it returned.
        let mutated = base.outcome == head.outcome && base.stdout == head.stdout
        func shown(_ result: ProbeResult, inner value: String?) -> String {
            if let inner, let value { return result.summary + ", then `\(inner.expression)` is \(ProbeResult.short(value))" }
            return result.summary + (mutated ? ", arguments after the call: \(ProbeResult.short(result.arguments))" : "")
        }
        let output = "input: \(call)\nbase: \(shown(base, inner: inner?.base))\nhead: \(shown(head, inner: inner?.head))\n"
            + "input from: \(PinnedTest.origin(pin.probe))\n"
        var finding = Finding(
            severity: severity, kind: .behaviourChange, file: task.path, line: lines.lowerBound, endLine: lines.upperBound,
            message: message,
            evidence: Evidence(
                command: "python3 -m pytest \(path)", revision: "base and head", exitCode: pinRuns.head?.execution.exitCode,
                output: output))
        finding.suggestion = PinnedTest.suggestion(path: path, content: file, summary: "a test that pins the behaviour at base")
        return finding
    }

    // MARK: - Helpers

    private func run(_ probes: [Probe], only: Set<String>?, side: Side) -> Step {
        let count = only?.count ?? probes.count
        let note = only == nil ? "\(count) probe(s) at \(side.rawValue)" : "again at \(side.rawValue): \(count) probe(s) that differ"
        return .execute(.runProbes(probes, module: recording.module, only: only, side: side), note: note)
    }

    private func probeRun(_ outcome: ExecutionOutcome?) -> ProbeRun? {
        if case .probeRun(let run)? = outcome { run } else { nil }
    }

    private func names(_ list: [String]) -> String {
        let shown = list.prefix(4).map { "`\($0)`" }.joined(separator: ", ")
        return list.count > 4 ? shown + " and \(list.count - 4) more" : shown
    }
}
