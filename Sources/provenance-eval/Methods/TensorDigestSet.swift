import ProvenanceCrypto

/// Reference method 2: name-free per-tensor SHA-256 (as PyPI `model-fingerprint` does): the
/// SHA-256 of every tensor's stored bytes, sorted, hashed into one root. Equal roots mean the
/// same tensors whatever their names, order or sharding; anything else is not a copy.
enum TensorDigestSet {
    static func root(_ model: EvaluatedModel) -> SHA256Digest {
        let hasher = SHA256()
        for digest in model.fingerprint.tensors.map(\.sha256).sorted() { hasher.update(digest.bytes) }
        return hasher.finalize()
    }

    static func attribute(_ suspect: EvaluatedModel, registry: [EvaluatedModel]) -> MethodAnswer {
        let suspectRoot = root(suspect)
        for model in registry where root(model) == suspectRoot {
            return MethodAnswer(labels: [model.label], detail: "same tensors")
        }
        return .none("")
    }
}
