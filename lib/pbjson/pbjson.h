/* pbjson: the one proto3 JSON <-> protobuf-c codec. It walks protobuf-c
 * descriptors, so no message has hand-written JSON code.
 *
 * JSON mapping (https://protobuf.dev/programming-guides/proto3/#json):
 * - Output names are lowerCamelCase; input accepts lowerCamelCase and the
 *   original snake_case. Unknown input fields are errors.
 * - Enums: names on output; names or numbers (of defined values) on input.
 * - int64/uint64/fixed64: strings on output; strings or numbers on input.
 *   Other integers: numbers on output; numbers or strings on input.
 * - float/double: numbers, or "NaN", "Infinity", "-Infinity".
 * - bytes: base64 (standard on output; standard or URL-safe, padded or not,
 *   on input).
 * - Maps are JSON objects (protobuf-c stores them as repeated entries).
 * - Default values of plain proto3 fields are omitted on output. A oneof
 *   member or an optional field is output whenever it is set, even if zero.
 *   A JSON null for a field means the default.
 * - google.protobuf.Timestamp: RFC 3339 ("2026-11-26T13:28:42Z", fractional
 *   seconds with 3, 6 or 9 digits when nonzero; input may use any offset).
 *   google.protobuf.FieldMask: one comma-separated string of lowerCamelCase
 *   paths on output; input paths may be lowerCamelCase or snake_case and are
 *   stored in snake_case, protobuf's own (and binary) form.
 *   google.protobuf.Empty: {}.
 *
 * proto3 'optional' fields: protoc-c 1.4 cannot compile them, so the build
 * turns 'optional T x = N;' into 'oneof has_x { T x = N; }' (see
 * proto/gen-protobuf-c.py). In C a field is present when 'msg->has_x_case' is
 * nonzero; set it to the generated ..._HAS_X_X constant when filling a value.
 *
 * Errors are 'struct lq_error' with code LQ_INVALID_ARGUMENT, 'field' the
 * lowerCamelCase path of the offending field ("spec.ipConfig.ipv4Subnet",
 * "spec.ipConfig.allocationPools[1].start", "labels.env") and 'message'
 * "<path>: <what is wrong>". */
#ifndef LQ_PBJSON_H
#define LQ_PBJSON_H 1

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "error.h"

/* Decodes 'json' (which must be an object) into a new message of type 'd'.
 * Returns NULL and sets '*err' on failure (on success '*err' is set to NULL;
 * 'err' may be NULL). The message is allocated as protobuf-c's unpacker
 * does: caller frees it with protobuf_c_message_free_unpacked(m, NULL). */
ProtobufCMessage *pbjson_decode(const ProtobufCMessageDescriptor *d, const json_t *json,
                                struct lq_error **err);

/* Like pbjson_decode(), from 'len' bytes of JSON text. Text that is not
 * valid JSON (including empty or truncated text) is LQ_INVALID_ARGUMENT. */
ProtobufCMessage *pbjson_decode_text(const ProtobufCMessageDescriptor *d, const char *text,
                                     size_t len, struct lq_error **err);

/* Returns 'm' as a JSON value: an object, or a string for a Timestamp or
 * FieldMask. It is pbjson_encode_text()'s text parsed again, so prefer that
 * when text is what is wanted. Caller releases it with json_decref(). */
json_t *pbjson_encode(const ProtobufCMessage *m);

/* Returns 'm' as compact JSON text, byte for byte what jansson's
 * json_dumps(JSON_COMPACT) gives for pbjson_encode(m). Caller frees it with
 * free(). */
char *pbjson_encode_text(const ProtobufCMessage *m);

/* Returns a deep copy of 'm' (NULL for NULL). Caller frees it with
 * protobuf_c_message_free_unpacked(copy, NULL). */
ProtobufCMessage *pbjson_clone(const ProtobufCMessage *m);

/* Applies FieldMask update semantics: for each path of 'field_mask' (a
 * Google__Protobuf__FieldMask, or NULL for none) copies that field from 'src'
 * into 'dst'. Paths are dotted field names through singular submessages;
 * snake_case and lowerCamelCase segments are both accepted. A path whose
 * field is unset in 'src' (or lies under an unset submessage of 'src')
 * clears it in 'dst'. A path that names a map or repeated field replaces it
 * whole. A path may name a whole submessage.
 *
 * Fields are resolved by name in 'src' and in 'dst' separately, so they may
 * be different message types sharing field names: e.g. 'dst' a stored
 * VirtualNetwork and 'src' the UpdateNetworkRequest, whose mask says
 * "spec.ip_config.dhcp", "labels" or "description". A path must resolve in
 * both, to fields of the same type.
 *
 * If 'field_prefix' is nonnull (a dotted snake_case path such as "spec"), it
 * is put in front of every mask path before resolving: the mask's paths are
 * relative to that submessage of 'dst' and 'src' ("mtu" means "spec.mtu").
 * Error messages quote the path as the mask gives it.
 *
 * Every path is checked before anything changes: on error 'dst' is
 * untouched. A path that does not resolve is LQ_INVALID_ARGUMENT with field
 * "update_mask" and message "update_mask: unknown path 'spec.ipConfig.bogus'"
 * (lowerCamelCase). 'dst' must be owned as pbjson_decode() or protobuf-c's
 * unpacker returns messages: replaced parts are freed with free(). 'src'
 * must not be 'dst' or share memory with it.
 * Returns NULL on success; caller frees an error with lq_error_free(). */
struct lq_error *pbjson_apply_mask(ProtobufCMessage *dst, const ProtobufCMessage *src,
                                   const ProtobufCMessage *field_mask, const char *field_prefix);

#endif
