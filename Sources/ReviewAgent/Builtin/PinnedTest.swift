import ReviewFindings
import ReviewJSON
import ReviewSandbox

/// Writes the pytest test that pins a function's base behaviour for one probe: the call
/// as Python source where its arguments have one (else the recorded arguments, pickled),
/// and an assertion of what base returned, raised, printed or left in the arguments.
enum PinnedTest {
    /// The body of a test function for `probe` (indented lines) and the fixtures it needs,
    /// or `nil` when base's result cannot be written as an assertion.
    ///
    /// With `typeOnly`, the test asserts only the type of what base returned, for a call whose
    /// head returns another type or raises: the value itself may depend on the environment
    /// the test runs in (the modules loaded), its type does not.
    static func body(probe: Probe, base: ProbeResult, head: ProbeResult, module: String, typeOnly: Bool = false)
        -> (lines: String, fixtures: String)?
    {
        let method = probe.target.split(separator: ".").last.map(String.init) ?? probe.target
        let literalCall = !probe.bound && probe.arguments != nil
        let unpickle = "    instance, args, kwargs = pickle.loads(base64.b64decode(\(python(probe.payload))))\n"
        var lines = ""
        let call: String
        // A module's own dunder function (`__dir__`, `__getattr__`) is called through the
        // module: imported into the test module, it would become that module's own.
        let function = isDunder(probe.target) ? module + "." + probe.target : callee(probe)
        if literalCall, let arguments = probe.arguments {
            call = "\(function)(\(arguments))"
        } else {
            lines += "    # The inputs a test passed, as recorded at head.\n" + unpickle
            call = probe.bound ? "instance.\(method)(*args, **kwargs)" : "\(function)(*args, **kwargs)"
        }
        if typeOnly {
            guard base.status == "returned", !isConstructor(probe), let type = base.type,
                head.status != "returned" || head.type != type
            else { return nil }
            return (lines + "    assert type(\(call)).__qualname__ == \(python(type))\n", "")
        }
        if base.outcome != head.outcome {
            switch base.status {
            case "returned" where isConstructor(probe):
                guard let built = builtAssertions(base: base, head: head) else { return nil }
                lines += "    built = \(call)\n" + built
            case "returned":
                guard let literal = base.literal else { return nil }
                lines += base.iterator
                    ? "    assert list(itertools.islice(\(call), 100)) == \(literal)\n" : "    assert \(call) == \(literal)\n"
            case "raised":
                guard let error = base.error else { return nil }
                let builtin = !error.contains(".")
                lines += "    with pytest.raises(\(builtin ? error : "Exception")) as caught:\n        \(call)\n"
                if !builtin {
                    let name = error.split(separator: ".").last.map(String.init) ?? error
                    lines += "    assert type(caught.value).__qualname__ == \(python(name))\n"
                }
                if head.status == "raised", head.error == error, let message = base.message, !message.contains("0x?") {
                    lines += "    assert str(caught.value) == \(python(message))\n"
                }
            default:
                return nil
            }
            return (lines, "")
        }
        if base.stdout != head.stdout {
            lines += "    \(call)\n    assert capsys.readouterr().out == \(python(base.stdout))\n"
            return (lines, "capsys")
        }
        if base.after != head.after, !probe.bound, let after = base.afterLiteral {
            if literalCall { lines += unpickle }
            lines += "    \(probe.target)(*args, **kwargs)\n    assert (args, kwargs) == \(after)\n"
            return (lines, "")
        }
        // The state inside what it returned or inside the instance: the values base left there.
        let differences = insideDifferences(base: base, head: head).prefix(5)
        guard base.insideCompared != head.insideCompared, !differences.isEmpty else { return nil }
        let returned = differences.contains { $0.expression.hasPrefix("returned") || $0.expression.contains("(returned") }
        lines += returned ? "    returned = \(call)\n" : "    \(call)\n"
        // Each value read into a name first: a failing assertion then shows the value, not the
        // repr of the object it was read from (which may not return).
        for difference in differences {
            lines += "    value = \(difference.expression)\n    assert value == \(difference.base)\n"
        }
        return (lines, "")
    }

    /// The values inside an object that base left with a Python literal and head left
    /// otherwise (another value, or none: the attribute or item is missing): those present
    /// at both first, each with base's literal and what head holds (`missing`).
    static func insideDifferences(base: ProbeResult, head: ProbeResult)
        -> [(expression: String, base: String, head: String)]
    {
        guard let atBase = base.inside, base.insideCompared != head.insideCompared else { return [] }
        let atHead = Dictionary((head.inside ?? []).map { ($0.expression, $0.text) }, uniquingKeysWith: { first, _ in first })
        let changed = atBase.filter { $0.literal != nil && atHead[$0.expression] != $0.text }
        let ordered = changed.filter { atHead[$0.expression] != nil } + changed.filter { atHead[$0.expression] == nil }
        return ordered.map { ($0.expression, $0.literal ?? "", atHead[$0.expression] ?? "missing") }
    }

    /// Whether the probe builds an object (`Class.__init__`): it calls the class.
    static func isConstructor(_ probe: Probe) -> Bool { probe.target.hasSuffix(".__init__") && !probe.bound }

    /// What a probe's call names: the class for a constructor, else the function.
    static func callee(_ probe: Probe) -> String {
        isConstructor(probe) ? withoutInit(probe.target) : probe.target
    }

    /// `Class` for `Class.__init__`, else the name as it is.
    private static func withoutInit(_ name: String) -> String {
        name.hasSuffix(".__init__") ? String(name.dropLast(".__init__".count)) : name
    }

    /// The last sentence of a `behaviour-change` warning.
    static let unasserted =
        "No test in the range asserts the new behaviour; if it is not intended, the suggested test keeps the old one."

    /// The suggestion of a `behaviour-change`: a new test file at `path`, verified (it
    /// passed at base and failed at head).
    static func suggestion(path: String, content: String, summary: String) -> Suggestion {
        Suggestion(
            patch: patch(path: path, content: content), startLine: 1,
            endLine: content.split(separator: "\n", omittingEmptySubsequences: false).count - 1, replacement: content,
            verified: true, summary: summary, newFile: path)
    }

    /// Assertions on an object built at base (`built`): each public attribute whose value
    /// differs at head, as base had it (present with a literal, or absent).
    private static func builtAssertions(base: ProbeResult, head: ProbeResult) -> String? {
        guard let atBase = base.state, let atHead = head.state else { return nil }
        var lines = ""
        for name in Set(atBase.keys).union(atHead.keys).sorted() where atBase[name] != atHead[name] {
            switch atBase[name] {
            case .some(.some(let literal)): lines += "    assert built.\(name) == \(literal)\n"
            case .none: lines += "    assert not hasattr(built, \(python(name)))\n"
            case .some(.none): continue
            }
        }
        return lines.isEmpty ? nil : lines
    }

    /// A whole test file: the imports the tests use, then the tests.
    static func file(module: String, pins: [String], targets: Set<String>) -> String {
        let body = pins.joined(separator: "\n\n")
        var imports: [String] = []
        for (name, use) in [("base64", "base64."), ("itertools", "itertools."), ("pickle", "pickle."), ("pytest", "pytest.")]
        where body.contains(use) {
            imports.append("import \(name)")
        }
        let tops = Set(targets.map { String($0.split(separator: ".").first ?? Substring($0)) }).sorted()
        var text = "\"\"\"Pins the behaviour of \(tops.joined(separator: ", ")) at base (written by review).\"\"\"\n"
        if !imports.isEmpty { text += imports.joined(separator: "\n") + "\n\n" }
        let named = tops.filter { !isDunder($0) }
        if named.count < tops.count { text += "import \(module)\n" }
        if !named.isEmpty { text += "from \(module) import \(named.joined(separator: ", "))\n" }
        return text + "\n\n" + body
    }

    /// How the test named `name` (a test function of a pin file) ended in `run`.
    static func status(of name: String, in run: TestRun?) -> TestOutcome.Status? {
        run?.outcomes.first { $0.nodeID.hasSuffix("::" + name) }?.status
    }

    /// Whether `name` is a module-level dunder function (`__dir__`), not a method.
    static func isDunder(_ name: String) -> Bool {
        !name.contains(".") && name.hasPrefix("__") && name.hasSuffix("__")
    }

    /// A pin of a function watched in one of the project's tests (``TestWatch``).
    struct Watched: Hashable {
        var target: String
        /// The watched test's node id.
        var test: String
        /// What each call there returned or raised at base, as the watcher writes it.
        var atBase: [String]
        /// The pinning test's name.
        var name: String
    }

    /// A whole test file that runs each pin's test again in a pytest of its own (the
    /// project's configuration and conftests apply, from the directory pytest runs in) with
    /// the function watched by ``PythonScripts/watcher`` (embedded), and asserts that its
    /// calls come to what they did at base.
    static func watchFile(module: String, pins: [Watched]) -> String {
        let plugin = PythonScripts.watcherModule
        var text = """
            \"\"\"Pins the behaviour of \(pins.map(\.target).joined(separator: ", ")) at base (written by review).

            Its calls in the project's tests cannot be copied into a test of their own, so each test
            below runs such a test again with the function watched (the plugin WATCHER, loaded with
            `-p \(plugin)`) and compares what each call returned or raised with base.
            \"\"\"
            import json
            import os
            import subprocess
            import sys

            WATCHER = r'''
            \(PythonScripts.watcher)'''


            def run_watched(tmp_path, target, test):
                (tmp_path / "\(plugin).py").write_text(WATCHER)
                out = tmp_path / "watched.json"
                spec = {"module": \(python(module)), "targets": [target], "out": str(out)}
                path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
                env = dict(os.environ, PYTHONPATH=path, \(PythonToolbox.watchVariable)=json.dumps(spec), PYTHONHASHSEED="0")
                run = subprocess.run(
                    [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "\(plugin)", test],
                    env=env, capture_output=True, text=True, timeout=600)
                assert out.exists(), run.stdout[-2000:] + run.stderr[-2000:]
                return json.loads(out.read_text()).get(target, {}).get(test, [])

            """
        for pin in pins {
            text += "\n\ndef \(pin.name)(tmp_path):\n"
            text += "    # What `\(pin.target)` returned or raised, call by call, in `\(pin.test)` at base.\n"
            text += "    at_base = [\n" + pin.atBase.map { "        \(python($0)),\n" }.joined() + "    ]\n"
            text += "    assert run_watched(tmp_path, \(python(pin.target)), \(python(pin.test))) == at_base\n"
        }
        return text
    }

    /// The name of the test in ``codeFile(code:output:)``.
    static let codeTestName = "test_probe_prints_its_base_output"

    /// A whole test file that runs `code` (Python source a model wrote) and asserts it
    /// prints `output`, what it printed at base.
    static func codeFile(code: String, output: String) -> String {
        let source = code.hasSuffix("\n") ? code : code + "\n"
        // A raw triple-quoted string reads as the code itself; JSON's escapes when it cannot hold it.
        let literal = source.contains("'''") ? python(source) : "r'''\n" + source + "'''"
        return """
            \"\"\"Pins what a probe written by the model printed at base (written by review).\"\"\"
            import contextlib
            import io

            PROBE = \(literal)


            def \(codeTestName)():
                printed = io.StringIO()
                with contextlib.redirect_stdout(printed):
                    exec(compile(PROBE, "<probe>", "exec"), {"__name__": "__main__"})
                assert printed.getvalue() == \(python(output))

            """
    }

    /// Where the suggested test for `target` goes: beside the first related test, else in `tests/`.
    static func path(for task: ReviewTask, target: String) -> String {
        let directory = task.tests.first.map { test -> String in
            let parts = test.split(separator: "/").dropLast()
            return parts.isEmpty ? "" : parts.joined(separator: "/") + "/"
        } ?? "tests/"
        let stem = (task.module ?? task.path).split(separator: ".").last.map(String.init) ?? "module"
        return directory + "test_\(stem)_\(identifier(target))_behaviour.py"
    }

    /// A diff that creates `path` with `content` (`git apply` accepts it).
    static func patch(path: String, content: String) -> String {
        let lines = content.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var text = "diff --git a/\(path) b/\(path)\nnew file mode 100644\n--- /dev/null\n+++ b/\(path)\n"
        text += "@@ -0,0 +1,\(lines.count) @@\n"
        for line in lines { text += "+" + line + "\n" }
        return text
    }

    /// The call as a reader sees it.
    static func callText(_ probe: Probe, module: String) -> String {
        let method = probe.target.split(separator: ".").last.map(String.init) ?? probe.target
        let arguments = probe.arguments ?? "<the arguments recorded from \(probe.test ?? "a test")>"
        if probe.bound {
            let owner = probe.target.split(separator: ".").dropLast().joined(separator: ".")
            let state = probe.instance.map { " `\($0)`" } ?? ""
            let moved = probe.moved.map { " with \($0)" } ?? ""
            return "`\(owner).\(method)(\(arguments))` on the instance\(state) (recorded from \(probe.test ?? "a test"))\(moved)"
        }
        return "`\(callee(probe))(\(arguments))`"
    }

    /// Where a probe's input came from, in words.
    static func origin(_ probe: Probe) -> String {
        let test = probe.test.map { $0.hasPrefix("doctest:") ? "the docstring's examples" : "`\($0)`" }
        switch probe.origin {
        case "test": return "a call made by " + (test ?? "a test")
        case "neighbour" where probe.moved != nil:
            return "a call made by \(test ?? "a test") on a copy of its instance with \(probe.moved ?? ""), a state the tests may never reach"
        case "neighbour": return "a call made by \(test ?? "a test"), one value moved (a neighbour, or a value the change compares with)"
        default: return "the signature: no test calls it (defaults, annotations, values other functions received)"
        }
    }

    /// A Python identifier made of a qualified name (`Box.__eq__` -> `box_eq`; a
    /// constructor is named after its class).
    static func identifier(_ name: String) -> String {
        let words = withoutInit(name).split { !($0.isLetter || $0.isNumber) }
        return words.isEmpty ? "function" : words.joined(separator: "_").lowercased()
    }

    /// `text` as a Python string literal: a JSON string is one (`\uXXXX`, `\b`, `\f` and the
    /// rest of its escapes mean the same in Python).
    static func python(_ text: String) -> String {
        JSONValue.string(text).rendered(pretty: false)
    }
}
