/// A report as format-neutral blocks: the Markdown and HTML writers render the same
/// document, so both formats always carry the same content.
///
/// Every string in it is plain text (user-supplied or not); writers escape on output.
struct ReportDocument {
    /// The page title (plain text) and heading.
    var title: [Inline]
    /// Blocks before the first section: the verdict and its key numbers.
    var lead: [Block]
    var sections: [Section]
}
