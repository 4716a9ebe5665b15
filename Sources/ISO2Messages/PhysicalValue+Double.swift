/// Conversions between ISO 15118-2 PhysicalValue (value × 10^multiplier) and Double, for the SECC and EVCC.
extension PhysicalValue {
    /// A PhysicalValue for `value` with the smallest multiplier (0 … 3) that keeps it within Int16; values beyond
    /// 32767 × 10³ saturate.
    public static func of(_ value: Double, _ unit: UnitSymbol) -> PhysicalValue {
        guard value.isFinite else { return PhysicalValue(multiplier: 0, unit: unit, value: 0) }
        for multiplier in 0...3 {
            var scale = 1.0
            for _ in 0..<multiplier { scale *= 10 }
            let scaled = (value / scale).rounded()
            if abs(scaled) <= Double(Int16.max) {
                return PhysicalValue(multiplier: Int8(multiplier), unit: unit, value: Int16(scaled))
            }
        }
        return PhysicalValue(multiplier: 3, unit: unit, value: value < 0 ? Int16.min : Int16.max)
    }

    /// The value as a Double (value × 10^multiplier).
    public var doubleValue: Double {
        var result = Double(self.value)
        if self.multiplier >= 0 {
            for _ in 0..<Int(self.multiplier) { result *= 10 }
        } else {
            for _ in 0..<Int(-self.multiplier) { result /= 10 }
        }
        return result
    }
}
