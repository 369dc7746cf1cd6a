/// A reordering of a tensor's rows that the reader undoes while delivering data, so values
/// arrive in the original (Hugging Face) layout rather than the stored one.
///
/// Rows are the outermost dimension: a tensor of shape `[R, C…]` has `R` rows of
/// `C…` elements each (a 1-D tensor has rows of one element).
public struct RowPermutation: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// llama.cpp's `convert_hf_to_gguf.py` (`LlamaModel.permute`) interleaves the two
        /// rotary halves of every query/key head; reading puts them back in Hugging Face order.
        case llamaRoPE = "llama-rope"
    }

    public var kind: Kind
    /// Heads the rows split into (`head_count` for queries, `head_count_kv` for keys).
    public var headCount: Int
    /// Rows per head (the head dimension); even.
    public var rowsPerHead: Int

    public init(kind: Kind, headCount: Int, rowsPerHead: Int) {
        precondition(headCount > 0 && rowsPerHead > 0 && rowsPerHead % 2 == 0, "RowPermutation: invalid head layout")
        self.kind = kind
        self.headCount = headCount
        self.rowsPerHead = rowsPerHead
    }

    /// Total rows of a tensor this permutation applies to.
    public var rowCount: Int { headCount * rowsPerHead }

    /// The stored row holding delivered row `row`.
    ///
    /// llama.cpp reshapes each head's rows as (2, half) and swaps the axes, so the stored row
    /// `2·i + j` of a head holds original row `j·half + i`.
    @inline(__always)
    public func storedRow(forRow row: Int) -> Int {
        let head = row / rowsPerHead
        let within = row - head * rowsPerHead
        let half = rowsPerHead / 2
        let j = within / half
        let i = within - j * half
        return head * rowsPerHead + 2 * i + j
    }

    /// The delivered row a stored row ends up as (the inverse of `storedRow(forRow:)`);
    /// applying it to Hugging Face rows reproduces llama.cpp's permutation.
    @inline(__always)
    public func row(forStoredRow stored: Int) -> Int {
        let head = stored / rowsPerHead
        let within = stored - head * rowsPerHead
        let half = rowsPerHead / 2
        return head * rowsPerHead + (within % 2) * half + within / 2
    }
}
