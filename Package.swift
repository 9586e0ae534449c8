// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "review",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "review", targets: ["ReviewCLI"]),
        .library(name: "ReviewGit", targets: ["ReviewGit"]),
        .library(name: "ReviewCore", targets: ["ReviewCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
    ],
    targets: [
        // C libraries, found through pkg-config. Only ReviewGit and ReviewModel import them.
        .systemLibrary(
            name: "CGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Typed, non-variadic wrappers for the variadic C entry points, which Swift cannot
        // call: one shim module per library (`git_libgit2_opts`; `curl_easy_setopt`).
        .target(
            name: "CGitShims",
            dependencies: ["CGit2"]
        ),
        .target(
            name: "CCurlShims",
            dependencies: ["CCurl"]
        ),
        .target(
            name: "ReviewGit",
            dependencies: ["CGit2", "CGitShims"]
        ),
        // JSON with keys in a fixed order: reports, the model protocol, the cache's findings.
        .target(name: "ReviewJSON"),
        .target(name: "ReviewFindings", dependencies: ["ReviewJSON"]),
        .target(
            name: "ReviewModel",
            dependencies: ["CCurl", "CCurlShims", "ReviewJSON"]
        ),
        .target(name: "ReviewSandbox", dependencies: ["ReviewJSON"]),
        .target(
            name: "ReviewReport",
            dependencies: ["ReviewFindings", "ReviewJSON", .product(name: "Mustache", package: "swift-mustache")]
        ),
        .target(
            name: "ReviewAgent",
            dependencies: ["ReviewSandbox", "ReviewFindings", "ReviewModel", "ReviewJSON"]
        ),
        .target(
            name: "ReviewCore",
            dependencies: [
                "ReviewGit", "ReviewSandbox", "ReviewFindings", "ReviewAgent", "ReviewReport", "ReviewModel", "ReviewJSON",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .executableTarget(
            name: "ReviewCLI",
            dependencies: [
                "ReviewCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "ReviewTestSupport",
            dependencies: ["ReviewGit"]
        ),
        .testTarget(
            name: "ReviewGitTests",
            dependencies: ["ReviewGit", "ReviewTestSupport"]
        ),
        .testTarget(
            name: "ReviewSandboxTests",
            dependencies: ["ReviewSandbox", "ReviewTestSupport"]
        ),
        .testTarget(
            name: "ReviewAgentTests",
            dependencies: ["ReviewAgent", "ReviewModel", "ReviewTestSupport"]
        ),
        .testTarget(
            name: "ReviewReportTests",
            dependencies: ["ReviewReport", "ReviewFindings", "ReviewJSON", "ReviewTestSupport"],
            exclude: ["Snapshots", "Fixtures"]
        ),
        .testTarget(
            name: "ReviewCoreTests",
            dependencies: ["ReviewCore", "ReviewTestSupport"]
        ),
        .testTarget(
            name: "ReviewCLITests",
            dependencies: ["ReviewTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
