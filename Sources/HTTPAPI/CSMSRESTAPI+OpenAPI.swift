extension CSMSRESTAPI {
    /// The OpenAPI 3.1 description of the REST API, served at `/api/v1/openapi.json`.
    public static let openAPIDocument = #"""
        {"openapi":"3.1.0","info":{"title":"OpenPnC CSMS API","version":"1"},
        "paths":{
        "/api/v1/stations":{"get":{"summary":"List stations","parameters":[{"$ref":"#/components/parameters/limit"},{"$ref":"#/components/parameters/offset"}],
          "responses":{"200":{"description":"Stations","content":{"application/json":{"schema":{"type":"array","items":{"$ref":"#/components/schemas/Station"}}}}}}}},
        "/api/v1/stations/{id}":{"get":{"summary":"A station with its connectors","parameters":[{"$ref":"#/components/parameters/id"}],
          "responses":{"200":{"description":"Station","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Station"}}}},"404":{"$ref":"#/components/responses/Problem"}}}},
        "/api/v1/transactions":{"get":{"summary":"List transactions","parameters":[{"name":"station","in":"query","schema":{"type":"string"}},{"$ref":"#/components/parameters/limit"},{"$ref":"#/components/parameters/offset"}],
          "responses":{"200":{"description":"Transactions","content":{"application/json":{"schema":{"type":"array","items":{"$ref":"#/components/schemas/Transaction"}}}}}}}},
        "/api/v1/stations/{id}/transactions/{transaction}/meter-values":{"get":{"summary":"Meter values of a transaction","parameters":[{"$ref":"#/components/parameters/id"},{"name":"transaction","in":"path","required":true,"schema":{"type":"string"}},{"$ref":"#/components/parameters/limit"}],
          "responses":{"200":{"description":"Samples","content":{"application/json":{"schema":{"type":"array","items":{"$ref":"#/components/schemas/MeterValue"}}}}}}}},
        "/api/v1/stations/{id}/variables":{"get":{"summary":"The variables the station reported in its answers to SetVariables and GetVariables (OCPP 2.0.1 B05/B06): the last known value and status of each attribute","parameters":[{"$ref":"#/components/parameters/id"},{"$ref":"#/components/parameters/limit"},{"$ref":"#/components/parameters/offset"}],
          "responses":{"200":{"description":"Variables","content":{"application/json":{"schema":{"type":"array","items":{"$ref":"#/components/schemas/Variable"}}}}}}}},
        "/api/v1/stations/{id}/plug-and-charge":{"get":{"summary":"Whether Plug & Charge (PnC Authorize, Get15118EVCertificate) is on for the station","parameters":[{"$ref":"#/components/parameters/id"}],
          "responses":{"200":{"description":"Switch","content":{"application/json":{"schema":{"$ref":"#/components/schemas/PlugAndChargeSwitch"}}}}}},
          "put":{"summary":"Switch Plug & Charge on or off for the station; when off, PnC requests are refused with reason PnCDisabled","parameters":[{"$ref":"#/components/parameters/id"}],
          "requestBody":{"required":true,"content":{"application/json":{"schema":{"type":"object","required":["enabled"],"properties":{"enabled":{"type":"boolean"}}}}}},
          "responses":{"200":{"description":"Switch","content":{"application/json":{"schema":{"$ref":"#/components/schemas/PlugAndChargeSwitch"}}}},"400":{"$ref":"#/components/responses/Problem"}}}},
        "/api/v1/stations/{id}/commands/{action}":{"post":{"summary":"Send a CSMS-initiated OCPP CALL (RequestStartTransaction, RequestStopTransaction, Reset, ChangeAvailability, TriggerMessage, InstallCertificate, DeleteCertificate, GetInstalledCertificateIds, SetVariables, GetVariables, or their 1.6 counterparts); the body is the OCPP request payload, validated against the station's version","parameters":[{"$ref":"#/components/parameters/id"},{"name":"action","in":"path","required":true,"schema":{"type":"string"}}],
          "requestBody":{"required":true,"content":{"application/json":{"schema":{"type":"object"}}}},
          "responses":{"200":{"description":"The station's CALLRESULT payload","content":{"application/json":{"schema":{"type":"object"}}}},"400":{"$ref":"#/components/responses/Problem"},"409":{"$ref":"#/components/responses/Problem"},"502":{"$ref":"#/components/responses/Problem"},"504":{"$ref":"#/components/responses/Problem"}}}},
        "/api/v1/openapi.json":{"get":{"summary":"This document","responses":{"200":{"description":"OpenAPI document"}}}}},
        "components":{
        "parameters":{"id":{"name":"id","in":"path","required":true,"schema":{"type":"string"}},
          "limit":{"name":"limit","in":"query","schema":{"type":"integer","minimum":1,"maximum":1000,"default":100}},
          "offset":{"name":"offset","in":"query","schema":{"type":"integer","minimum":0,"default":0}}},
        "responses":{"Problem":{"description":"RFC 9457 problem","content":{"application/problem+json":{"schema":{"type":"object","properties":{"status":{"type":"integer"},"title":{"type":"string"},"detail":{"type":"string"}}}}}}},
        "schemas":{
        "Variable":{"type":"object","required":["component","variable","attributeType","attributeStatus","source","reportedAt"],"properties":{"component":{"type":"string"},"componentInstance":{"type":"string"},"evseId":{"type":"integer"},"connectorId":{"type":"integer"},"variable":{"type":"string"},"variableInstance":{"type":"string"},"attributeType":{"type":"string","enum":["Actual","Target","MinSet","MaxSet"]},"value":{"type":"string","description":"The last value known to be set (reported by GetVariables, or written by an accepted SetVariables)"},"attributeStatus":{"type":"string","description":"SetVariableStatusEnum or GetVariableStatusEnum of the last report"},"source":{"type":"string","enum":["SetVariables","GetVariables"]},"reportedAt":{"type":"string","format":"date-time"}}},
        "PlugAndChargeSwitch":{"type":"object","required":["stationId","enabled"],"properties":{"stationId":{"type":"string"},"enabled":{"type":"boolean"}}},
        "Station":{"type":"object","required":["id","protocol","vendor","model","registration","connected"],"properties":{"id":{"type":"string"},"protocol":{"type":"string"},"vendor":{"type":"string"},"model":{"type":"string"},"registration":{"type":"string","enum":["Accepted","Pending","Rejected"]},"connected":{"type":"boolean"},"serialNumber":{"type":"string"},"firmwareVersion":{"type":"string"},"lastSeenAt":{"type":"string","format":"date-time"},"connectors":{"type":"array","items":{"type":"object","properties":{"evseId":{"type":"integer"},"connectorId":{"type":"integer"},"status":{"type":"string"},"timestamp":{"type":"string","format":"date-time"}}}}}},
        "Transaction":{"type":"object","required":["stationId","transactionId","lastSeqNo","eventCount"],"properties":{"stationId":{"type":"string"},"transactionId":{"type":"string"},"lastSeqNo":{"type":"integer"},"eventCount":{"type":"integer"},"idToken":{"type":"string"},"evseId":{"type":"integer"},"startedAt":{"type":"string","format":"date-time"},"endedAt":{"type":"string","format":"date-time"},"stoppedReason":{"type":"string"}}},
        "MeterValue":{"type":"object","required":["timestamp","measurand","value"],"properties":{"timestamp":{"type":"string","format":"date-time"},"measurand":{"type":"string"},"value":{"type":"number"},"unit":{"type":"string"},"context":{"type":"string"}}}}}}
        """#
}
