import Foundation

/// A width of the suspect that differs from the reference's where the two are related:
/// structured width pruning (Minitron, Sheared-LLaMA, LLM-Pruner), or widening.
public struct WidthChange: Codable, Sendable, Hashable {
    /// `hidden` (the residual stream), or the profile kind whose neurons changed: `mlp`,
    /// `attention.vo` (value/output channels), `attention.qk` (query/key channels).
    public var kind: String
    public var suspectWidth: Int
    public var referenceWidth: Int
    /// Suspect layers with this change (empty for `hidden`); for a suspect without layer
    /// structure (opaque names), the reference layers its matrices matched.
    public var layers: [Int]
    /// Whether the matched neurons keep the reference's order (nil for `hidden`, which has no
    /// neuron alignment).
    public var orderKept: Bool?

    public init(kind: String, suspectWidth: Int, referenceWidth: Int, layers: [Int], orderKept: Bool?) {
        self.kind = kind
        self.suspectWidth = suspectWidth
        self.referenceWidth = referenceWidth
        self.layers = layers
        self.orderKept = orderKept
    }

    /// Whether the suspect is narrower (pruned) rather than wider.
    public var isPruned: Bool { suspectWidth < referenceWidth }

    /// One sentence for a reader: the widths, the share kept and whether the order was kept.
    public var sentence: String {
        let s = suspectWidth, r = referenceWidth
        if kind == "hidden" {
            return isPruned
                ? String(format: "The hidden (residual) width is %d against the reference's %d: %d dimensions removed, %.0f%% kept (width pruning).", s, r, r - s, 100 * Double(s) / Double(r))
                : "The hidden (residual) width is \(s) against the reference's \(r) (widened)."
        }
        let what = switch kind {
        case "mlp": "MLP neurons"
        case "attention.vo": "value/output channels"
        case "attention.qk": "query/key channels"
        default: kind + " neurons"
        }
        let single = layers.count == 1
        let place = (single ? "Layer " : "Layers ") + layers.map(String.init).joined(separator: ", ")
        guard isPruned else {
            return "\(place) \(single ? "has" : "have") \(s) \(what) against the reference's \(r) (widened)."
        }
        let order = orderKept == true ? "in the reference's order (structured width pruning)" : "in another order (pruned and permuted)"
        return String(format: "%@ keep%@ %d of the reference's %d %@ (%.0f%%), %@.",
                      place, single ? "s" : "", s, r, what, 100 * Double(s) / Double(r), order)
    }

    /// A short form for tables: `hidden 48/64`, `mlp 132/176`.
    public var shortText: String {
        "\(kind) \(suspectWidth)/\(referenceWidth)"
    }
}
