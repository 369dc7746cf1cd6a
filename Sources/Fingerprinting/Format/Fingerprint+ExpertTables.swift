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
    /// One expert group whose members are stored as a table: the group's index, the table's JSON
    /// half (array names filled in by the caller) and its arrays' contents.
    struct ExpertTablePlan {
        var group: Int
        var table: FingerprintDocument.ExpertTable
        var digests: [UInt8]
        var statistics: [Double]
        var roundingEnergy: [Double]?
    }

    /// The expert groups whose members can be stored compactly: members that share everything
    /// but their number, file, digests, statistics and rounding energy, whose names differ only
    /// in one decimal number, and that carry no sketch, keys, scale or stack of their own.
    func expertTablePlans() -> [ExpertTablePlan] {
        expertGroups.indices.compactMap { index in
            let members = expertGroups[index].members.map { tensors[$0] }
            guard let first = members.first, members.count >= 2,
                  let (prefix, suffix, numbers) = Self.nameTemplate(members.map(\.name)) else { return nil }
            let shared = members.allSatisfy { member in
                member.dtype == first.dtype && member.shape == first.shape && member.role == first.role && member.layer == first.layer
                    && member.roleBasis == first.roleBasis && member.valueGrid == first.valueGrid
                    && member.canonical.dtype == first.canonical.dtype && member.canonical.shape == first.canonical.shape
                    && member.canonical.transposed == first.canonical.transposed && (member.roundingEnergy == nil) == (first.roundingEnergy == nil)
                    && member.sketch.isEmpty && member.lshKeys.isEmpty && member.scale == nil && member.experts == nil && member.expertDigests == nil
            }
            let rows = members.compactMap { $0.statistics.flatMap(ExpertTableColumns.row) }
            guard shared, rows.count == members.count else { return nil }
            let table = FingerprintDocument.ExpertTable(
                group: index, namePrefix: prefix, nameSuffix: suffix, numbers: numbers, files: members.map(\.file),
                dtype: first.dtype, shape: first.shape, role: first.role, layer: first.layer, roleBasis: first.roleBasis,
                valueGrid: first.valueGrid,
                canonical: .init(dtype: first.canonical.dtype, shape: first.canonical.shape, transposed: first.canonical.transposed),
                digests: "", statistics: "", roundingEnergy: nil)
            return ExpertTablePlan(group: index, table: table, digests: members.flatMap { $0.sha256.bytes + $0.canonical.sha256.bytes },
                                   statistics: rows.flatMap { $0 }, roundingEnergy: first.roundingEnergy == nil ? nil : members.map { $0.roundingEnergy! })
        }
    }

    /// `prefix + String(n) + suffix` for every name, with n the whole decimal run where the names
    /// differ; `nil` when they differ otherwise (or a number has leading zeros).
    static func nameTemplate(_ names: [String]) -> (prefix: String, suffix: String, numbers: [Int])? {
        guard let first = names.first else { return nil }
        var prefix = Array(first.utf8), suffix = Array(first.utf8)
        for name in names.dropFirst() {
            let bytes = Array(name.utf8)
            prefix = Array(zip(prefix, bytes).prefix { $0 == $1 }.map(\.0))
            suffix = Array(zip(suffix.reversed(), bytes.reversed()).prefix { $0 == $1 }.map(\.0).reversed())
        }
        // The number is the whole digit run: digits shared at its ends belong to it.
        let isDigit = { (byte: UInt8) in byte >= 0x30 && byte <= 0x39 }
        while let last = prefix.last, isDigit(last) { prefix.removeLast() }
        while let head = suffix.first, isDigit(head) { suffix.removeFirst() }
        var numbers: [Int] = []
        for name in names {
            let bytes = Array(name.utf8)
            guard bytes.count >= prefix.count + suffix.count + 1 else { return nil }
            let middle = bytes[prefix.count..<(bytes.count - suffix.count)]
            guard middle.count <= 9, middle.allSatisfy(isDigit), middle.first != 0x30 || middle.count == 1,
                  let number = Int(String(decoding: middle, as: UTF8.self)) else { return nil }
            numbers.append(number)
        }
        return (String(decoding: prefix, as: UTF8.self), String(decoding: suffix, as: UTF8.self), numbers)
    }

    /// The tensors of an expert table, checked against its arrays and the file list.
    static func expertTableTensors(
        _ table: FingerprintDocument.ExpertTable, rows: Int, digests: [UInt8], statistics: [Double], roundingEnergy: [Double]?,
        fileCount: Int, path: String
    ) throws -> [TensorFingerprint] {
        func invalid(_ reason: String) -> FingerprintFileError {
            FingerprintFileError(file: path, reason: "expert table of group #\(table.group) \(reason)")
        }
        guard table.numbers.count == rows, table.files.count == rows else {
            throw invalid("lists \(table.numbers.count) numbers and \(table.files.count) files for a group of \(rows) members")
        }
        guard table.numbers.allSatisfy({ $0 >= 0 }), table.files.allSatisfy({ $0 >= 0 && $0 < fileCount }) else {
            throw invalid("has a negative number or a file outside the \(fileCount) listed")
        }
        return try (0..<rows).map { row in
            guard let stats = ExpertTableColumns.statistics(statistics[(row * ExpertTableColumns.count)..<((row + 1) * ExpertTableColumns.count)]) else {
                throw invalid("has statistics in row \(row) whose counts are not non-negative integers")
            }
            let energy = roundingEnergy?[row]
            if let energy, !(energy.isFinite && energy >= 0) {
                throw invalid("has a rounding energy (\(energy)) in row \(row) that is not a finite, non-negative number")
            }
            let raw = SHA256Digest(bytes: digests[(row * 64)..<(row * 64 + 32)])!, canonical = SHA256Digest(bytes: digests[(row * 64 + 32)..<(row * 64 + 64)])!
            return TensorFingerprint(
                name: table.namePrefix + String(table.numbers[row]) + table.nameSuffix, dtype: table.dtype, shape: table.shape,
                file: table.files[row], role: table.role, layer: table.layer, roleBasis: table.roleBasis, sha256: raw,
                canonical: .init(sha256: canonical, dtype: table.canonical.dtype, shape: table.canonical.shape, transposed: table.canonical.transposed),
                statistics: stats, valueGrid: table.valueGrid, roundingEnergy: energy, scale: nil, experts: nil, expertDigests: nil,
                sketch: [], lshKeys: [])
        }
    }
}
