import Matching

/// A report read back from JSON.
public enum DecodedReport: Sendable {
    case comparison(Comparison)
    case scan(ScanResult)
}
