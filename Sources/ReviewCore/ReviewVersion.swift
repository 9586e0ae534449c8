/// The version of `review`, part of every cache key and report.
public enum ReviewVersion {
    /// The semantic version of this build.
    public static let current = "0.1.0"
}
