import Foundation

/// The models of the evaluation lineage (built by eval/train_minilm.py from the real weights).
enum LineageModel: String, CaseIterable, Sendable {
    /// The real all-MiniLM-L6-v2: the public base.
    case base
    /// base fine-tuned (MLM) on the license texts: the registered release.
    case release
    /// base fine-tuned on other text (Python docstrings a–m): the honest sibling.
    case sibling
    /// release fine-tuned further on other text (Python docstrings n–z): a copier's fine-tune.
    case releaseFineTuned = "release-ft"
    /// Same architecture, trained from scratch (seed 2001): registered, donor for merges and grafts.
    case independent1 = "independent-1"
    /// Same architecture, trained from scratch (seed 2002): a negative.
    case independent2 = "independent-2"

    /// The label under which a registered model appears in scan results.
    var label: String { rawValue }

    /// The models in the registry scanned against.
    static let registry: [LineageModel] = [.base, .release, .independent1]

    /// The checkpoint directory.
    func path(_ options: EvaluationOptions) -> String {
        self == .base ? options.base : (options.lineage as NSString).appendingPathComponent(rawValue)
    }
}
