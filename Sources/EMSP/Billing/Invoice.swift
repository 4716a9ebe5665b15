/// An invoice for one charging session.
public struct Invoice: Hashable, Sendable, Codable {
    /// `<prefix>-<year>-<sequence, 6 digits>`, e.g. `OPNC-2026-000042`.
    public var number: String
    public var cdr: ChargeDetailRecord
    /// Seconds since 1970-01-01 UTC.
    public var issuedAt: Int64
    public var issuer: String

    public init(number: String, cdr: ChargeDetailRecord, issuedAt: Int64, issuer: String) {
        self.number = number
        self.cdr = cdr
        self.issuedAt = issuedAt
        self.issuer = issuer
    }

    /// The invoice number for a sequence value.
    public static func number(prefix: String, year: Int, sequence: Int64) -> String {
        let digits = String(sequence)
        return "\(prefix)-\(year)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// A file name safe on every file system (letters, digits, `-`, `_`; anything else as `_`).
    public static func safeFileComponent(_ text: String) -> String {
        String(
            text.unicodeScalars.map { scalar -> Character in
                let ok = ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                    || scalar == "-" || scalar == "_"
                return ok ? Character(scalar) : "_"
            })
    }

    /// The relative path of the invoice in a driver's outbox: `<eMAID>/<invoice-number>.html`.
    public var outboxPath: String { Self.safeFileComponent(cdr.session.eMAID) + "/" + Self.safeFileComponent(number) + ".html" }

    /// The invoice as a self-contained HTML document (all values escaped).
    public func html() -> String {
        let session = cdr.session
        func row(_ cells: [String], header: Bool = false) -> String {
            let tag = header ? "th" : "td"
            return "<tr>" + cells.map { "<\(tag)>\(escape($0))</\(tag)>" }.joined() + "</tr>"
        }
        let minutes = session.durationSeconds / 60
        var lines = [
            "<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
            "<title>Invoice \(escape(number))</title>",
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em;text-align:left}</style>",
            "</head><body>",
            "<h1>Invoice \(escape(number))</h1>",
            "<p>\(escape(issuer)) · issued \(escape(Self.isoDate(issuedAt)))</p>",
            "<table>",
            row(["Contract (eMAID)", session.eMAID]),
            row(["Charging station", session.stationID]),
            row(["EVSE", String(session.evseID)]),
            row(["Transaction", session.transactionID]),
            row(["Start", Self.isoDate(session.start)]),
            row(["End", Self.isoDate(session.stop)]),
            row(["Duration", "\(minutes / 60) h \(minutes % 60) min"]),
            row(["Energy", cdr.totalEnergyKWh + " kWh"]),
            "</table>", "<h2>Price lines</h2>", "<table>",
            row(["Item", "Quantity", "Unit price", "Amount"], header: true),
        ]
        for line in cdr.lines {
            lines.append(
                row([
                    line.description, line.quantity, Pricing.fixed(line.unitPriceMicros, decimals: 6) + " " + cdr.currency,
                    line.amount.description,
                ]))
        }
        let rate = Pricing.fixed(cdr.vatRateBasisPoints, decimals: 2)
        lines += [
            row(["Total excl. VAT", "", "", cdr.totalExclVAT.description]),
            row(["VAT \(rate) %", "", "", cdr.vat.description]),
            row(["Total incl. VAT", "", "", cdr.totalInclVAT.description]),
            "</table>", "<p>CDR \(escape(cdr.id)), tariff \(escape(cdr.tariffID))</p>", "</body></html>", "",
        ]
        return lines.joined(separator: "\n")
    }

    func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` from seconds since 1970 (proleptic Gregorian, UTC; no clock read).
    public static func isoDate(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil from days (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60))Z"
    }

    /// The calendar year of `seconds`.
    public static func year(_ seconds: Int64) -> Int { Int(isoDate(seconds).prefix(4)) ?? 1970 }
}
