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
        /// A fused query/key/value tensor whose Hugging Face rows come in groups of
        /// `[queries, key, value]` heads (one group per head in GPT-NeoX and BLOOM, one per
        /// key/value head in Falcon 40B/180B), which llama.cpp's converter regroups as all
        /// queries, then all keys, then all values; reading puts the groups back.
        case groupedQKV = "grouped-qkv"
    }

    public var kind: Kind
    /// Heads the rows split into (`head_count` for queries, `head_count_kv` for keys); for
    /// `groupedQKV`, the number of groups.
    public var headCount: Int
    /// Rows per head (the head dimension); even for `llamaRoPE`.
    public var rowsPerHead: Int
    /// Query heads in each group (`groupedQKV`; 1 otherwise).
    public var queryHeadsPerGroup: Int

    public init(kind: Kind, headCount: Int, rowsPerHead: Int, queryHeadsPerGroup: Int = 1) {
        precondition(headCount > 0 && rowsPerHead > 0 && queryHeadsPerGroup > 0, "RowPermutation: invalid head layout")
        precondition(kind != .llamaRoPE || rowsPerHead % 2 == 0, "RowPermutation: a RoPE head has an even number of rows")
        self.kind = kind
        self.headCount = headCount
        self.rowsPerHead = rowsPerHead
        self.queryHeadsPerGroup = queryHeadsPerGroup
    }

    /// Total rows of a tensor this permutation applies to.
    public var rowCount: Int {
        switch kind {
        case .llamaRoPE: headCount * rowsPerHead
        case .groupedQKV: headCount * (queryHeadsPerGroup + 2) * rowsPerHead
        }
    }

    /// Rows that stay among themselves: the permutation maps each run of this many delivered
    /// rows onto the same run of stored rows (one head for RoPE), or `nil` when it does not.
    public var closedRowBlock: Int? {
        switch kind {
        case .llamaRoPE: rowsPerHead
        case .groupedQKV: nil
        }
    }

    /// The stored row holding delivered row `row`.
    @inline(__always)
    public func storedRow(forRow row: Int) -> Int {
        switch kind {
        case .llamaRoPE:
            // llama.cpp reshapes each head's rows as (2, half) and swaps the axes, so the stored
            // row `2·i + j` of a head holds original row `j·half + i`.
            let head = row / rowsPerHead
            let within = row - head * rowsPerHead
            let half = rowsPerHead / 2
            let j = within / half
            let i = within - j * half
            return head * rowsPerHead + 2 * i + j
        case .groupedQKV:
            let groupRows = (queryHeadsPerGroup + 2) * rowsPerHead
            let group = row / groupRows
            let slot = (row - group * groupRows) / rowsPerHead
            let within = row % rowsPerHead
            let queryRows = headCount * queryHeadsPerGroup * rowsPerHead
            if slot < queryHeadsPerGroup {
                return (group * queryHeadsPerGroup + slot) * rowsPerHead + within
            }
            let keysOrValues = slot == queryHeadsPerGroup ? queryRows : queryRows + headCount * rowsPerHead
            return keysOrValues + group * rowsPerHead + within
        }
    }

    /// The delivered row a stored row ends up as (the inverse of `storedRow(forRow:)`);
    /// applying it to Hugging Face rows reproduces llama.cpp's permutation.
    @inline(__always)
    public func row(forStoredRow stored: Int) -> Int {
        switch kind {
        case .llamaRoPE:
            let head = stored / rowsPerHead
            let within = stored - head * rowsPerHead
            let half = rowsPerHead / 2
            return head * rowsPerHead + (within % 2) * half + within / 2
        case .groupedQKV:
            let groupRows = (queryHeadsPerGroup + 2) * rowsPerHead
            let queryRows = headCount * queryHeadsPerGroup * rowsPerHead
            let within = stored % rowsPerHead
            if stored < queryRows {
                let head = stored / rowsPerHead
                return (head / queryHeadsPerGroup) * groupRows + (head % queryHeadsPerGroup) * rowsPerHead + within
            }
            let rest = stored - queryRows
            let slot = queryHeadsPerGroup + rest / (headCount * rowsPerHead)
            let group = (rest % (headCount * rowsPerHead)) / rowsPerHead
            return group * groupRows + slot * rowsPerHead + within
        }
    }
}
