/*
 * EXI encode/decode ns/op and allocations/op of EVerest's libcbv2g for the messages `pnc bench exi` measures, with
 * the same content and the same method (thread CPU time, doubling batches up to a budget, best of three batches).
 * Built and run by dev/bench-exi-libcbv2g.sh against a fetched libcbv2g checkout; nothing of libcbv2g is kept here.
 *
 *   bench-exi-libcbv2g --hex            one line per message: name<TAB>hex of the encoded stream
 *   bench-exi-libcbv2g [milliseconds]   one line per message: name, bytes, encode ns/op, decode ns/op,
 *                                       encode allocations/op, decode allocations/op (tab-separated)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cbv2g/app_handshake/appHand_Decoder.h>
#include <cbv2g/app_handshake/appHand_Encoder.h>
#include <cbv2g/common/exi_bitstream.h>
#include <cbv2g/iso_2/iso2_msgDefDecoder.h>
#include <cbv2g/iso_2/iso2_msgDefEncoder.h>
#include <cbv2g/iso_20/iso20_DC_Decoder.h>
#include <cbv2g/iso_20/iso20_DC_Encoder.h>

/* Allocation counter: every malloc family call of this process goes through here (glibc's __libc_* do the work). */
extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
static __thread uint64_t allocations;
void* malloc(size_t size) { allocations++; return __libc_malloc(size); }
void* calloc(size_t count, size_t size) { allocations++; return __libc_calloc(count, size); }
void* realloc(void* pointer, size_t size) { allocations++; return __libc_realloc(pointer, size); }

static double thread_cpu_ns(void) {
    struct timespec spec;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec);
    return (double)spec.tv_sec * 1e9 + (double)spec.tv_nsec;
}

/* Same deterministic filler as EXIBench.samples(): byte i is i * 31 + seed. */
static void fill(uint8_t* out, uint16_t* length, size_t count, uint8_t seed) {
    for (size_t i = 0; i < count; i++) out[i] = (uint8_t)(i * 31 + seed);
    *length = (uint16_t)count;
}

static void text(char* out, uint16_t* length, const char* value) {
    size_t n = strlen(value);
    memcpy(out, value, n + 1);
    *length = (uint16_t)n;
}

static struct iso2_PhysicalValueType pv(int16_t value, iso2_unitSymbolType unit, int8_t multiplier) {
    struct iso2_PhysicalValueType v = {.Multiplier = multiplier, .Unit = unit, .Value = value};
    return v;
}

static struct iso20_dc_RationalNumberType rational(int8_t exponent, int16_t value) {
    struct iso20_dc_RationalNumberType v = {.Exponent = exponent, .Value = value};
    return v;
}

static const uint8_t session_id[8] = {0x27, 0x5D, 0xE6, 0x4D, 0x83, 0x4B, 0x5D, 0x1F};

static struct appHand_exiDocument sap;
static struct iso2_exiDocument session_setup_req, session_setup_res, current_demand_req, current_demand_res, cpd_res,
    certificate_installation_res;
static struct iso20_dc_exiDocument dc_charge_loop_req;

static struct iso2_exiDocument iso2_decoded;
static struct appHand_exiDocument sap_decoded;
static struct iso20_dc_exiDocument iso20_decoded;

static void iso2_header(struct iso2_exiDocument* doc) {
    memcpy(doc->V2G_Message.Header.SessionID.bytes, session_id, 8);
    doc->V2G_Message.Header.SessionID.bytesLen = 8;
}

static struct iso2_DC_EVSEStatusType evse_status(void) {
    struct iso2_DC_EVSEStatusType s;
    memset(&s, 0, sizeof s);
    s.NotificationMaxDelay = 0;
    s.EVSENotification = iso2_EVSENotificationType_None;
    s.EVSEIsolationStatus = iso2_isolationLevelType_Valid;
    s.EVSEIsolationStatus_isUsed = 1;
    s.EVSEStatusCode = iso2_DC_EVSEStatusCodeType_EVSE_Ready;
    return s;
}

static void chain(struct iso2_CertificateChainType* c, const char* id) {
    if (id) {
        text(c->Id.characters, &c->Id.charactersLen, id);
        c->Id_isUsed = 1;
    }
    fill(c->Certificate.bytes, &c->Certificate.bytesLen, 560, 1);
    c->SubCertificates_isUsed = 1;
    c->SubCertificates.Certificate.arrayLen = 2;
    fill(c->SubCertificates.Certificate.array[0].bytes, &c->SubCertificates.Certificate.array[0].bytesLen, 520, 2);
    fill(c->SubCertificates.Certificate.array[1].bytes, &c->SubCertificates.Certificate.array[1].bytesLen, 500, 3);
}

static void build(void) {
    /* SupportedAppProtocolReq */
    init_appHand_exiDocument(&sap);
    sap.supportedAppProtocolReq_isUsed = 1;
    struct appHand_supportedAppProtocolReq* req = &sap.supportedAppProtocolReq;
    req->AppProtocol.arrayLen = 2;
    const char* namespaces[2] = {"urn:din:70121:2012:MsgDef", "urn:iso:15118:2:2013:MsgDef"};
    for (int i = 0; i < 2; i++) {
        struct appHand_AppProtocolType* p = &req->AppProtocol.array[i];
        text(p->ProtocolNamespace.characters, &p->ProtocolNamespace.charactersLen, namespaces[i]);
        p->VersionNumberMajor = 2;
        p->VersionNumberMinor = 0;
        p->SchemaID = (uint8_t)(i + 1);
        p->Priority = (uint8_t)(i + 1);
    }

    /* SessionSetupReq */
    init_iso2_exiDocument(&session_setup_req);
    iso2_header(&session_setup_req);
    session_setup_req.V2G_Message.Body.SessionSetupReq_isUsed = 1;
    const uint8_t evcc_id[6] = {0x00, 0x7D, 0xFA, 0x07, 0x5E, 0x4A};
    memcpy(session_setup_req.V2G_Message.Body.SessionSetupReq.EVCCID.bytes, evcc_id, 6);
    session_setup_req.V2G_Message.Body.SessionSetupReq.EVCCID.bytesLen = 6;

    /* SessionSetupRes */
    init_iso2_exiDocument(&session_setup_res);
    iso2_header(&session_setup_res);
    session_setup_res.V2G_Message.Body.SessionSetupRes_isUsed = 1;
    struct iso2_SessionSetupResType* ssr = &session_setup_res.V2G_Message.Body.SessionSetupRes;
    ssr->ResponseCode = iso2_responseCodeType_OK_NewSessionEstablished;
    text(ssr->EVSEID.characters, &ssr->EVSEID.charactersLen, "DE*PNX*E12345*1");
    ssr->EVSETimeStamp = 1700000000;
    ssr->EVSETimeStamp_isUsed = 1;

    /* CurrentDemandReq */
    init_iso2_exiDocument(&current_demand_req);
    iso2_header(&current_demand_req);
    current_demand_req.V2G_Message.Body.CurrentDemandReq_isUsed = 1;
    struct iso2_CurrentDemandReqType* cdq = &current_demand_req.V2G_Message.Body.CurrentDemandReq;
    cdq->DC_EVStatus.EVReady = 1;
    cdq->DC_EVStatus.EVErrorCode = iso2_DC_EVErrorCodeType_NO_ERROR;
    cdq->DC_EVStatus.EVRESSSOC = 55;
    cdq->EVTargetCurrent = pv(100, iso2_unitSymbolType_A, 0);
    cdq->EVMaximumVoltageLimit = pv(450, iso2_unitSymbolType_V, 0);
    cdq->EVMaximumVoltageLimit_isUsed = 1;
    cdq->EVMaximumCurrentLimit = pv(200, iso2_unitSymbolType_A, 0);
    cdq->EVMaximumCurrentLimit_isUsed = 1;
    cdq->EVMaximumPowerLimit = pv(90, iso2_unitSymbolType_W, 3);
    cdq->EVMaximumPowerLimit_isUsed = 1;
    cdq->BulkChargingComplete = 0;
    cdq->BulkChargingComplete_isUsed = 1;
    cdq->ChargingComplete = 0;
    cdq->RemainingTimeToFullSoC = pv(1800, iso2_unitSymbolType_s, 0);
    cdq->RemainingTimeToFullSoC_isUsed = 1;
    cdq->RemainingTimeToBulkSoC = pv(1200, iso2_unitSymbolType_s, 0);
    cdq->RemainingTimeToBulkSoC_isUsed = 1;
    cdq->EVTargetVoltage = pv(400, iso2_unitSymbolType_V, 0);

    /* CurrentDemandRes */
    init_iso2_exiDocument(&current_demand_res);
    iso2_header(&current_demand_res);
    current_demand_res.V2G_Message.Body.CurrentDemandRes_isUsed = 1;
    struct iso2_CurrentDemandResType* cds = &current_demand_res.V2G_Message.Body.CurrentDemandRes;
    cds->ResponseCode = iso2_responseCodeType_OK;
    cds->DC_EVSEStatus = evse_status();
    cds->EVSEPresentVoltage = pv(398, iso2_unitSymbolType_V, 0);
    cds->EVSEPresentCurrent = pv(99, iso2_unitSymbolType_A, 0);
    cds->EVSECurrentLimitAchieved = 0;
    cds->EVSEVoltageLimitAchieved = 0;
    cds->EVSEPowerLimitAchieved = 0;
    cds->EVSEMaximumVoltageLimit = pv(500, iso2_unitSymbolType_V, 0);
    cds->EVSEMaximumVoltageLimit_isUsed = 1;
    cds->EVSEMaximumCurrentLimit = pv(200, iso2_unitSymbolType_A, 0);
    cds->EVSEMaximumCurrentLimit_isUsed = 1;
    cds->EVSEMaximumPowerLimit = pv(150, iso2_unitSymbolType_W, 3);
    cds->EVSEMaximumPowerLimit_isUsed = 1;
    text(cds->EVSEID.characters, &cds->EVSEID.charactersLen, "DE*PNX*E12345*1");
    cds->SAScheduleTupleID = 1;

    /* ChargeParameterDiscoveryRes with one SAScheduleTuple of 24 PMaxScheduleEntry */
    init_iso2_exiDocument(&cpd_res);
    iso2_header(&cpd_res);
    cpd_res.V2G_Message.Body.ChargeParameterDiscoveryRes_isUsed = 1;
    struct iso2_ChargeParameterDiscoveryResType* cpd = &cpd_res.V2G_Message.Body.ChargeParameterDiscoveryRes;
    cpd->ResponseCode = iso2_responseCodeType_OK;
    cpd->EVSEProcessing = iso2_EVSEProcessingType_Finished;
    cpd->SAScheduleList_isUsed = 1;
    cpd->SAScheduleList.SAScheduleTuple.arrayLen = 1;
    struct iso2_SAScheduleTupleType* tuple = &cpd->SAScheduleList.SAScheduleTuple.array[0];
    tuple->SAScheduleTupleID = 1;
    tuple->PMaxSchedule.PMaxScheduleEntry.arrayLen = 24;
    for (int hour = 0; hour < 24; hour++) {
        struct iso2_PMaxScheduleEntryType* e = &tuple->PMaxSchedule.PMaxScheduleEntry.array[hour];
        e->RelativeTimeInterval_isUsed = 1;
        e->RelativeTimeInterval.start = (uint32_t)(hour * 3600);
        if (hour == 23) {
            e->RelativeTimeInterval.duration = 3600;
            e->RelativeTimeInterval.duration_isUsed = 1;
        }
        e->PMax = pv((int16_t)(50 + hour), iso2_unitSymbolType_W, 3);
    }
    cpd->DC_EVSEChargeParameter_isUsed = 1;
    struct iso2_DC_EVSEChargeParameterType* dcp = &cpd->DC_EVSEChargeParameter;
    dcp->DC_EVSEStatus = evse_status();
    dcp->EVSEMaximumCurrentLimit = pv(200, iso2_unitSymbolType_A, 0);
    dcp->EVSEMaximumPowerLimit = pv(150, iso2_unitSymbolType_W, 3);
    dcp->EVSEMaximumVoltageLimit = pv(500, iso2_unitSymbolType_V, 0);
    dcp->EVSEMinimumCurrentLimit = pv(0, iso2_unitSymbolType_A, 0);
    dcp->EVSEMinimumVoltageLimit = pv(150, iso2_unitSymbolType_V, 0);
    dcp->EVSECurrentRegulationTolerance = pv(5, iso2_unitSymbolType_A, 0);
    dcp->EVSECurrentRegulationTolerance_isUsed = 1;
    dcp->EVSEPeakCurrentRipple = pv(2, iso2_unitSymbolType_A, 0);
    dcp->EVSEEnergyToBeDelivered = pv(50, iso2_unitSymbolType_Wh, 3);
    dcp->EVSEEnergyToBeDelivered_isUsed = 1;

    /* -20 DC_ChargeLoopReq */
    init_iso20_dc_exiDocument(&dc_charge_loop_req);
    dc_charge_loop_req.DC_ChargeLoopReq_isUsed = 1;
    struct iso20_dc_DC_ChargeLoopReqType* loop = &dc_charge_loop_req.DC_ChargeLoopReq;
    fill(loop->Header.SessionID.bytes, &loop->Header.SessionID.bytesLen, 8, 7);
    loop->Header.TimeStamp = 1700000000;
    loop->DisplayParameters_isUsed = 1;
    loop->DisplayParameters.PresentSOC = 55;
    loop->DisplayParameters.PresentSOC_isUsed = 1;
    loop->DisplayParameters.ChargingComplete = 0;
    loop->DisplayParameters.ChargingComplete_isUsed = 1;
    loop->MeterInfoRequested = 0;
    loop->EVPresentVoltage = rational(0, 398);
    loop->Scheduled_DC_CLReqControlMode_isUsed = 1;
    loop->Scheduled_DC_CLReqControlMode.EVTargetCurrent = rational(0, 100);
    loop->Scheduled_DC_CLReqControlMode.EVTargetVoltage = rational(0, 400);
    loop->Scheduled_DC_CLReqControlMode.EVMaximumChargePower = rational(3, 90);
    loop->Scheduled_DC_CLReqControlMode.EVMaximumChargePower_isUsed = 1;

    /* CertificateInstallationRes, signed header, three chains (about 4 KB) */
    init_iso2_exiDocument(&certificate_installation_res);
    struct iso2_MessageHeaderType* h = &certificate_installation_res.V2G_Message.Header;
    for (int i = 0; i < 8; i++) h->SessionID.bytes[i] = (uint8_t)(i + 1);
    h->SessionID.bytesLen = 8;
    h->Signature_isUsed = 1;
    struct iso2_SignedInfoType* si = &h->Signature.SignedInfo;
    text(si->CanonicalizationMethod.Algorithm.characters, &si->CanonicalizationMethod.Algorithm.charactersLen,
         "http://www.w3.org/TR/canonical-exi/");
    text(si->SignatureMethod.Algorithm.characters, &si->SignatureMethod.Algorithm.charactersLen,
         "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256");
    si->Reference.arrayLen = 4;
    const char* uris[4] = {"#id1", "#id2", "#id3", "#id4"};
    for (int i = 0; i < 4; i++) {
        struct iso2_ReferenceType* r = &si->Reference.array[i];
        text(r->URI.characters, &r->URI.charactersLen, uris[i]);
        r->URI_isUsed = 1;
        r->Transforms_isUsed = 1;
        text(r->Transforms.Transform.Algorithm.characters, &r->Transforms.Transform.Algorithm.charactersLen,
             "http://www.w3.org/TR/canonical-exi/");
        text(r->DigestMethod.Algorithm.characters, &r->DigestMethod.Algorithm.charactersLen,
             "http://www.w3.org/2001/04/xmlenc#sha256");
        fill(r->DigestValue.bytes, &r->DigestValue.bytesLen, 32, 9);
    }
    fill(h->Signature.SignatureValue.CONTENT.bytes, &h->Signature.SignatureValue.CONTENT.bytesLen, 64, 4);
    certificate_installation_res.V2G_Message.Body.CertificateInstallationRes_isUsed = 1;
    struct iso2_CertificateInstallationResType* cir = &certificate_installation_res.V2G_Message.Body.CertificateInstallationRes;
    cir->ResponseCode = iso2_responseCodeType_OK;
    chain(&cir->SAProvisioningCertificateChain, NULL);
    chain(&cir->ContractSignatureCertChain, "id1");
    text(cir->ContractSignatureEncryptedPrivateKey.Id.characters, &cir->ContractSignatureEncryptedPrivateKey.Id.charactersLen, "id2");
    fill(cir->ContractSignatureEncryptedPrivateKey.CONTENT.bytes, &cir->ContractSignatureEncryptedPrivateKey.CONTENT.bytesLen, 48, 5);
    text(cir->DHpublickey.Id.characters, &cir->DHpublickey.Id.charactersLen, "id3");
    cir->DHpublickey.CONTENT.bytes[0] = 4;
    fill(cir->DHpublickey.CONTENT.bytes + 1, &cir->DHpublickey.CONTENT.bytesLen, 64, 6);
    cir->DHpublickey.CONTENT.bytesLen = 65;
    text(cir->eMAID.Id.characters, &cir->eMAID.Id.charactersLen, "id4");
    text(cir->eMAID.CONTENT.characters, &cir->eMAID.CONTENT.charactersLen, "DE8AA0012345670");
}

enum kind { SAP, ISO2, ISO20DC };

struct sample {
    const char* name;
    enum kind kind;
    void* document;
};

static uint8_t buffer[16384];
static size_t encoded_length;

static int encode(const struct sample* s) {
    exi_bitstream_t stream;
    exi_bitstream_init(&stream, buffer, sizeof buffer, 0, NULL);
    int error;
    switch (s->kind) {
    case SAP: error = encode_appHand_exiDocument(&stream, s->document); break;
    case ISO2: error = encode_iso2_exiDocument(&stream, s->document); break;
    default: error = encode_iso20_dc_exiDocument(&stream, s->document); break;
    }
    encoded_length = exi_bitstream_get_length(&stream);
    return error;
}

static uint8_t input[16384];
static size_t input_length;

static int decode(const struct sample* s) {
    exi_bitstream_t stream;
    exi_bitstream_init(&stream, input, input_length, 0, NULL);
    switch (s->kind) {
    case SAP: return decode_appHand_exiDocument(&stream, &sap_decoded);
    case ISO2: return decode_iso2_exiDocument(&stream, &iso2_decoded);
    default: return decode_iso20_dc_exiDocument(&stream, &iso20_decoded);
    }
}

typedef int (*operation)(const struct sample*);

/* Doubling batches until one takes `budget` ns of CPU; then the best of three such batches, per call. */
static double measure(double budget, operation op, const struct sample* s) {
    long iterations = 1;
    for (;;) {
        double start = thread_cpu_ns();
        for (long i = 0; i < iterations; i++) op(s);
        double elapsed = thread_cpu_ns() - start;
        if (elapsed >= budget || iterations >= (1L << 26)) break;
        iterations *= 2;
    }
    double best = 1e300;
    for (int round = 0; round < 3; round++) {
        double start = thread_cpu_ns();
        for (long i = 0; i < iterations; i++) op(s);
        double per = (thread_cpu_ns() - start) / (double)iterations;
        if (per < best) best = per;
    }
    return best;
}

int main(int argc, char** argv) {
    int hex = argc > 1 && strcmp(argv[1], "--hex") == 0;
    double milliseconds = (!hex && argc > 1) ? atof(argv[1]) : 300;
    double budget = milliseconds * 1e6 / 4;
    build();
    const struct sample samples[] = {
        {"SupportedAppProtocolReq", SAP, &sap},
        {"SessionSetupReq", ISO2, &session_setup_req},
        {"SessionSetupRes", ISO2, &session_setup_res},
        {"CurrentDemandReq", ISO2, &current_demand_req},
        {"CurrentDemandRes", ISO2, &current_demand_res},
        {"ChargeParameterDiscoveryRes (SAScheduleList, 24 entries)", ISO2, &cpd_res},
        {"-20 DC_ChargeLoopReq", ISO20DC, &dc_charge_loop_req},
        {"CertificateInstallationRes (signed, 3 chains)", ISO2, &certificate_installation_res},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const struct sample* s = &samples[i];
        int error = encode(s);
        if (error != 0) {
            printf("%s\tERROR encode %d\n", s->name, error);
            failed = 1;
            continue;
        }
        memcpy(input, buffer, encoded_length);
        input_length = encoded_length;
        error = decode(s);
        if (error != 0) {
            printf("%s\tERROR decode %d\n", s->name, error);
            failed = 1;
            continue;
        }
        if (hex) {
            printf("%s\t", s->name);
            for (size_t b = 0; b < encoded_length; b++) printf("%02X", input[b]);
            printf("\n");
            continue;
        }
        double encode_ns = measure(budget, encode, s);
        double decode_ns = measure(budget, decode, s);
        uint64_t before = allocations;
        encode(s);
        uint64_t encode_allocations = allocations - before;
        before = allocations;
        decode(s);
        uint64_t decode_allocations = allocations - before;
        printf("%s\t%zu\t%.0f\t%.0f\t%llu\t%llu\n", s->name, input_length, encode_ns, decode_ns,
               (unsigned long long)encode_allocations, (unsigned long long)decode_allocations);
    }
    return failed;
}
