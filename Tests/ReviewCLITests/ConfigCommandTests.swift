import Foundation
import ReviewTestSupport
import Testing

/// `review config`: the effective configuration and its sources, from any subdirectory.
@Suite("review config")
struct ConfigCommandTests {
    @Test func showsEveryValueWithItsOrigin() throws {
        let repository = try TemporaryRepository()
        try repository.write("pyproject.toml", "[tool.review]\ntimeout = 30\nexclude = [\"gen/**\"]\n")
        try repository.write(".review.toml", "max-files = 7\n")
        try repository.write("deep/inside/x.py", "x = 1\n")
        try repository.commit("config")
        let output = try ReviewBinary.run(
            ["config", "--fail-on", "warning"], in: repository.path + "/deep/inside", environment: ["REVIEW_JOBS": "3"])
        #expect(output.status == 0, "\(output.err)")
        let lines = output.out.split(separator: "\n").map(String.init)
        #expect(lines.contains("timeout = 30  # \(repository.path)/pyproject.toml:2"), "\(output.out)")
        #expect(lines.contains("exclude = [\"gen/**\"]  # \(repository.path)/pyproject.toml:3"))
        #expect(lines.contains("max-files = 7  # \(repository.path)/.review.toml:1"))
        #expect(lines.contains("jobs = 3  # REVIEW_JOBS"))
        #expect(lines.contains("fail-on = \"warning\"  # flag --fail-on"))
        #expect(lines.contains("sandbox = \"bubblewrap\"  # default"))
    }

    @Test func badEnvironmentValueIsAUsageError() throws {
        let repository = try TemporaryRepository()
        let output = try ReviewBinary.run(["config"], in: repository.path, environment: ["REVIEW_FAIL_ON": "sometimes"])
        #expect(output.status == 2)
        #expect(output.err == "review: REVIEW_FAIL_ON: 'fail-on' must be one of error, warning, info, none\n")
    }
}
