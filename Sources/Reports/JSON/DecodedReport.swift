import Matching

/// A report read back from JSON.
public enum DecodedReport: Sendable {
    case comparison(ComparisonResult)
    case scan(ScanResult)
}
