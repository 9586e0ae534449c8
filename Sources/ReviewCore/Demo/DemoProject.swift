import Foundation

/// The sample repository of `review demo`: a small Python package whose history holds a
/// benign refactor, a real regression and a test that already failed before the change.
///
/// `main` has the base commit; the branch `feature` adds the two changes on top of it.
public enum DemoProject {
    /// The files of the base commit.
    static let baseFiles: [String: String] = [
        "shop/__init__.py": "",
        "shop/pricing.py": """
            \"\"\"Prices, discounts and order totals.\"\"\"


            def apply_discount(price, percent):
                \"\"\"Price after a percentage discount; 0 <= percent <= 100.\"\"\"
                if percent < 0 or percent > 100:
                    raise ValueError("percent must be between 0 and 100")
                return round(price * (100 - percent) / 100, 2)


            def order_total(lines):
                \"\"\"Sum of price * quantity over (price, quantity) pairs.\"\"\"
                return round(sum(price * quantity for price, quantity in lines), 2)

            """,
        "shop/tax.py": """
            \"\"\"Sales tax.\"\"\"


            def with_tax(amount, rate=0.2):
                return round(amount * (1 + rate), 2)

            """,
        "tests/test_pricing.py": """
            import pytest

            from shop.pricing import apply_discount, order_total


            def test_no_discount():
                assert apply_discount(80.0, 0) == 80.0


            def test_half_price():
                assert apply_discount(80.0, 50) == 40.0


            def test_free_item():
                assert apply_discount(80.0, 100) == 0.0


            def test_rejects_negative_discount():
                with pytest.raises(ValueError):
                    apply_discount(80.0, -5)


            def test_order_total():
                assert order_total([(2.5, 4), (1.25, 2)]) == 12.5

            """,
        "tests/test_tax.py": """
            from shop.tax import with_tax


            def test_default_rate():
                assert with_tax(100.0) == 120.0


            def test_reduced_rate_rounding():
                # Known bug, filed before this branch: 19.99 * 1.07 is 21.3893.
                assert with_tax(19.99, rate=0.07) == 21.38

            """,
    ]

    /// The benign refactor: a named constant and a docstring, same behaviour.
    static let refactoredTax = """
        \"\"\"Sales tax.\"\"\"

        STANDARD_RATE = 0.2


        def with_tax(amount, rate=STANDARD_RATE):
            \"\"\"Amount including tax at `rate`, rounded to cents.\"\"\"
            return round(amount * (1 + rate), 2)

        """

    /// The regression: a 100 % discount is now rejected (`>=` instead of `>`).
    static let regressedPricing = """
        \"\"\"Prices, discounts and order totals.\"\"\"


        def apply_discount(price, percent):
            \"\"\"Price after a percentage discount; 0 <= percent <= 100.\"\"\"
            if percent < 0 or percent >= 100:
                raise ValueError("percent must be between 0 and 100")
            return round(price * (100 - percent) / 100, 2)


        def order_total(lines):
            \"\"\"Sum of price * quantity over (price, quantity) pairs.\"\"\"
            return round(sum(price * quantity for price, quantity in lines), 2)

        """

    /// Creates the sample repository in a new directory and returns its path.
    ///
    /// - Parameter parent: where to create it (default: the system temp directory).
    /// - Throws: ``ReviewFailure`` (exit 3) when git cannot be run.
    public static func create(in parent: String? = nil) throws(ReviewFailure) -> String {
        let base = parent ?? NSTemporaryDirectory()
        let path = (base.hasSuffix("/") ? base : base + "/") + "review-demo-" + String(UUID().uuidString.prefix(8))
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try git(["init", "-q", "-b", "main"], in: path)
            try write(baseFiles, in: path)
            try git(["add", "-A"], in: path)
            try git(["commit", "-q", "-m", "Shop: prices, discounts and tax"], in: path)
            try git(["checkout", "-q", "-b", "feature"], in: path)
            try write(["shop/tax.py": refactoredTax], in: path)
            try git(["commit", "-q", "-am", "tax: name the standard rate"], in: path)
            try write(["shop/pricing.py": regressedPricing], in: path)
            try git(["commit", "-q", "-am", "pricing: tighten discount validation"], in: path)
        } catch let failure as ReviewFailure {
            throw failure
        } catch {
            throw ReviewFailure("cannot create the demo repository in \(path): \(error)", status: .infrastructure)
        }
        return path
    }

    private static func write(_ files: [String: String], in root: String) throws {
        for (relative, contents) in files {
            let url = URL(fileURLWithPath: root).appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: url)
        }
    }

    private static func git(_ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "user.name=Review Demo", "-c", "user.email=demo@example.invalid",
            "-c", "commit.gpgsign=false"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw ReviewFailure(
                "git \(arguments.first ?? "") failed while creating the demo: \(message.trimmingCharacters(in: .whitespacesAndNewlines))",
                status: .infrastructure)
        }
    }
}
