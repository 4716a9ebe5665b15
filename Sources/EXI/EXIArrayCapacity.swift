/// The capacity a generated decoder reserves for a repeated element before its first item.
public enum EXIArrayCapacity {
    /// As many items of `T` as fit in 512 bytes, at least 8, and never more than the schema's `maxOccurs`: a schedule
    /// of 24 entries of 16 bytes is read into one allocation, and a list of a few large items (references of a
    /// signature, certificates) reserves no more than 8. Past it, the array grows as any array does.
    @inlinable @inline(__always)
    public static func first<T>(of _: T.Type, maxOccurs: Int) -> Int {
        Swift.min(maxOccurs, Swift.max(8, 512 / Swift.max(1, MemoryLayout<T>.stride)))
    }
}
