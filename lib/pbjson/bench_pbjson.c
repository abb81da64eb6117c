/* bench_pbjson: times pbjson_encode_text() on a ListPortsResponse of 1,000
 * ports shaped like the ones lqnetd stores. Not a test: it prints figures.
 * ninja -C build bench_pbjson && ./build/lib/pbjson/bench_pbjson [ports] [rounds] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "limiquantix/network/v1/port.pb-c.h"
#include "pbjson.h"
#include "util.h"

static ProtobufCMessage *
make_ports(int n)
{
    size_t cap = 1024 * (size_t)n + 64, len = 0;
    char *text = xmalloc(cap);
    len += (size_t)snprintf(text + len, cap - len, "{\"ports\":[");
    for (int i = 0; i < n; i++) {
        len += (size_t)snprintf(
            text + len, cap - len,
            "%s{\"id\":\"5b7a3a52-3f0e-4f43-9d1e-%012x\",\"name\":\"vm-%d-eth0\","
            "\"networkId\":\"0c2b7f1d-9a10-4f43-9d1e-5b7a3a523f0e\","
            "\"projectId\":\"project-%d\",\"labels\":{\"env\":\"prod\",\"tier\":\"web-%d\"},"
            "\"spec\":{\"macAddress\":\"fa:16:3e:%02x:%02x:%02x\","
            "\"fixedIps\":[{\"subnetId\":\"0c2b7f1d-9a10-4f43-9d1e-5b7a3a523f0f\","
            "\"ipAddress\":\"10.%d.%d.%d\"}],\"portSecurityEnabled\":true,"
            "\"adminStateUp\":true},"
            "\"status\":{\"phase\":\"ACTIVE\",\"macAddress\":\"fa:16:3e:%02x:%02x:%02x\","
            "\"ipAddresses\":[\"10.%d.%d.%d\"],\"ovnPort\":\"lsp-5b7a3a52-%06x\","
            "\"hostId\":\"compute-%02d.example.org\"},"
            "\"createdAt\":\"2026-11-26T13:%02d:%02dZ\","
            "\"updatedAt\":\"2026-11-26T14:%02d:%02d.250Z\"}",
            i ? "," : "", i, i, i % 7, i % 3, i >> 16 & 255, i >> 8 & 255, i & 255, i >> 16 & 255,
            i >> 8 & 255, i & 255 ? i & 255 : 1, i >> 16 & 255, i >> 8 & 255, i & 255,
            i >> 16 & 255, i >> 8 & 255, i & 255 ? i & 255 : 1, i, i % 40, i % 60, i / 60 % 60,
            i % 60, i / 60 % 60);
    }
    snprintf(text + len, cap - len, "],\"totalCount\":%d}", n);
    struct lq_error *err = NULL;
    ProtobufCMessage *m = pbjson_decode_text(
        &limiquantix__network__v1__list_ports_response__descriptor, text, strlen(text), &err);
    if (!m) {
        fprintf(stderr, "bench_pbjson: %s\n", err->message);
        exit(1);
    }
    free(text);
    return m;
}

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char *argv[])
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    int rounds = argc > 2 ? atoi(argv[2]) : 200;
    ProtobufCMessage *m = make_ports(n);
    size_t bytes = 0;
    double best = 1e9, total = 0;
    for (int r = 0; r < rounds; r++) {
        double start = now_ms();
        char *text = pbjson_encode_text(m);
        double t = now_ms() - start;
        bytes = strlen(text);
        free(text);
        total += t;
        best = t < best ? t : best;
    }
    printf("pbjson_encode_text: %d ports, %zu bytes: mean %.3f ms, best %.3f ms (%d rounds)\n", n,
           bytes, total / rounds, best, rounds);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
