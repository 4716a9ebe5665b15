import SQLiteKit

/// A bind value for an optional column. The SQLite bind encoder takes a `SQLiteDataConvertible` value as it is and
/// sends anything else, an Optional among them, through a generic `Encoder`, which costs more per bind than the
/// statement's execution; on SQLite an optional is therefore bound as this wrapper, on PostgreSQL as the optional.
struct SQLValue: Encodable, Sendable, SQLiteDataConvertible {
    let data: SQLiteData

    init(sqliteData: SQLiteData) { self.data = sqliteData }

    var sqliteData: SQLiteData? { data }

    func encode(to encoder: any Encoder) throws { try data.encode(to: encoder) }

    static func of(_ value: String?, _ dialect: SQLDialectKind) -> any Encodable & Sendable {
        guard dialect == .sqlite else { return value }
        return SQLValue(sqliteData: value.map { .text($0) } ?? .null)
    }

    static func of(_ value: Int?, _ dialect: SQLDialectKind) -> any Encodable & Sendable {
        guard dialect == .sqlite else { return value }
        return SQLValue(sqliteData: value.map { .integer($0) } ?? .null)
    }
}
