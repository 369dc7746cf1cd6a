import Checkpoints
import Foundation
import ProvenanceCrypto

// MARK: - Compact records of per-expert tensors (docs/FINGERPRINT_FORMAT.md §4b)

/// The 20 statistics columns of an expert table, in order: count, mean, std, minimum, maximum,
/// absMean, kurtosis (NaN when absent), sumSquares, zeros, nans, infinities, then the nine quantiles.
enum ExpertTableColumns {
    static let count = 11 + TensorStatistics.quantileLevels.count

    /// A member's statistics as a row; `nil` when they do not fit one (another quantile count,
    /// or counts beyond 2⁵³, which a Double would not hold exactly).
    static func row(_ statistics: TensorStatistics) -> [Double]? {
        let counts = [statistics.count, statistics.zeros, statistics.nans, statistics.infinities]
        guard statistics.quantiles.count == TensorStatistics.quantileLevels.count, counts.allSatisfy({ $0 >= 0 && $0 <= 1 << 53 }),
              statistics.kurtosis.map({ !$0.isNaN }) ?? true else { return nil }
        return [Double(statistics.count), statistics.mean, statistics.std, statistics.minimum, statistics.maximum, statistics.absMean,
                statistics.kurtosis ?? .nan, statistics.sumSquares, Double(statistics.zeros), Double(statistics.nans), Double(statistics.infinities)]
            + statistics.quantiles
    }

    /// The statistics of a row, or `nil` when a count is not a non-negative integer.
    static func statistics(_ row: ArraySlice<Double>) -> TensorStatistics? {
        let values = Array(row)
        func integer(_ value: Double) -> Int? {
            value >= 0 && value <= Double(1 << 53) && value.rounded() == value ? Int(value) : nil
        }
        guard values.count == count, let total = integer(values[0]), let zeros = integer(values[8]), let nans = integer(values[9]),
              let infinities = integer(values[10]) else { return nil }
        return TensorStatistics(count: total, mean: values[1], std: values[2], minimum: values[3], maximum: values[4], absMean: values[5],
                                kurtosis: values[6].isNaN ? nil : values[6], sumSquares: values[7], zeros: zeros, nans: nans,
                                infinities: infinities, quantiles: Array(values[11...]))
    }
}

extension Fingerprint {
    /// How many tensors its file stores in expert tables (members and their companions, §4b);
    /// 0 when the file is format version 1.
    public var tabledTensorCount: Int {
        expertTablePlans().reduce(0) { $0 + $1.positions.count }
    }

    /// The arrays of one set of table rows: digests, statistics and rounding energies.
    struct RowArrays {
        var digests: [UInt8]
        var statistics: [Double]
        var roundingEnergy: [Double]?
    }

    /// One expert group whose members (and their companions) are stored as a table: the table's
    /// JSON half, with array names left for the caller, and the arrays' contents.
    struct ExpertTablePlan {
        var group: Int
        var table: FingerprintDocument.ExpertTable
        var members: RowArrays
        /// One per `table.companions` entry.
        var companions: [RowArrays]
        /// Positions in `tensors` of the members and companions.
        var positions: [Int]
    }

    /// The expert groups whose members can be stored compactly: members that share everything
    /// but their number, file, digests, statistics and rounding energy, whose names differ only
    /// in one decimal number, whose scalings (if any) differ only in that number in their
    /// companions' names, and that carry no sketch, keys or stack of their own. Companions found
    /// by those names that share their fields the same way are tabled with them.
    func expertTablePlans() -> [ExpertTablePlan] {
        let indexByName = Dictionary(tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        // Group members, and companions once a table has them: no tensor is placed twice.
        var claimed = Set(expertGroups.flatMap(\.members))
        var plans: [ExpertTablePlan] = []
        for index in expertGroups.indices {
            let positions = expertGroups[index].members
            let members = positions.map { tensors[$0] }
            // Distinct members only: a malformed group stays listed for the reader to reject, not placed twice.
            guard members.count >= 2, Set(positions).count == positions.count, let (prefix, suffix, numbers) = Self.nameTemplate(group: expertGroups[index].name, names: members.map(\.name)),
                  let (rows, arrays) = Self.sharedRows(members) else { continue }
            var scale: FingerprintDocument.ExpertTable.ScaleTemplate?
            if !members.allSatisfy({ $0.scale == nil }) {
                guard let template = Self.scaleTemplate(members, prefix: prefix, numbers: numbers) else { continue }
                scale = template
            }
            var table = FingerprintDocument.ExpertTable(group: index, namePrefix: prefix, nameSuffix: suffix, numbers: numbers,
                                                         members: rows, scale: scale, companions: nil)
            var companionArrays: [RowArrays] = [], companionPositions: [Int] = []
            let suffixes = scale.map { [$0.tensorSuffix, $0.zeroPointsSuffix, $0.groupIndexSuffix, $0.biasesSuffix].compactMap { $0 } } ?? []
            for companionSuffix in suffixes {
                let found = numbers.compactMap { indexByName[prefix + String($0) + companionSuffix] }
                guard found.count == numbers.count, Set(found).count == found.count, found.allSatisfy({ !claimed.contains($0) && tensors[$0].scale == nil }),
                      let (companionRows, arrays) = Self.sharedRows(found.map { tensors[$0] }) else { continue }
                table.companions = (table.companions ?? []) + [.init(nameSuffix: companionSuffix, positions: found, rows: companionRows)]
                companionArrays.append(arrays)
                companionPositions += found
                claimed.formUnion(found)
            }
            plans.append(ExpertTablePlan(group: index, table: table, members: arrays, companions: companionArrays,
                                         positions: positions + companionPositions))
        }
        return plans
    }

    /// What `tensors` share (the JSON half of their rows, array names left empty) and their
    /// per-row arrays; `nil` when they differ in more, or carry a sketch, keys or a stack.
    static func sharedRows(_ tensors: [TensorFingerprint]) -> (FingerprintDocument.ExpertTable.Rows, RowArrays)? {
        guard let first = tensors.first else { return nil }
        let shared = tensors.allSatisfy { tensor in
            tensor.dtype == first.dtype && tensor.shape == first.shape && tensor.role == first.role && tensor.layer == first.layer
                && tensor.roleBasis == first.roleBasis && tensor.valueGrid == first.valueGrid
                && tensor.canonical.shape == first.canonical.shape
                && tensor.canonical.transposed == first.canonical.transposed && (tensor.roundingEnergy == nil) == (first.roundingEnergy == nil)
                && tensor.sketch.isEmpty && tensor.lshKeys.isEmpty && tensor.experts == nil && tensor.expertDigests == nil
        }
        let statistics = tensors.compactMap { $0.statistics.flatMap(ExpertTableColumns.row) }
        guard shared, statistics.count == tensors.count else { return nil }
        let rows = FingerprintDocument.ExpertTable.Rows(
            files: tensors.map(\.file), dtype: first.dtype, shape: first.shape, role: first.role, layer: first.layer,
            roleBasis: first.roleBasis, valueGrid: first.valueGrid,
            canonical: .init(dtype: first.canonical.dtype, shape: first.canonical.shape, transposed: first.canonical.transposed),
            canonicalDTypes: tensors.allSatisfy { $0.canonical.dtype == first.canonical.dtype } ? nil : tensors.map(\.canonical.dtype),
            digests: "", statistics: "", roundingEnergy: nil)
        return (rows, RowArrays(digests: tensors.flatMap { $0.sha256.bytes + $0.canonical.sha256.bytes }, statistics: statistics.flatMap { $0 },
                                roundingEnergy: first.roundingEnergy == nil ? nil : tensors.map { $0.roundingEnergy! }))
    }

    /// The members' common scaling, its companion names as suffixes after `prefix + number`;
    /// `nil` when the scalings differ otherwise or a name does not follow that pattern.
    static func scaleTemplate(_ members: [TensorFingerprint], prefix: String, numbers: [Int]) -> FingerprintDocument.ExpertTable.ScaleTemplate? {
        guard let first = members.first?.scale else { return nil }
        func suffix(_ name: String?, of index: Int) -> String?? {
            guard let name else { return .some(nil) }
            let head = prefix + String(numbers[index])
            guard name.hasPrefix(head), let next = name.dropFirst(head.count).first, !next.isNumber else { return nil }
            return .some(String(name.dropFirst(head.count)))
        }
        var template: FingerprintDocument.ExpertTable.ScaleTemplate?
        for (index, member) in members.enumerated() {
            guard let scale = member.scale, scale.block == first.block, scale.granularity == first.granularity, scale.packing == first.packing,
                  scale.quantizer == first.quantizer, let tensor = suffix(scale.tensor, of: index), let tensorSuffix = tensor,
                  let zeroPoints = suffix(scale.zeroPoints, of: index), let groupIndex = suffix(scale.groupIndex, of: index),
                  let biases = suffix(scale.biases, of: index) else { return nil }
            let candidate = FingerprintDocument.ExpertTable.ScaleTemplate(
                tensorSuffix: tensorSuffix, block: scale.block, granularity: scale.granularity, zeroPointsSuffix: zeroPoints,
                groupIndexSuffix: groupIndex, packing: scale.packing, biasesSuffix: biases, quantizer: scale.quantizer)
            if let template, template != candidate { return nil }
            template = candidate
        }
        return template
    }

    /// The group's name (`ExpertLayout.groupName`: the expert index replaced by `*`) split at its
    /// `*`, and each member's expert index (`ExpertLayout.expertIndex`); `nil` unless every name
    /// is `prefix + String(index) + suffix`.
    static func nameTemplate(group: String, names: [String]) -> (prefix: String, suffix: String, numbers: [Int])? {
        let halves = group.split(separator: "*", omittingEmptySubsequences: false)
        guard halves.count == 2 else { return nil }
        let (prefix, suffix) = (String(halves[0]), String(halves[1]))
        var numbers: [Int] = []
        for name in names {
            guard let number = ExpertLayout.expertIndex(name: name), name == prefix + String(number) + suffix else { return nil }
            numbers.append(number)
        }
        return (prefix, suffix, numbers)
    }

    /// The tensors of one set of table rows, named `prefix + numbers[i] + suffix`, checked
    /// against their arrays and the file list (`owner` names the rows in errors).
    static func tableRows(
        _ rows: FingerprintDocument.ExpertTable.Rows, prefix: String, numbers: [Int], suffix: String, arrays: RowArrays,
        scale: (Int) -> TensorFingerprint.Scaling?, fileCount: Int, owner: String, path: String
    ) throws -> [TensorFingerprint] {
        func invalid(_ reason: String) -> FingerprintFileError {
            FingerprintFileError(file: path, reason: "\(owner) \(reason)")
        }
        guard rows.files.count == numbers.count, rows.canonicalDTypes.map({ $0.count == numbers.count }) ?? true else {
            throw invalid("lists \(rows.files.count) files (or canonical dtypes) for \(numbers.count) rows")
        }
        guard numbers.allSatisfy({ $0 >= 0 }), rows.files.allSatisfy({ $0 >= 0 && $0 < fileCount }) else {
            throw invalid("has a negative number or a file outside the \(fileCount) listed")
        }
        return try numbers.indices.map { row in
            guard let stats = ExpertTableColumns.statistics(arrays.statistics[(row * ExpertTableColumns.count)..<((row + 1) * ExpertTableColumns.count)]) else {
                throw invalid("has statistics in row \(row) whose counts are not non-negative integers")
            }
            let energy = arrays.roundingEnergy?[row]
            if let energy, !(energy.isFinite && energy >= 0) {
                throw invalid("has a rounding energy (\(energy)) in row \(row) that is not a finite, non-negative number")
            }
            let raw = SHA256Digest(bytes: arrays.digests[(row * 64)..<(row * 64 + 32)])!
            let canonical = SHA256Digest(bytes: arrays.digests[(row * 64 + 32)..<(row * 64 + 64)])!
            return TensorFingerprint(
                name: prefix + String(numbers[row]) + suffix, dtype: rows.dtype, shape: rows.shape,
                file: rows.files[row], role: rows.role, layer: rows.layer, roleBasis: rows.roleBasis, sha256: raw,
                canonical: .init(sha256: canonical, dtype: rows.canonicalDTypes?[row] ?? rows.canonical.dtype, shape: rows.canonical.shape,
                                 transposed: rows.canonical.transposed),
                statistics: stats, valueGrid: rows.valueGrid, roundingEnergy: energy, scale: scale(row), experts: nil, expertDigests: nil,
                sketch: [], lshKeys: [])
        }
    }
}
