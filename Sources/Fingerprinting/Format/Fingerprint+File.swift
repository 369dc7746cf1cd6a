import Checkpoints
import Foundation
import ProvenanceCrypto

// MARK: - Writing and reading fingerprint files

extension Fingerprint {
    /// Extra `__metadata__` entries a caller may add (release metadata, signatures), kept verbatim.
    public typealias ExtraMetadata = [String: String]

    /// Writes the fingerprint file atomically. Its bytes are deterministic: same fingerprint
    /// (and extras), same bytes.
    public func write(to path: String, extraMetadata: ExtraMetadata = [:]) throws {
        let bytes = try encoded(extraMetadata: extraMetadata)
        let writer = try AtomicFileWriter(path: path)
        try writer.write(bytes)
        try writer.commit()
    }

    /// The fingerprint file's bytes. `expertTables: false` writes format version 1 as builds
    /// before expert tables did (every tensor listed), to recognise files they signed.
    public func encoded(extraMetadata: ExtraMetadata = [:], expertTables: Bool = true) throws -> [UInt8] {
        var arrays: [SafetensorsWriter.Tensor] = []
        var documentTensors: [FingerprintDocument.Tensor] = []
        // Expert groups whose members fit a table are stored compactly (§4b); their members leave `tensors`.
        let plans = expertTables ? expertTablePlans() : []
        let tabled = Set(plans.flatMap(\.positions))
        for (index, tensor) in tensors.enumerated() where !tabled.contains(index) {
            var sketchName: String?
            if !tensor.sketch.isEmpty {
                let name = "sketch." + Self.padded(index)
                let shape = tensor.sketch.count == SketchGeometry.side ? [SketchGeometry.side] : [SketchGeometry.side, SketchGeometry.side]
                arrays.append(.init(name: name, shape: shape, values: tensor.sketch, as: .f32))
                sketchName = name
            }
            documentTensors.append(.init(
                name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, file: tensor.file, role: tensor.role,
                layer: tensor.layer, roleBasis: tensor.roleBasis, sha256: tensor.sha256, canonical: tensor.canonical,
                statistics: tensor.statistics, valueGrid: tensor.valueGrid, roundingEnergy: tensor.roundingEnergy, scale: tensor.scale,
                experts: tensor.experts, expertDigests: tensor.expertDigests, sketch: sketchName, lshKeys: tensor.lshKeys.map(hex64)))
        }
        var documentProfiles: [FingerprintDocument.Profile] = []
        let t = header.probeTokens
        for (index, profile) in profiles.enumerated() {
            let base = "profile." + Self.padded(index)
            let count = profile.selected.count
            arrays.append(.init(name: base + ".input", shape: [count, t], values: profile.inputProfiles, as: .f16))
            arrays.append(.init(name: base + ".paired", shape: [profile.pairedProfiles.count / t, t], values: profile.pairedProfiles, as: .f16))
            arrays.append(.init(name: base + ".selected", dtype: .i32, shape: [count],
                                bytes: profile.selected.flatMap { withUnsafeBytes(of: Int32($0).littleEndian, Array.init) }))
            documentProfiles.append(.init(
                kind: profile.kind, layer: profile.layer, inputTensor: profile.inputTensor, pairedTensor: profile.pairedTensor,
                neuronCount: profile.neuronCount, selectedCount: count,
                input: base + ".input", paired: base + ".paired", selected: base + ".selected"))
        }
        var documentGroups: [FingerprintDocument.ExpertGroup] = []
        for (index, group) in expertGroups.enumerated() {
            let name = "expert-group." + Self.padded(index)
            arrays.append(.init(name: name, shape: [SketchGeometry.side, SketchGeometry.side], values: group.sketch, as: .f32))
            documentGroups.append(.init(name: group.name, members: group.members, sketch: name, lshKeys: group.lshKeys.map(hex64)))
        }
        var documentParts: [FingerprintDocument.FusedPart] = []
        for (index, part) in fusedParts.enumerated() {
            let name = "fused-part." + Self.padded(index)
            arrays.append(.init(name: name, shape: [SketchGeometry.side, SketchGeometry.side], values: part.sketch, as: .f32))
            documentParts.append(.init(tensor: part.tensor, part: part.part.rawValue, axis: part.axis.rawValue, layout: part.layout.rawValue,
                                       heads: part.heads, rows: part.rows, cols: part.cols, count: part.count, mean: part.mean, sumSquares: part.sumSquares,
                                       sketch: name, lshKeys: part.lshKeys.map(hex64)))
        }
        var documentTables: [FingerprintDocument.ExpertTable] = []
        for (index, plan) in plans.enumerated() {
            let base = "expert-table." + Self.padded(index)
            var table = plan.table
            func named(_ rows: inout FingerprintDocument.ExpertTable.Rows, _ contents: RowArrays, _ label: String) {
                rows.digests = label + ".digests"
                rows.statistics = label + ".statistics"
                let count = rows.files.count
                arrays.append(.init(name: rows.digests, dtype: .u8, shape: [count, 64], bytes: contents.digests))
                arrays.append(.init(name: rows.statistics, dtype: .f64, shape: [count, ExpertTableColumns.count], bytes: Self.littleEndian(contents.statistics)))
                if let energies = contents.roundingEnergy {
                    rows.roundingEnergy = label + ".rounding-energy"
                    arrays.append(.init(name: label + ".rounding-energy", dtype: .f64, shape: [count], bytes: Self.littleEndian(energies)))
                }
            }
            named(&table.members, plan.members, base)
            for (kind, contents) in plan.companions.enumerated() {
                named(&table.companions![kind].rows, contents, base + ".companion-\(kind)")
            }
            documentTables.append(table)
        }
        var gramName: String?
        if !probe.gram.isEmpty {
            gramName = "probe.gram"
            arrays.append(.init(name: "probe.gram", shape: [t, t], values: probe.gram, as: .f32))
        }
        let document = FingerprintDocument(
            header: header, source: source, structure: structure, roots: roots, tensors: documentTensors,
            probe: .init(kind: probe.kind, tokenIDs: probe.tokenIDs, gram: gramName), profiles: documentProfiles,
            indexKeys: indexKeys.map { .init(kind: $0.kind, value: hex64($0.value)) },
            expertGroups: documentGroups.isEmpty ? nil : documentGroups,
            fusedParts: documentParts.isEmpty ? nil : documentParts,
            expertTables: documentTables.isEmpty ? nil : documentTables)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(document), as: UTF8.self)
        var metadata = extraMetadata
        metadata["format"] = FingerprintFormat.name
        metadata["format_version"] = String(documentTables.isEmpty ? FingerprintFormat.version : FingerprintFormat.expertTablesVersion)
        metadata["fingerprint"] = json
        return SafetensorsBuffer.encode(arrays, metadata: metadata)
    }

    /// An encoded fingerprint file with `extraMetadata` added and its fingerprint part (the
    /// format keys, the document and every array) byte for byte unchanged, so the part's digest
    /// stays what was recorded or signed whatever encoding this build would choose.
    public static func addingMetadata(_ extraMetadata: ExtraMetadata, to bytes: [UInt8], name: String) throws -> [UInt8] {
        let buffer: SafetensorsBuffer
        switch Result(catching: { () throws(CheckpointError) in try SafetensorsBuffer(bytes: bytes, name: name) }) {
        case .success(let parsed): buffer = parsed
        case .failure(let error): throw FingerprintFileError(file: name, reason: "its container is not valid safetensors (\(error.description))")
        }
        var metadata = buffer.metadata
        metadata.merge(extraMetadata) { current, _ in current }
        let arrays = buffer.tensors.map { SafetensorsWriter.Tensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, bytes: Array(buffer.data(of: $0))) }
        return SafetensorsBuffer.encode(arrays, metadata: metadata)
    }

    /// The JSON document of a fingerprint (the `fingerprint` metadata entry of its file).
    public static func documentJSON(_ fingerprint: Fingerprint) throws -> String {
        let buffer = try SafetensorsBuffer(bytes: try fingerprint.encoded(), name: "fingerprint")
        return buffer.metadata["fingerprint"] ?? "{}"
    }

    /// Reads a fingerprint file, validating format, version and every referenced array.
    public static func read(from path: String) throws -> (fingerprint: Fingerprint, extraMetadata: ExtraMetadata) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FingerprintFileError(file: path, reason: "it does not exist or cannot be read")
        }
        return try decode(Array(data), name: path)
    }

    /// Decodes fingerprint file bytes (`name` is used in error messages).
    public static func decode(_ bytes: [UInt8], name path: String) throws -> (fingerprint: Fingerprint, extraMetadata: ExtraMetadata) {
        let buffer: SafetensorsBuffer
        switch Result(catching: { () throws(CheckpointError) in try SafetensorsBuffer(bytes: bytes, name: path) }) {
        case .success(let parsed):
            buffer = parsed
        case .failure(let error):
            throw FingerprintFileError(file: path, reason: "its container is not valid safetensors (\(error.description))")
        }
        let metadata = buffer.metadata
        guard metadata["format"] == FingerprintFormat.name else {
            throw FingerprintFileError(file: path, reason: "__metadata__ has no \"format\": \"\(FingerprintFormat.name)\" entry")
        }
        guard let versionText = metadata["format_version"], let version = Int(versionText) else {
            throw FingerprintFileError(file: path, reason: "__metadata__ has no integer \"format_version\"")
        }
        guard version == FingerprintFormat.version || version == FingerprintFormat.expertTablesVersion else {
            throw FingerprintFileError(file: path, reason: "format version \(version) is not supported (this build reads versions "
                + "\(FingerprintFormat.version) and \(FingerprintFormat.expertTablesVersion))")
        }
        guard let json = metadata["fingerprint"] else {
            throw FingerprintFileError(file: path, reason: "__metadata__ has no \"fingerprint\" document")
        }
        let document: FingerprintDocument
        do {
            document = try JSONDecoder().decode(FingerprintDocument.self, from: Data(json.utf8))
        } catch {
            throw FingerprintFileError(file: path, reason: "the fingerprint document does not match format version \(version) (\(Self.decodingMessage(error)))")
        }
        guard (document.expertTables != nil) == (version == FingerprintFormat.expertTablesVersion) else {
            throw FingerprintFileError(file: path, reason: "format version \(version) "
                + (version == FingerprintFormat.expertTablesVersion ? "declares expert tables, but the document has none" : "has no expert tables, but the document lists some"))
        }
        let arrays = ArrayLoader(buffer: buffer, path: path)
        let t = document.header.probeTokens
        guard t == ProbeBasis.tokenCount, document.header.sketchSide == SketchGeometry.side else {
            throw FingerprintFileError(file: path, reason: "its sketch or probe geometry differs from format version 1")
        }
        // Members of expert tables go to the positions their groups name, their companions to the
        // positions listed; the listed tensors fill the rest in order.
        let (total, tabled) = try tabledTensors(document, arrays: arrays, path: path)
        var listed = document.tensors.makeIterator()
        var tensors: [TensorFingerprint] = []
        for position in 0..<total {
            if let tensor = tabled[position] {
                tensors.append(tensor)
                continue
            }
            let entry = listed.next()!
            guard entry.file >= 0, entry.file < document.source.files.count else {
                throw FingerprintFileError(file: path, reason: "tensor '\(entry.name)' names file #\(entry.file), which is not listed")
            }
            var sketch: [Float] = []
            if let name = entry.sketch {
                sketch = try arrays.floats(name, shapes: [[SketchGeometry.side, SketchGeometry.side], [SketchGeometry.side]])
            }
            if let energy = entry.roundingEnergy, !(energy.isFinite && energy >= 0) {
                throw FingerprintFileError(file: path, reason: "tensor '\(entry.name)' has a rounding energy (\(energy)) that is not a finite, non-negative number")
            }
            if let scale = entry.scale, scale.block.count != 2 || scale.block.contains(where: { $0 < 1 }) {
                throw FingerprintFileError(file: path, reason: "tensor '\(entry.name)' has a scale block \(scale.block), not two positive extents")
            }
            if let experts = entry.experts, !(experts >= 2 && entry.shape.count == 3 && entry.shape[0] == experts) {
                throw FingerprintFileError(file: path, reason: "tensor '\(entry.name)' declares \(experts) stacked experts, but its shape \(entry.shape) is not a stack of that many matrices")
            }
            if entry.expertDigests != nil, entry.experts == nil {
                throw FingerprintFileError(file: path, reason: "tensor '\(entry.name)' has expert digests but is not a stack of experts")
            }
            let keys = try Self.lshKeys(entry.lshKeys, of: "tensor '\(entry.name)'", path: path)
            tensors.append(TensorFingerprint(
                name: entry.name, dtype: entry.dtype, shape: entry.shape, file: entry.file, role: entry.role,
                layer: entry.layer, roleBasis: entry.roleBasis, sha256: entry.sha256, canonical: entry.canonical,
                statistics: entry.statistics, valueGrid: entry.valueGrid, roundingEnergy: entry.roundingEnergy, scale: entry.scale,
                experts: entry.experts, expertDigests: entry.expertDigests, sketch: sketch, lshKeys: keys))
        }
        var profiles: [NeuronProfileSet] = []
        for entry in document.profiles {
            let count = entry.selectedCount
            let input = try arrays.floats(entry.input, shapes: [[count, t]])
            let paired = try arrays.floats(entry.paired, shapes: entry.kind.hasPrefix("matrix.") ? [[0, t]] : [[count, t]])
            let selected = try arrays.integers(entry.selected, count: count)
            guard selected.allSatisfy({ $0 >= 0 && $0 < entry.neuronCount }) else {
                throw FingerprintFileError(file: path, reason: "profile '\(entry.input)' selects neurons outside 0..<\(entry.neuronCount)")
            }
            profiles.append(NeuronProfileSet(
                kind: entry.kind, layer: entry.layer, inputTensor: entry.inputTensor, pairedTensor: entry.pairedTensor,
                neuronCount: entry.neuronCount, selected: selected, inputProfiles: input, pairedProfiles: paired))
        }
        var expertGroups: [ExpertGroupFingerprint] = []
        for entry in document.expertGroups ?? [] {
            guard entry.members.count >= 2, Set(entry.members).count == entry.members.count,
                  entry.members.allSatisfy({ $0 >= 0 && $0 < tensors.count }) else {
                throw FingerprintFileError(file: path, reason: "expert group '\(entry.name)' does not list two or more distinct tensors of the file")
            }
            let shape = tensors[entry.members[0]].shape
            guard shape.count == 2, entry.members.allSatisfy({ tensors[$0].shape == shape && tensors[$0].sketch.isEmpty }) else {
                throw FingerprintFileError(file: path, reason: "expert group '\(entry.name)' has members that are not 2-D matrices of one shape without sketches of their own")
            }
            let sketch = try arrays.floats(entry.sketch, shapes: [[SketchGeometry.side, SketchGeometry.side]])
            let keys = try Self.lshKeys(entry.lshKeys, of: "expert group '\(entry.name)'", path: path)
            expertGroups.append(ExpertGroupFingerprint(name: entry.name, members: entry.members, sketch: sketch, lshKeys: keys))
        }
        var fusedParts: [FusedPartFingerprint] = []
        for entry in document.fusedParts ?? [] {
            fusedParts.append(try Self.fusedPart(entry, tensors: tensors, arrays: arrays, path: path))
        }
        let gram = try document.probe.gram.map { try arrays.floats($0, shapes: [[t, t]]) } ?? []
        var indexKeys: [IndexKey] = []
        for key in document.indexKeys {
            guard let value = UInt64(key.value, radix: 16) else {
                throw FingerprintFileError(file: path, reason: "index key '\(key.value)' is not 16 hex digits")
            }
            indexKeys.append(IndexKey(kind: key.kind, value: value))
        }
        let fingerprint = Fingerprint(
            header: document.header, source: document.source, structure: document.structure, roots: document.roots,
            tensors: tensors, probe: .init(kind: document.probe.kind, tokenIDs: document.probe.tokenIDs, gram: gram),
            profiles: profiles, indexKeys: indexKeys, expertGroups: expertGroups, fusedParts: fusedParts)
        var extras = metadata
        for key in ["format", "format_version", "fingerprint"] { extras[key] = nil }
        return (fingerprint, extras)
    }

    /// The tensors of a document's expert tables by their position in the full tensor list, and
    /// that list's length (§4b).
    private static func tabledTensors(
        _ document: FingerprintDocument, arrays: ArrayLoader, path: String
    ) throws -> (total: Int, byPosition: [Int: TensorFingerprint]) {
        let tables = document.expertTables ?? []
        let groups = document.expertGroups ?? []
        var tabled: [Int: TensorFingerprint] = [:]
        let total = try tables.reduce(document.tensors.count) { sum, table in
            guard table.group >= 0, table.group < groups.count else {
                throw FingerprintFileError(file: path, reason: "an expert table names group #\(table.group), which the file does not list")
            }
            return sum + groups[table.group].members.count + (table.companions ?? []).reduce(0) { $0 + $1.positions.count }
        }
        for table in tables {
            let owner = "expert table of group #\(table.group)"
            let members = groups[table.group].members
            guard table.numbers.count == members.count else {
                throw FingerprintFileError(file: path, reason: "\(owner) lists \(table.numbers.count) numbers for a group of \(members.count) members")
            }
            func rowArrays(_ rows: FingerprintDocument.ExpertTable.Rows) throws -> RowArrays {
                let count = table.numbers.count
                return RowArrays(digests: try arrays.bytes(rows.digests, shape: [count, 64]),
                                 statistics: try arrays.doubles(rows.statistics, shape: [count, ExpertTableColumns.count]),
                                 roundingEnergy: try rows.roundingEnergy.map { try arrays.doubles($0, shape: [count]) })
            }
            let scale = table.scale.map { template in
                { (row: Int) -> TensorFingerprint.Scaling in
                    let head = table.namePrefix + String(table.numbers[row])
                    return TensorFingerprint.Scaling(
                        tensor: head + template.tensorSuffix, block: template.block, granularity: template.granularity,
                        zeroPoints: template.zeroPointsSuffix.map { head + $0 }, groupIndex: template.groupIndexSuffix.map { head + $0 },
                        packing: template.packing, biases: template.biasesSuffix.map { head + $0 }, quantizer: template.quantizer)
                }
            }
            if let block = table.scale?.block, block.count != 2 || block.contains(where: { $0 < 1 }) {
                throw FingerprintFileError(file: path, reason: "\(owner) has a scale block \(block), not two positive extents")
            }
            var placed = zip(members, try Self.tableRows(
                table.members, prefix: table.namePrefix, numbers: table.numbers, suffix: table.nameSuffix, arrays: try rowArrays(table.members),
                scale: { scale?($0) }, fileCount: document.source.files.count, owner: owner, path: path)).map { ($0, $1) }
            for companion in table.companions ?? [] {
                guard companion.positions.count == table.numbers.count else {
                    throw FingerprintFileError(file: path, reason: "\(owner) places \(companion.positions.count) '\(companion.nameSuffix)' companions for \(table.numbers.count) members")
                }
                placed += zip(companion.positions, try Self.tableRows(
                    companion.rows, prefix: table.namePrefix, numbers: table.numbers, suffix: companion.nameSuffix,
                    arrays: try rowArrays(companion.rows), scale: { _ in nil }, fileCount: document.source.files.count,
                    owner: owner + " ('\(companion.nameSuffix)' companions)", path: path)).map { ($0, $1) }
            }
            for (position, tensor) in placed {
                guard position >= 0, position < total, tabled.updateValue(tensor, forKey: position) == nil else {
                    throw FingerprintFileError(file: path, reason: "\(owner) places a tensor at #\(position), outside the \(total) tensors or taken")
                }
            }
        }
        return (total, tabled)
    }

    /// Whether `path` is a single file whose safetensors metadata carries the fingerprint format marker.
    public static func isFingerprintFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let reader = try? CheckpointReader(path: path), reader.checkpoint.files.count == 1 else { return false }
        return reader.checkpoint.files[0].metadata["format"] == FingerprintFormat.name
    }

    /// A fused part entry, checked against the tensor it names: a split (`FusedProjection`) of
    /// the recorded kind that fits the tensor's view and gives the part the recorded size.
    private static func fusedPart(
        _ entry: FingerprintDocument.FusedPart, tensors: [TensorFingerprint], arrays: ArrayLoader, path: String
    ) throws -> FusedPartFingerprint {
        func invalid(_ reason: String) -> FingerprintFileError {
            FingerprintFileError(file: path, reason: "fused part '\(entry.sketch)' \(reason)")
        }
        guard entry.tensor >= 0, entry.tensor < tensors.count else { throw invalid("names tensor #\(entry.tensor), which the file does not list") }
        let tensor = tensors[entry.tensor]
        guard let part = FusedProjection.Part(rawValue: entry.part), let axis = FusedProjection.Axis(rawValue: entry.axis),
              let layout = FusedProjection.Layout(rawValue: entry.layout),
              (layout == .headBlocks) == [.key, .value].contains(part), layout != .headBlocks || axis == .rows else {
            throw invalid("has part '\(entry.part)', axis '\(entry.axis)' or layout '\(entry.layout)' outside gate/up with rows/cols and halves/interleaved, or key/value with rows and head-blocks")
        }
        guard let view = tensor.matrixView else { throw invalid("names tensor '\(tensor.name)' \(tensor.shape), which is no matrix") }
        let split: FusedProjection
        if layout == .headBlocks {
            // The other part's rows follow from the head count: H·(keyRows + valueRows) rows in all.
            guard let heads = entry.heads, heads >= 1, view.rows % heads == 0, entry.rows >= 1, entry.rows < view.rows / heads else {
                throw invalid("has \(entry.heads.map(String.init) ?? "no") heads, which do not split tensor '\(tensor.name)' \(tensor.shape) into blocks holding \(entry.rows) \(entry.part) rows")
            }
            let other = view.rows / heads - entry.rows
            split = part == .key ? FusedProjection(keyRows: entry.rows, valueRows: other) : FusedProjection(keyRows: other, valueRows: entry.rows)
        } else {
            guard entry.heads == nil else { throw invalid("has heads, which only a head-blocks split has") }
            split = FusedProjection(axis: axis, layout: layout)
        }
        guard split.fits(rows: view.rows, cols: view.cols), split.partView(part, rows: view.rows, cols: view.cols) == (entry.rows, entry.cols) else {
            throw invalid("does not describe a part of tensor '\(tensor.name)' \(tensor.shape)")
        }
        guard entry.count >= 0, entry.mean.isFinite, entry.sumSquares.isFinite, entry.sumSquares >= 0 else {
            throw invalid("has a negative count or sum of squares, or a non-finite mean or sum of squares")
        }
        let sketch = try arrays.floats(entry.sketch, shapes: [[SketchGeometry.side, SketchGeometry.side]])
        let keys = try lshKeys(entry.lshKeys, of: "fused part '\(entry.sketch)'", path: path)
        return FusedPartFingerprint(tensor: entry.tensor, part: part, axis: axis, layout: layout, heads: entry.heads, rows: entry.rows, cols: entry.cols,
                                    count: entry.count, mean: entry.mean, sumSquares: entry.sumSquares, sketch: sketch, lshKeys: keys)
    }

    /// LSH keys from their 16-hex-digit text; `owner` ("tensor 'NAME'") names the entry in the error.
    private static func lshKeys(_ texts: [String], of owner: String, path: String) throws -> [UInt64] {
        try texts.map { text in
            guard let key = UInt64(text, radix: 16) else {
                throw FingerprintFileError(file: path, reason: "\(owner) has an LSH key '\(text)' that is not 16 hex digits")
            }
            return key
        }
    }

    /// The little-endian bytes of F64 values.
    static func littleEndian(_ values: [Double]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
    }

    static func padded(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    static func decodingMessage(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing '\(key.stringValue)' at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            return "\(context.debugDescription) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default:
            return "\(error)"
        }
    }
}

/// Loads named arrays from a fingerprint container, checking their shapes.
private struct ArrayLoader {
    let buffer: SafetensorsBuffer
    let path: String
    let byName: [String: TensorInfo]

    init(buffer: SafetensorsBuffer, path: String) {
        self.buffer = buffer
        self.path = path
        byName = Dictionary(buffer.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func floats(_ name: String, shapes: [[Int]]) throws -> [Float] {
        guard let tensor = byName[name] else {
            throw FingerprintFileError(file: path, reason: "the document references array '\(name)', which the file does not contain")
        }
        guard shapes.contains(tensor.shape), tensor.dtype == .f32 || tensor.dtype == .f16 else {
            throw FingerprintFileError(file: path, reason: "array '\(name)' has dtype \(tensor.dtype.name) and shape \(tensor.shape), expected F32/F16 \(shapes)")
        }
        return try buffer.floats(of: tensor)
    }

    func bytes(_ name: String, shape: [Int]) throws -> [UInt8] {
        guard let tensor = byName[name], tensor.dtype == .u8, tensor.shape == shape else {
            throw FingerprintFileError(file: path, reason: "array '\(name)' is missing or is not U8 of shape \(shape)")
        }
        return Array(buffer.data(of: tensor))
    }

    func doubles(_ name: String, shape: [Int]) throws -> [Double] {
        guard let tensor = byName[name], tensor.dtype == .f64, tensor.shape == shape else {
            throw FingerprintFileError(file: path, reason: "array '\(name)' is missing or is not F64 of shape \(shape)")
        }
        let count = shape.reduce(1, *)
        return buffer.data(of: tensor).withUnsafeBytes { raw in
            (0..<count).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
        }
    }

    func integers(_ name: String, count: Int) throws -> [Int] {
        guard let tensor = byName[name], tensor.dtype == .i32, tensor.shape == [count] else {
            throw FingerprintFileError(file: path, reason: "array '\(name)' is missing or is not I32 of shape [\(count)]")
        }
        return buffer.data(of: tensor).withUnsafeBytes { raw in
            (0..<count).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
        }
    }
}
