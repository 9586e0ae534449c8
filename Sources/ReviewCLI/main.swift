import ArgumentParser
import Foundation
import ReviewCore

// Parse, run, and map every outcome to review's exit codes (0/1/2/3), printing errors as
// one line on stderr. ArgumentParser's own usage exit code (64) becomes 2.
// REVIEW_DEBUG_DISCOVERIES=1: say on exit how often the repository was discovered (once
// per command; a test holds every command to it).
if ProcessInfo.processInfo.environment["REVIEW_DEBUG_DISCOVERIES"] == "1" {
    atexit { FileHandle.standardError.write(Data("review: debug: repository discovered \(Project.discoveries) time(s)\n".utf8)) }
}

do {
    var command = try ReviewCommand.parseAsRoot()
    try command.run()
    exit(ExitStatus.clean.rawValue)
} catch let failure as ReviewFailure {
    Output.error(failure.message)
    exit(failure.status.rawValue)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let exitCode = ReviewCommand.exitCode(for: error)
    if exitCode == .success {
        Output.write(ReviewCommand.fullMessage(for: error) + "\n")
        exit(0)
    }
    let message = ReviewCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage"
    Output.error(message.prefix(1).lowercased() + message.dropFirst() + " (see 'review --help')")
    exit(ExitStatus.usage.rawValue)
}
