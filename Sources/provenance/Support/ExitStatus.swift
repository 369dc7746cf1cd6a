/// The documented exit statuses.
enum ExitStatus {
    /// Success; for `scan`, nothing was flagged.
    static let success: Int32 = 0
    /// `scan`: the checkpoint was flagged as a copy or derivative.
    static let flagged: Int32 = 1
    /// `verify`, `log verify`, `log consistency`: something is unsigned, altered or different.
    static let failed: Int32 = 1
    /// Any error: bad input, unreadable files, bad arguments.
    static let error: Int32 = 2
}
