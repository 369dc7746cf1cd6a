// MARK: - bitsandbytes 8-bit weights (LLM.int8)

extension ScalePairing {
    /// What bitsandbytes' `weight_format` byte means; only 0, row-major, is read.
    static let llmInt8WeightFormats = [0: "row", 1: "col32", 2: "col_turing", 3: "col_ampere"]

    /// bitsandbytes 8-bit weights as transformers saves a `load_in_8bit` model: `P.weight` (I8
    /// `[R, C]`, row-major codes), `P.SCB` (F32 `[R]`, each row's largest magnitude) and, from
    /// bitsandbytes 0.41 on, `P.weight_format` (one U8: 0 row-major; 1–3 are GPU tile layouts of
    /// older versions, refused). Value = code × SCB / 127, the weight scaled per row with the
    /// factor SCB × (1/127) (`TensorScale.multiplier`). Anything that does not fit is an error.
    static func pairLLMInt8(
        _ tensors: inout [TensorInfo], fileName: (Int) -> String, readBytes: (TensorInfo) throws(CheckpointError) -> [UInt8]
    ) throws(CheckpointError) {
        let indexByName = Self.indexByName(tensors)
        for scaleIndex in tensors.indices where tensors[scaleIndex].name.hasSuffix(".SCB") && tensors[scaleIndex].scaledWeight == nil {
            let scale = tensors[scaleIndex]
            let prefix = String(scale.name.dropLast("SCB".count))
            let name = prefix + "weight"
            let file = fileName(scale.fileIndex)
            func layoutError(_ companion: String, _ reason: String) -> CheckpointError {
                CheckpointError(file: file, tensor: name, rule: .llmInt8Layout(companion: companion, reason: reason))
            }
            guard let weightIndex = indexByName[name] else { throw layoutError(scale.name, "has no weight '\(name)' beside it") }
            let weight = tensors[weightIndex]
            guard weight.dtype == .i8, weight.shape.count == 2, weight.scale == nil else {
                throw layoutError(scale.name, "scales a weight that is \(weight.dtype.name) \(weight.shape), not a matrix of I8 codes")
            }
            guard isFactorType(scale.dtype), scale.shape == [weight.shape[0]] else {
                throw layoutError(scale.name, "is \(scale.dtype.name) \(scale.shape), not F32 [\(weight.shape[0])] (one factor per row)")
            }
            try requireFactorCount(scale.elementCount, of: scale.name, for: name, file: file)
            if let formatIndex = indexByName[prefix + "weight_format"] {
                let format = tensors[formatIndex]
                guard format.dtype == .u8, format.elementCount == 1 else {
                    throw layoutError(format.name, "is \(format.dtype.name) \(format.shape), not one U8 value")
                }
                let code = Int(try readBytes(format)[0])
                guard code == 0 else {
                    let layout = llmInt8WeightFormats[code].map { "'\($0)', a GPU tile layout older bitsandbytes saved" } ?? "unknown"
                    throw layoutError(format.name, "says weight format \(code) (\(layout)), which this tool does not read")
                }
                tensors[formatIndex].scaledWeight = name
            }
            var scaling = TensorScale(companion: scale, granularity: .row, blockRows: 1, blockColumns: max(weight.shape[1], 1))
            // bitsandbytes dequantizes with 7.874015718698502e-3, 1/127 rounded to F32.
            scaling.multiplier = 1 / 127
            tensors[weightIndex].scale = scaling
            tensors[scaleIndex].scaledWeight = name
        }
    }
}
