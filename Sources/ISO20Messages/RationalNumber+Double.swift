extension RationalNumber {
    /// The rational number closest to `value` with a 16-bit mantissa and the smallest exponent in -3...3 that fits
    /// (ISO 15118-20 RationalNumberType = value × 10^exponent).
    public init(_ value: Double) {
        let finite = value.isFinite ? value : 0
        for exponent in -3...3 {
            let mantissa = (finite / Self.scale(exponent)).rounded()
            if abs(mantissa) <= Double(Int16.max) {
                self.init(exponent: Int8(exponent), value: Int16(mantissa))
                return
            }
        }
        self.init(exponent: 3, value: finite < 0 ? -Int16.max : Int16.max)
    }

    /// `value × 10^exponent`.
    public var doubleValue: Double { Double(self.value) * Self.scale(Int(self.exponent)) }

    private static func scale(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<min(abs(exponent), 128) { result *= 10 }
        return exponent < 0 ? 1 / result : result
    }
}
