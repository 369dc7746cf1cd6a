/// A model held in memory as named Float tensors, in a fixed order.
public struct ModelWeights: Sendable {
    /// One named tensor.
    public struct Tensor: Sendable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    public var spec: TransformerSpec
    public var tensors: [Tensor]

    public init(spec: TransformerSpec, tensors: [Tensor]) {
        self.spec = spec
        self.tensors = tensors
    }

    /// The index of the tensor with this name.
    public func index(of name: String) -> Int? {
        tensors.firstIndex { $0.name == name }
    }

    /// The tensor with this name.
    public subscript(name: String) -> Tensor? {
        get { index(of: name).map { tensors[$0] } }
        set {
            guard let newValue else { return }
            if let index = index(of: name) { tensors[index] = newValue } else { tensors.append(newValue) }
        }
    }

    /// Total number of values.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.values.count } }
}
