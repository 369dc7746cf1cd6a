/// A titled part of a report; nested sections render one heading level deeper.
struct Section {
    /// A fixed, generated identifier (never user text), unique within the document.
    var id: String
    var title: [Inline]
    var blocks: [Block]
}
