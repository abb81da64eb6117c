/* libFuzzer harness for pbjson: any input must decode or fail cleanly, and
 * whatever decodes must re-encode to JSON that decodes to the same JSON,
 * also after a trip through the binary format. Built only with clang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "limiquantix/network/v1/network.pb-c.h"
#include "pbjson.h"
#include "pbjson_test.pb-c.h"

static void
check(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t size)
{
    struct lq_error *err = NULL;
    ProtobufCMessage *m = pbjson_decode_text(d, (const char *)data, size, &err);
    if (!m) {
        if (!err || err->code != LQ_INVALID_ARGUMENT) {
            abort();
        }
        lq_error_free(err);
        return;
    }
    char *text = pbjson_encode_text(m);
    ProtobufCMessage *again = pbjson_decode_text(d, text, strlen(text), NULL);
    ProtobufCMessage *copy = pbjson_clone(m);
    if (!again) {
        abort();
    }
    char *text2 = pbjson_encode_text(again);
    char *text3 = pbjson_encode_text(copy);
    if (strcmp(text, text2) || strcmp(text, text3)) {
        abort();
    }
    free(text);
    free(text2);
    free(text3);
    protobuf_c_message_free_unpacked(again, NULL);
    protobuf_c_message_free_unpacked(copy, NULL);
    protobuf_c_message_free_unpacked(m, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(&limiquantix__network__v1__virtual_network__descriptor, data, size);
    check(&pbjson__test__kitchen__descriptor, data, size);
    return 0;
}
