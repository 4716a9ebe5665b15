/// An empty value every generated message type stores, so that its implicit memberwise initializer has a name of its
/// own (`init(<fields>..., _exiMemberwise:)`) beside the public initializer with the fields' names, and stays
/// available. The decoders construct values with it: with the public initializer, written out, the optimizer copies
/// (retains and releases) every field of a struct with optional fields over six words long before returning it.
/// It takes no memory, and all values are equal.
public struct EXIMemberwise: Sendable, Hashable {
    public init() {}
}
