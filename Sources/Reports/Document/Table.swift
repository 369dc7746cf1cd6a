/// A table: column titles (plain text) and rows of inline cells.
struct Table {
    struct Column {
        var title: String
        var numeric = false
    }

    var columns: [Column]
    var rows: [[[Inline]]]
}
