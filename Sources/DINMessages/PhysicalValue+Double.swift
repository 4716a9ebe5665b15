extension PhysicalValue {
    /// A physical value closest to `value` whose mantissa fits the schema's `short` and whose multiplier stays in the
    /// schema's range -3...3 (DIN SPEC 70121 PhysicalValueType): the finest multiplier that fits is chosen. Values
    /// beyond 32767 × 10³ are clamped; NaN becomes 0.
    public init(_ value: Double, unit: UnitSymbol?) {
        let finite = value.isFinite ? value : 0
        for multiplier in -3...3 {
            let mantissa = (finite / Self.scale(multiplier)).rounded()
            if abs(mantissa) <= Double(Int16.max) {
                self.init(multiplier: Int8(multiplier), unit: unit, value: Int16(mantissa))
                return
            }
        }
        self.init(multiplier: 3, unit: unit, value: finite < 0 ? -Int16.max : Int16.max)
    }

    /// The value as a `Double` (`value × 10^multiplier`).
    public var doubleValue: Double { Double(self.value) * Self.scale(Int(self.multiplier)) }

    private static func scale(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<abs(exponent) { result *= 10 }
        return exponent < 0 ? 1 / result : result
    }
}
