/// The next 57 bits of a stream at any bit offset, taken from one unaligned load (``EXIBitReader/window()``).
///
/// A generated decoder whose type's content is a fixed sequence of event codes and values of at most 57 bits (a
/// PhysicalValue, a RationalNumber, a status) reads it all from a window: no bounds check or octet load per value,
/// and no branch on the bit offset. Each read returns nil where the bits are not what the fast path accepts (a
/// non-zero event code, a value out of range, an integer of more than three octets); the decoder then reads the
/// content again one value at a time, which names the error or reads the longer integer. The caller keeps
/// ``used`` at or below ``capacity``.
@frozen
public struct EXIWindow {
    /// The bits, most significant first; those past ``capacity`` are not part of the stream's window.
    @usableFromInline let word: UInt64
    /// The number of bits taken so far.
    @usableFromInline var taken = 0
    /// The number of bits taken so far.
    @inlinable public var used: Int { self.taken }
    /// The number of bits a window holds at any bit offset (an octet of the word can be partly before it).
    public static let capacity = 57

    @inlinable @inline(__always)
    init(_ word: UInt64) { self.word = word }

    /// Takes the next `count` (1...57) bits as an unsigned integer.
    @inlinable @inline(__always)
    public mutating func take(_ count: Int) -> UInt64 {
        let value = (self.word &<< UInt64(self.taken)) &>> UInt64(64 &- count)
        self.taken &+= count
        return value
    }

    /// Takes `count` bits that must all be 0 (constant event codes, the CH and EE codes around simple content).
    @inlinable @inline(__always)
    public mutating func zeros(_ count: Int) -> Bool { self.take(count) == 0 }

    /// Takes one bit as a boolean (EXI 1.0 §7.1.2).
    @inlinable @inline(__always)
    public mutating func boolean() -> Bool { self.take(1) == 1 }

    /// Takes an n-bit integer of a bounded type (EXI 1.0 §7.1.9) as `T`, or nil when above `max`.
    @inlinable @inline(__always)
    public mutating func bounded<T: FixedWidthInteger>(bits: Int, min: Int64, max: Int64, as _: T.Type) -> T? {
        let value = min &+ Int64(bitPattern: self.take(bits))
        return value <= max ? T(truncatingIfNeeded: value) : nil
    }

    /// Takes an enumeration index of `bits` bits, or nil when it is not below `count` (EXI 1.0 §7.2).
    @inlinable @inline(__always)
    public mutating func index(bits: Int, count: Int) -> Int? {
        let index = Int(truncatingIfNeeded: self.take(bits))
        return index < count ? index : nil
    }

    /// Takes an EXI unsigned integer (EXI 1.0 §7.1.6) of one to three octets as `T`, or nil when it has more octets
    /// or lies outside `min...max`. At most 24 bits.
    @inlinable @inline(__always)
    public mutating func unsigned<T: FixedWidthInteger>(min: UInt64, max: UInt64, as _: T.Type) -> T? {
        guard let value = self.magnitude(), value >= min, value <= max else { return nil }
        return T(truncatingIfNeeded: value)
    }

    /// Takes an EXI integer (EXI 1.0 §7.1.5: a sign bit, then a magnitude of one to three octets) as `T`, or nil
    /// when the magnitude has more octets or the value lies outside `min...max`. At most 25 bits.
    @inlinable @inline(__always)
    public mutating func integer<T: FixedWidthInteger>(min: Int64, max: Int64, as _: T.Type) -> T? {
        let negative = self.take(1) == 1
        guard let magnitude = self.magnitude() else { return nil }
        let value = negative ? -Int64(magnitude) &- 1 : Int64(magnitude)
        guard value >= min, value <= max else { return nil }
        return T(truncatingIfNeeded: value)
    }

    /// The value of an unsigned integer of one to three 7-bit groups (up to 2,097,151: times of a day, limits),
    /// or nil when a fourth group follows.
    @inlinable @inline(__always)
    mutating func magnitude() -> UInt64? {
        let octets = (self.word &<< UInt64(self.taken)) &>> 40
        if octets & 0x80_0000 == 0 {
            self.taken &+= 8
            return octets &>> 16
        }
        let low = (octets &>> 16) & 0x7F | (octets &>> 1) & 0x3F80
        if octets & 0x8000 == 0 {
            self.taken &+= 16
            return low
        }
        guard octets & 0x80 == 0 else { return nil }
        self.taken &+= 24
        return low | (octets & 0x7F) &<< 14
    }
}
