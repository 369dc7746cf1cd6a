/// Maximum-weight bipartite matching (the linear assignment problem), Hungarian method
/// with shortest augmenting paths (Jonker–Volgenant style potentials), O(n²·m).
public enum LinearAssignment {
    /// Assigns each of the `rows` to a distinct column (rows ≤ cols required; transpose otherwise)
    /// maximising the total weight. `weights` is row-major `rows × cols`.
    /// Returns, for each row, its column.
    public static func maximize(weights: [Double], rows: Int, cols: Int) -> [Int] {
        precondition(rows <= cols && weights.count == rows * cols)
        guard rows > 0 else { return [] }
        // Minimise cost = −weight. 1-based arrays as in the classic formulation.
        let infinity = Double.greatestFiniteMagnitude
        var u = [Double](repeating: 0, count: rows + 1)
        var v = [Double](repeating: 0, count: cols + 1)
        var matchOfColumn = [Int](repeating: 0, count: cols + 1)  // row matched to column j (0 = none)
        var way = [Int](repeating: 0, count: cols + 1)
        var minimum = [Double](repeating: 0, count: cols + 1)
        var used = [Bool](repeating: false, count: cols + 1)
        weights.withUnsafeBufferPointer { weights in
            for row in 1...rows {
                matchOfColumn[0] = row
                var column0 = 0
                for j in 0...cols { minimum[j] = infinity; used[j] = false }
                repeat {
                    used[column0] = true
                    let row0 = matchOfColumn[column0]
                    var delta = infinity
                    var column1 = 0
                    let base = (row0 - 1) * cols
                    let potentialRow = u[row0]
                    for j in 1...cols where !used[j] {
                        let reduced = -weights[base + j - 1] - potentialRow - v[j]
                        if reduced < minimum[j] {
                            minimum[j] = reduced
                            way[j] = column0
                        }
                        if minimum[j] < delta {
                            delta = minimum[j]
                            column1 = j
                        }
                    }
                    for j in 0...cols {
                        if used[j] {
                            u[matchOfColumn[j]] += delta
                            v[j] -= delta
                        } else {
                            minimum[j] -= delta
                        }
                    }
                    column0 = column1
                } while matchOfColumn[column0] != 0
                repeat {
                    let column1 = way[column0]
                    matchOfColumn[column0] = matchOfColumn[column1]
                    column0 = column1
                } while column0 != 0
            }
        }
        var assignment = [Int](repeating: -1, count: rows)
        for j in 1...cols where matchOfColumn[j] > 0 { assignment[matchOfColumn[j] - 1] = j - 1 }
        return assignment
    }
}
