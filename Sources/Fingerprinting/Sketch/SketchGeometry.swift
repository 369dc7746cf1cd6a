import Checkpoints

/// The public geometry of the linear sketches (format version 1).
///
/// A tensor is viewed as a matrix W (r × c): 2-D tensors as stored, 1-D tensors as
/// 1 × n, higher ranks as shape[0] × (product of the rest), except stacked experts (see
/// `ExpertLayout`), which are viewed as one expert's matrix. Its sketch is the 64 × 64
/// matrix `S[a][b] = Σ_{i ≡ a, j ≡ b (mod 64)} s(i)·s(j)·W[i][j]` with `s` the public
/// sign sequence (`PublicSeed.signs(label: "sign")`). Rows and columns use the same
/// hash, so storing W transposed transposes S exactly, and rows appended to W (a grown
/// vocabulary) only add to S. Being linear, `S(a·X + b·Y) = a·S(X) + b·S(Y)`.
public enum SketchGeometry {
    /// Buckets per axis.
    public static let side = 64
    /// Label of the sign stream.
    public static let signLabel = "sign"

    /// The 2-D view (rows, cols) of a shape; `nil` for scalars and empty tensors. A stack of
    /// `experts` matrices is viewed as one of them: its sketch sums the experts' sketches.
    public static func matrixView(_ shape: [Int], experts: Int? = nil) -> (rows: Int, cols: Int)? {
        if let experts, experts >= 2, shape.count == 3, shape[0] == experts, shape[1] > 0, shape[2] > 0 {
            return ExpertLayout.expertView(shape)
        }
        switch shape.count {
        case 0: return nil
        case 1: return shape[0] > 0 ? (1, shape[0]) : nil
        default:
            let rows = shape[0], cols = shape.dropFirst().reduce(1, *)
            return rows > 0 && cols > 0 ? (rows, cols) : nil
        }
    }
}
