import Foundation
import ReviewAgent
import ReviewTestSupport
import Testing

/// The pure pieces of the agent: the protocol's state machine and the shipped prompt.
@Suite("ReAct state machine")
struct StateMachineTests {
    @Test func strictProtocol() throws {
        var machine = ReActStateMachine(maxSteps: 20, maxReflects: 3, strict: true)
        #expect(!machine.allows(.execute))
        #expect(!machine.allows(.finish), "Finish cannot start a task")
        try machine.enter(.plan)
        try machine.enter(.execute)
        machine.executionFinished(succeeded: false)
        #expect(!machine.allows(.finish), "Finish right after a failed run is forbidden")
        #expect(machine.allows(.reflect))
        try machine.enter(.reflect)
        #expect(!machine.allows(.finish), "strict: Finish must follow a successful Execute")
        try machine.enter(.execute)
        machine.executionFinished(succeeded: true)
        #expect(!machine.allows(.reflect), "strict: Reflect only after a failure")
        try machine.enter(.finish)
        #expect(!machine.allows(.plan))
        #expect(throws: ReActStateMachine.Violation.self) { try machine.enter(.execute) }
    }

    @Test func boundsForceFinish() throws {
        var machine = ReActStateMachine(maxSteps: 4, maxReflects: 1, strict: true)
        try machine.enter(.plan)
        try machine.enter(.execute)
        machine.executionFinished(succeeded: false)
        try machine.enter(.reflect)
        #expect(machine.mustFinish)
        #expect(!machine.allows(.execute))
        #expect(machine.allows(.finish), "with a bound reached, Finish ends the task with what was proven")
    }

    @Test func investigationFormForTheBuiltinPolicy() throws {
        var machine = ReActStateMachine(strict: false)
        try machine.enter(.plan)
        try machine.enter(.execute)
        machine.executionFinished(succeeded: true)
        #expect(machine.allows(.reflect))
        try machine.enter(.reflect)
        #expect(machine.allows(.finish))
    }
}

@Suite("Seed prompt")
struct SeedPromptTests {
    /// SHA-256 of `shared/seed-system-prompt.txt`, for checkouts without `shared/` beside them.
    static let promptDigest = "d62baab64a7453da082e6e97ace4f2fad78d0d6b247d2eadbaba959fb611a7c4"

    @Test func matchesTheTrainedPromptByteForByte() throws {
        let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/seed-system-prompt.txt")
        if let expected = try? Data(contentsOf: shared) {
            #expect(Data(SeedPrompt.system.utf8) == expected)
        }
        let digest = try ProcessRunner.run("sha256sum", [], input: Data(SeedPrompt.system.utf8))
        #expect(digest.out.hasPrefix(Self.promptDigest))
    }

    @Test func grammarOffersOnlyTheAllowedNodes() {
        let afterPlan = ModelTurns.grammar(allowing: [.execute])
        #expect(afterPlan.hasPrefix("root ::= execute\n"))
        #expect(afterPlan.contains("<node>Execute</node>"))
        #expect(!afterPlan.contains("<node>Finish</node>"))
        #expect(afterPlan.contains(#"{\"tool_name\": \"python_sandbox\", \"arguments\": {\"code\": \""#))
        let all = ModelTurns.grammar(allowing: [])
        #expect(all.hasPrefix("root ::= plan | execute | reflect | finish\n"))
        #expect(all.contains("text ::= ( [^<] | \"<\" [^/] )*"))
    }
}

@Suite("Source edits")
struct SourceEditTests {
    let lines = SourceEdit.lines("a\nb\nc\nd\n")

    @Test func appliesAStrictUnifiedDiff() {
        let edited = SourceEdit.apply(diff: "@@ -2,2 +2,2 @@\n b\n-c\n+C\n", to: lines)
        #expect(edited == ["a\n", "b\n", "C\n", "d\n"])
        #expect(SourceEdit.apply(diff: "@@ -2,2 +2,2 @@\n x\n-c\n+C\n", to: lines) == nil, "context must match")
        #expect(SourceEdit.apply(diff: "no hunks", to: lines) == nil)
    }

    @Test func replacementBetweenTwoVersions() {
        let replacement = SourceEdit.replacement(from: lines, to: ["a\n", "X\n", "Y\n", "d\n"])
        #expect(replacement.start == 1)
        #expect(replacement.removed == ["b\n", "c\n"])
        #expect(replacement.inserted == ["X\n", "Y\n"])
        #expect(replacement.unifiedDiff(path: "f.py") == "--- a/f.py\n+++ b/f.py\n@@ -1,4 +1,4 @@\n a\n-b\n-c\n+X\n+Y\n d\n")
    }
}
