import Foundation

// Generates the EXI codecs of ISO 15118 (SupportedAppProtocol, DIN SPEC 70121, ISO 15118-2,
// ISO 15118-20, xmldsig) from their XML schemas. Usage: exi-codegen <schema-root> <Sources-dir>

let dsig = "http://www.w3.org/2000/09/xmldsig#"
let iso2Root = "iso15118_2/V2G_CI_MsgDef.xsd"
let iso20 = "urn:iso:std:iso:15118:-20:"
let moduleSpecs: [ModuleSpec] = [
    ModuleSpec(
        name: "XMLDSig", namespaces: [dsig], imports: ["EXI"], documents: [],
        fragments: [
            (
                "XMLDSigFragment", "xmldsig-core-schema.xsd", ["SignedInfo"],
                "Fragments of the standalone xmldsig grammar: the SignedInfo whose EXI is signed (ISO 15118-2 §7.9.2.4.2)."
            )
        ], typeRoots: ["xmldsig-core-schema.xsd"]),
    ModuleSpec(
        name: "SAPMessages", namespaces: ["urn:iso:15118:2:2010:AppProtocol"], imports: ["EXI"],
        documents: [("SAPDocument", "V2G_CI_AppProtocol.xsd", "A SupportedAppProtocol message (ISO 15118-2 §8.2, V2GTP payload 0x8001).")],
        fragments: [], typeRoots: ["V2G_CI_AppProtocol.xsd"]),
    ModuleSpec(
        name: "DINMessages",
        namespaces: ["urn:din:70121:2012:MsgDef", "urn:din:70121:2012:MsgHeader", "urn:din:70121:2012:MsgBody", "urn:din:70121:2012:MsgDataTypes"],
        imports: ["EXI", "XMLDSig"],
        documents: [("DINDocument", "din_spec/V2G_CI_MsgDef.xsd", "A DIN SPEC 70121 document (V2GTP payload 0x8001).")],
        fragments: [], typeRoots: ["din_spec/V2G_CI_MsgDef.xsd"]),
    ModuleSpec(
        name: "ISO2Messages",
        namespaces: ["urn:iso:15118:2:2013:MsgDef", "urn:iso:15118:2:2013:MsgHeader", "urn:iso:15118:2:2013:MsgBody", "urn:iso:15118:2:2013:MsgDataTypes"],
        imports: ["EXI", "XMLDSig"],
        documents: [("ISO2Document", iso2Root, "An ISO 15118-2 document (V2GTP payload 0x8001).")],
        fragments: [
            (
                "ISO2Fragment", iso2Root,
                [
                    "AuthorizationReq", "CertificateInstallationReq", "CertificateUpdateReq", "ContractSignatureCertChain",
                    "ContractSignatureEncryptedPrivateKey", "DHpublickey", "eMAID", "MeteringReceiptReq", "SalesTariff",
                    "SignedInfo",
                ],
                "The signed elements of ISO 15118-2 as EXI fragments, the input of their digests (ISO 15118-2 §7.9.2.4)."
            )
        ], typeRoots: [iso2Root]),
    ModuleSpec(
        name: "ISO20Messages",
        namespaces: ["CommonMessages", "CommonTypes", "AC", "DC", "WPT", "ACDP"].map { iso20 + $0 },
        imports: ["EXI", "XMLDSig"],
        documents: [
            ("ISO20CommonMessagesDocument", "iso15118_20/V2G_CI_CommonMessages.xsd", "An ISO 15118-20 common message (V2GTP payload 0x8002)."),
            ("ISO20ACDocument", "iso15118_20/V2G_CI_AC.xsd", "An ISO 15118-20 AC message (V2GTP payload 0x8003)."),
            ("ISO20DCDocument", "iso15118_20/V2G_CI_DC.xsd", "An ISO 15118-20 DC message (V2GTP payload 0x8004)."),
            ("ISO20ACDPDocument", "iso15118_20/V2G_CI_ACDP.xsd", "An ISO 15118-20 ACDP message (V2GTP payload 0x8005)."),
            ("ISO20WPTDocument", "iso15118_20/V2G_CI_WPT.xsd", "An ISO 15118-20 WPT message (V2GTP payload 0x8006)."),
        ],
        fragments: [
            (
                "ISO20Fragment", "iso15118_20/V2G_CI_CommonMessages.xsd",
                [
                    "PnC_AReqAuthorizationMode", "OEMProvisioningCertificateChain", "SignedInstallationData",
                    "SignedMeteringData", "AbsolutePriceSchedule", "PriceLevelSchedule", "SignedInfo",
                ],
                "The signed elements of ISO 15118-20 as EXI fragments of the CommonMessages schema."
            )
        ],
        typeRoots: ["CommonMessages", "AC", "DC", "ACDP", "WPT"].map { "iso15118_20/V2G_CI_\($0).xsd" }),
]

/// String-typed simple types whose usual values the module keeps in one `EXIKnownStrings` table: the decoder of
/// an element of such a type (or of a type derived from it) returns the table's string for a value it holds instead
/// of allocating a new one. Keyed by the type's qualified name; the value is the Swift expression of the table, in
/// the module that owns the type.
let knownStringTables: [String: String] = [
    "{urn:iso:15118:2:2010:AppProtocol}protocolNamespaceType": "KnownProtocolNamespaces.table"
]

/// String-typed attributes of built-in type with such a table, keyed by the qualified name of the complex type that
/// declares them and the attribute's name: the xmldsig `Algorithm` attributes, whose values are a handful of URIs.
let knownAttributeStringTables: [String: String] = [
    "{http://www.w3.org/2000/09/xmldsig#}CanonicalizationMethodType@Algorithm": "KnownAlgorithms.table",
    "{http://www.w3.org/2000/09/xmldsig#}SignatureMethodType@Algorithm": "KnownAlgorithms.table",
    "{http://www.w3.org/2000/09/xmldsig#}TransformType@Algorithm": "KnownAlgorithms.table",
    "{http://www.w3.org/2000/09/xmldsig#}DigestMethodType@Algorithm": "KnownAlgorithms.table",
]

/// Generates the codecs of every module from the schemas in `schemaRoot` into `outputRoot/<Module>/Generated/`.
/// The output depends only on the schema files: the same schemas always give the same bytes.
public func generateEXICodecs(schemaRoot rawSchemaRoot: String, outputRoot rawOutputRoot: String) throws {
    let schemaRoot = URL(fileURLWithPath: rawSchemaRoot).standardizedFileURL.path
    let outputRoot = URL(fileURLWithPath: rawOutputRoot).standardizedFileURL.path
    let specs = moduleSpecs
    let generator = Generator(schemaRoot: schemaRoot, specs: specs)
    try generator.assignNames()
    for spec in specs {
        var files: [String: (schemas: [String], lines: Lines)] = [:]
        var allSchemaFiles: [String] = []
        var seen: Set<String> = []
        var enumLines = Lines()
        var enumsDone: Set<String> = []
        var groupsDone: Set<String> = []
        var rootLines = Lines()
        for root in spec.typeRoots {
            let s = try generator.set(root)
            for f in s.files where !allSchemaFiles.contains(f) { allSchemaFiles.append(f) }
            var items: [(String, ComplexTypeDef)] = []
            for (q, def) in s.complexTypes where spec.namespaces.contains(q.ns) { items.append(("c:\(q)", def)) }
            for (q, e) in s.globalElements where spec.namespaces.contains(q.ns) {
                if let def = e.anonymousComplex { items.append(("a:\(q)", def)) }
            }
            for (key, def) in items.sorted(by: { $0.0 < $1.0 }) where seen.insert(key).inserted {
                let model = try generator.buildStruct(key: key, def: def, in: s)
                let base = URL(fileURLWithPath: def.schemaFile).deletingPathExtension().lastPathComponent
                var entry = files[base] ?? ([def.schemaFile], Lines())
                generator.emitStruct(model, &entry.lines)
                entry.lines("")
                files[base] = entry
            }
            for (q, t) in s.simpleTypes.sorted(by: { $0.key < $1.key })
            where spec.namespaces.contains(q.ns) && !t.enumeration.isEmpty && enumsDone.insert("\(q)").inserted {
                generator.emitEnum(name: generator.names["e:\(q)"]!, def: t, &enumLines)
                enumLines("")
            }
            for (q, e) in s.globalElements.sorted(by: { $0.key < $1.key })
            where spec.namespaces.contains(q.ns) && s.substitutionSet(e).count > 1
                && groupsDone.insert(generator.groupKey(e, in: s)).inserted
            {
                try generator.emitGroupEnum(name: generator.names[generator.groupKey(e, in: s)]!, head: e, in: s, &rootLines)
                rootLines("")
            }
        }
        for d in spec.documents {
            try generator.emitDocument(name: d.swiftName, root: d.root, doc: d.doc, &rootLines)
            rootLines("")
        }
        for f in spec.fragments {
            try generator.emitFragment(name: f.swiftName, root: f.root, elements: f.elements, doc: f.doc, &rootLines)
            rootLines("")
        }
        let directory = outputRoot + "/\(spec.name)/Generated"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func header(_ schemas: [String]) throws -> String {
            var h = ""
            for f in schemas {
                let relative = f.hasPrefix(schemaRoot + "/") ? String(f.dropFirst(schemaRoot.count + 1)) : f
                h += "// DO NOT EDIT. Generated by exi-codegen from \(relative) (sha256 \(try sha256Hex(f)))\n"
            }
            h += "// swift-format-ignore-file\n\n"
            for i in spec.imports { h += "import \(i)\n" }
            return h + "\n"
        }
        for (base, entry) in files.sorted(by: { $0.key < $1.key }) {
            try (try header(entry.schemas) + entry.lines.text).write(
                toFile: directory + "/\(base).swift", atomically: true, encoding: .utf8)
        }
        if !enumLines.text.isEmpty {
            try (try header(allSchemaFiles) + enumLines.text).write(
                toFile: directory + "/\(spec.name)+Enumerations.swift", atomically: true, encoding: .utf8)
        }
        if !rootLines.text.isEmpty {
            try (try header(allSchemaFiles) + rootLines.text).write(
                toFile: directory + "/\(spec.name)+Roots.swift", atomically: true, encoding: .utf8)
        }
    }
}
