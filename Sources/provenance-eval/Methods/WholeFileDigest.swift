/// Reference method 1: whole-file SHA-256 (the Hugging Face LFS oid). A suspect is a copy of
/// a registered model when one of its weight files is byte-identical to one of the model's.
enum WholeFileDigest {
    static func attribute(_ suspect: EvaluatedModel, registry: [EvaluatedModel]) -> MethodAnswer {
        for model in registry where !suspect.fileDigests.isDisjoint(with: model.fileDigests) {
            return MethodAnswer(labels: [model.label], detail: "same file")
        }
        return .none("")
    }
}
