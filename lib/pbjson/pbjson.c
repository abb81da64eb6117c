#include "pbjson.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/field_mask.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "util.h"

/* Timestamp range allowed by timestamp.proto: 0001-01-01 to 9999-12-31. */
#define TS_MIN_SECONDS (-62135596800LL)
#define TS_MAX_SECONDS 253402300799LL

/* ---------------------------------------------------------------------- */
/* Descriptor helpers. */

static void *
field_ptr(const ProtobufCMessage *m, unsigned offset)
{
    return (char *)m + offset;
}

static size_t
type_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    abort();
}

/* protoc's json_name: drop each '_' and upper-case the letter after it.
 * Writes it to 'out' (at most strlen(snake) bytes, no NUL); returns the end. */
static char *
camel_copy(char *out, const char *snake)
{
    bool upper = false;
    for (; *snake; snake++) {
        if (*snake == '_') {
            upper = true;
        } else {
            *out++ = upper && *snake >= 'a' && *snake <= 'z' ? *snake - 'a' + 'A' : *snake;
            upper = false;
        }
    }
    return out;
}

/* camel_copy() as a new string. Also turns dotted snake_case paths into
 * lowerCamelCase ones. */
static char *
camel_name(const char *snake)
{
    char *out = xmalloc(strlen(snake) + 1);
    *camel_copy(out, snake) = '\0';
    return out;
}

/* If 'camel' starts with camel_name(snake), its first letter upper-cased if
 * 'upper', returns the rest of 'camel'; otherwise NULL. Does not allocate:
 * decoding runs it for every field of every object whose keys are in
 * lowerCamelCase, encoding for every repeated message field. */
static const char *
camel_skip(const char *snake, const char *camel, bool upper)
{
    for (; *snake; snake++) {
        if (*snake == '_') {
            upper = true;
            continue;
        }
        char c = upper && *snake >= 'a' && *snake <= 'z' ? *snake - 'a' + 'A' : *snake;
        upper = false;
        if (*camel++ != c) {
            return NULL;
        }
    }
    return camel;
}

static bool
camel_equals(const char *snake, const char *camel)
{
    const char *rest = camel_skip(snake, camel, false);
    return rest && !*rest;
}

/* The inverse for paths: "ipConfig.dnsServers" -> "ip_config.dns_servers".
 * snake_case input comes back unchanged. */
static char *
snake_name(const char *camel)
{
    char *out = xmalloc(2 * strlen(camel) + 1), *p = out;
    for (; *camel; camel++) {
        if (*camel >= 'A' && *camel <= 'Z') {
            *p++ = '_';
            *p++ = *camel - 'A' + 'a';
        } else {
            *p++ = *camel;
        }
    }
    *p = '\0';
    return out;
}

/* A JSON key names a field by its json_name or its original name. */
static const ProtobufCFieldDescriptor *
find_field(const ProtobufCMessageDescriptor *d, const char *key)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
    for (unsigned i = 0; !f && i < d->n_fields; i++) {
        if (camel_equals(d->fields[i].name, key)) {
            f = &d->fields[i];
        }
    }
    return f;
}

/* protobuf-c has no map flag; protoc names a map's entry type "<Field>Entry"
 * nested in the message, with fields key = 1 and value = 2, a name no other
 * nested type may take. */
static bool
is_map(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED) {
        return false;
    }
    const ProtobufCMessageDescriptor *e = f->descriptor;
    if (e->n_fields != 2 || e->fields[0].id != 1 || strcmp(e->fields[0].name, "key") ||
        e->fields[1].id != 2 || strcmp(e->fields[1].name, "value")) {
        return false;
    }
    size_t len = strlen(d->name);
    if (strncmp(e->name, d->name, len) || e->name[len] != '.') {
        return false;
    }
    const char *rest = camel_skip(f->name, e->name + len + 1, true);
    return rest && !strcmp(rest, "Entry");
}

static bool
is_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

/* Whether 'f' is set in 'm': a oneof member (proto3 'optional' too) when
 * selected, a proto2-style optional by its has_ flag or pointer, a plain
 * proto3 field when not the zero value, a repeated field when nonempty. */
static bool
field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const void *p = field_ptr(m, f->offset);
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        return *(const uint32_t *)field_ptr(m, f->quantifier_offset) == f->id;
    }
    switch (f->label) {
    case PROTOBUF_C_LABEL_REQUIRED:
        return true;
    case PROTOBUF_C_LABEL_REPEATED:
        return *(const size_t *)field_ptr(m, f->quantifier_offset) > 0;
    case PROTOBUF_C_LABEL_OPTIONAL:
        if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING) {
            return *(void *const *)p && *(void *const *)p != f->default_value;
        }
        return *(const protobuf_c_boolean *)field_ptr(m, f->quantifier_offset);
    case PROTOBUF_C_LABEL_NONE:
        break;
    }
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        return *(char *const *)p && **(char *const *)p;
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)p)->len > 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(void *const *)p != NULL;
    default:
        return !is_zero(p, type_size(f->type));
    }
}

static ProtobufCMessage *
new_message(const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = xmalloc(d->sizeof_message);
    protobuf_c_message_init(d, m);
    return m;
}

/* ---------------------------------------------------------------------- */
/* Text helpers: UTF-8, base64, RFC 3339. */

/* Length of the valid UTF-8 sequence at 's', or 0. */
static size_t
utf8_seq_len(const unsigned char *s)
{
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (s[0] < 0x80) {
        return 1;
    } else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        lo = s[0] == 0xe0 ? 0xa0 : 0x80; /* Overlong. */
        hi = s[0] == 0xed ? 0x9f : 0xbf; /* Surrogates. */
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        lo = s[0] == 0xf0 ? 0x90 : 0x80;
        hi = s[0] == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }
    return n;
}

/* Binary protobuf input is not UTF-8 checked, but JSON must be: invalid
 * bytes become U+FFFD. */
static char *
utf8_sanitize(const char *s)
{
    char *out = xmalloc(3 * strlen(s) + 1), *p = out;
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        size_t n = utf8_seq_len(u);
        if (n) {
            memcpy(p, u, n);
            p += n;
            u += n;
        } else {
            memcpy(p, "\xef\xbf\xbd", 3);
            p += 3;
            u++;
        }
    }
    *p = '\0';
    return out;
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Writes 4 * ((len + 2) / 3) bytes to 'out' (no NUL); returns that count. */
static size_t
base64_encode(char *out, const uint8_t *data, size_t len)
{
    char *p = out;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len) {
            v |= (uint32_t)data[i + 1] << 8;
        }
        if (i + 2 < len) {
            v |= data[i + 2];
        }
        *p++ = b64_chars[v >> 18];
        *p++ = b64_chars[(v >> 12) & 63];
        *p++ = i + 1 < len ? b64_chars[(v >> 6) & 63] : '=';
        *p++ = i + 2 < len ? b64_chars[v & 63] : '=';
    }
    return (size_t)(p - out);
}

static int
base64_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    } else if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    } else if (c == '+' || c == '-') {
        return 62;
    } else if (c == '/' || c == '_') {
        return 63;
    }
    return -1;
}

/* Accepts the standard and URL-safe alphabets, with or without padding. */
static bool
base64_decode(const char *s, ProtobufCBinaryData *out)
{
    size_t len = strlen(s);
    while (len > 0 && s[len - 1] == '=') {
        len--;
    }
    if (len % 4 == 1 || strlen(s) - len > 2) {
        return false;
    }
    uint8_t *data = xmalloc(len * 3 / 4 + 1);
    size_t n = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        int v = base64_value(s[i]);
        if (v < 0) {
            free(data);
            return false;
        }
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            data[n++] = acc >> 16;
            data[n++] = acc >> 8;
            data[n++] = acc;
        }
    }
    if (len % 4 == 2) {
        data[n++] = acc >> 4;
    } else if (len % 4 == 3) {
        data[n++] = acc >> 10;
        data[n++] = acc >> 2;
    }
    out->len = n;
    out->data = data;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Writes the RFC 3339 form to 'out' (64 bytes are always enough). */
static void
format_timestamp(char *out, size_t size, int64_t seconds, int32_t nanos)
{
    int64_t days = seconds / 86400, rem = seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    char frac[16] = "";
    if (nanos > 0 && nanos < 1000000000) {
        if (nanos % 1000000 == 0) {
            snprintf(frac, sizeof frac, ".%03d", nanos / 1000000);
        } else if (nanos % 1000 == 0) {
            snprintf(frac, sizeof frac, ".%06d", nanos / 1000);
        } else {
            snprintf(frac, sizeof frac, ".%09d", nanos);
        }
    }
    snprintf(out, size, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d%sZ", y, mo, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60), frac);
}

/* Reads exactly 'n' digits. */
static bool
parse_digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    *s += n;
    *out = v;
    return true;
}

static bool
expect_char(const char **s, char c)
{
    if (**s != c) {
        return false;
    }
    (*s)++;
    return true;
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM). */
static bool
parse_timestamp(const char *s, int64_t *seconds, int32_t *nanos)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec;
    if (!parse_digits(&s, 4, &y) || !expect_char(&s, '-') || !parse_digits(&s, 2, &mo) ||
        !expect_char(&s, '-') || !parse_digits(&s, 2, &d) ||
        (!expect_char(&s, 'T') && !expect_char(&s, 't')) || !parse_digits(&s, 2, &h) ||
        !expect_char(&s, ':') || !parse_digits(&s, 2, &mi) || !expect_char(&s, ':') ||
        !parse_digits(&s, 2, &sec)) {
        return false;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        h > 23 || mi > 59 || sec > 59) {
        return false;
    }
    int32_t ns = 0;
    if (*s == '.') {
        s++;
        int digits = 0;
        for (; *s >= '0' && *s <= '9'; s++, digits++) {
            if (digits >= 9) {
                return false;
            }
            ns = ns * 10 + (*s - '0');
        }
        if (!digits) {
            return false;
        }
        for (; digits < 9; digits++) {
            ns *= 10;
        }
    }
    int offset = 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, oh, om;
        if (!parse_digits(&s, 2, &oh) || !expect_char(&s, ':') || !parse_digits(&s, 2, &om) ||
            oh > 23 || om > 59) {
            return false;
        }
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return false;
    }
    if (*s) {
        return false;
    }
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    if (t < TS_MIN_SECONDS || t > TS_MAX_SECONDS) {
        return false;
    }
    *seconds = t;
    *nanos = ns;
    return true;
}

/* ---------------------------------------------------------------------- */
/* Decoding. */

/* The lowerCamelCase path of the value being decoded, for errors. */
struct path {
    char *buf;
    size_t len, cap;
};

static size_t
path_append(struct path *p, const char *sep, const char *text)
{
    size_t mark = p->len;
    size_t need = p->len + strlen(sep) + strlen(text) + 1;
    if (need > p->cap) {
        p->cap = need * 2;
        p->buf = xrealloc(p->buf, p->cap);
    }
    p->len += (size_t)sprintf(p->buf + p->len, "%s%s", p->len ? sep : "", text);
    return mark;
}

static size_t
path_push_field(struct path *p, const ProtobufCFieldDescriptor *f)
{
    char *camel = camel_name(f->name);
    size_t mark = path_append(p, ".", camel);
    free(camel);
    return mark;
}

static size_t
path_push_index(struct path *p, size_t i)
{
    char text[32];
    snprintf(text, sizeof text, "[%zu]", i);
    return path_append(p, "", text);
}

static void
path_pop(struct path *p, size_t mark)
{
    p->len = mark;
    if (p->buf) {
        p->buf[mark] = '\0';
    }
}

static struct lq_error *path_error(const struct path *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct lq_error *
path_error(const struct path *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    struct lq_error *err = lq_error_new(LQ_INVALID_ARGUMENT, p->len ? p->buf : NULL, "%s", text);
    free(text);
    return err;
}

static struct lq_error *decode_message(ProtobufCMessage *m, const json_t *j, struct path *p);

/* A strict decimal integer: optional '-', then digits only. */
static bool
is_decimal(const char *s)
{
    s += *s == '-';
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
    }
    return true;
}

static struct lq_error *
decode_int(const json_t *j, int64_t min, int64_t max, const char *type, int64_t *out,
           struct path *p)
{
    int64_t v;
    if (json_is_integer(j)) {
        v = json_integer_value(j);
        if (v < min || v > max) {
            return path_error(p, "%" PRId64 " is out of range for %s", v, type);
        }
    } else if (json_is_real(j)) {
        double d = json_real_value(j);
        if (d != trunc(d)) {
            return path_error(p, "expected an integer");
        }
        if (d < (double)min || d >= -(double)INT64_MIN || (int64_t)d > max) {
            return path_error(p, "%g is out of range for %s", d, type);
        }
        v = (int64_t)d;
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        if (!is_decimal(s)) {
            return path_error(p, "expected an integer");
        }
        errno = 0;
        v = strtoll(s, NULL, 10);
        if (errno == ERANGE || v < min || v > max) {
            return path_error(p, "%s is out of range for %s", s, type);
        }
    } else {
        return path_error(p, "expected an integer");
    }
    *out = v;
    return NULL;
}

static struct lq_error *
decode_uint(const json_t *j, uint64_t max, const char *type, uint64_t *out, struct path *p)
{
    uint64_t v;
    if (json_is_integer(j)) {
        json_int_t i = json_integer_value(j);
        if (i < 0 || (uint64_t)i > max) {
            return path_error(p, "%" JSON_INTEGER_FORMAT " is out of range for %s", i, type);
        }
        v = (uint64_t)i;
    } else if (json_is_real(j)) {
        double d = json_real_value(j);
        if (d != trunc(d)) {
            return path_error(p, "expected an integer");
        }
        if (d < 0 || d >= 18446744073709551616.0 || (uint64_t)d > max) {
            return path_error(p, "%g is out of range for %s", d, type);
        }
        v = (uint64_t)d;
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        if (!is_decimal(s)) {
            return path_error(p, "expected an integer");
        }
        errno = 0;
        v = strtoull(s, NULL, 10);
        if ((s[0] == '-' && strspn(s + 1, "0") != strlen(s + 1)) || errno == ERANGE || v > max) {
            return path_error(p, "%s is out of range for %s", s, type);
        }
    } else {
        return path_error(p, "expected an integer");
    }
    *out = v;
    return NULL;
}

static struct lq_error *
decode_double(const json_t *j, bool is_float, double *out, struct path *p)
{
    double d;
    if (json_is_number(j)) {
        d = json_number_value(j);
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        char *end;
        if (!strcmp(s, "NaN")) {
            d = NAN;
        } else if (!strcmp(s, "Infinity")) {
            d = INFINITY;
        } else if (!strcmp(s, "-Infinity")) {
            d = -INFINITY;
        } else if (*s && strspn(s, "0123456789+-.eE") == strlen(s) &&
                   (d = strtod(s, &end), !*end)) {
            if (isinf(d)) {
                return path_error(p, "%s is out of range for %s", s, is_float ? "float" : "double");
            }
        } else {
            return path_error(p, "expected a number");
        }
    } else {
        return path_error(p, "expected a number");
    }
    if (is_float && isfinite(d) && fabs(d) > FLT_MAX) {
        return path_error(p, "%g is out of range for float", d);
    }
    *out = d;
    return NULL;
}

static struct lq_error *
decode_enum(const ProtobufCEnumDescriptor *ed, const json_t *j, int *out, struct path *p)
{
    const ProtobufCEnumValue *v = NULL;
    if (json_is_string(j)) {
        v = protobuf_c_enum_descriptor_get_value_by_name(ed, json_string_value(j));
    } else if (json_is_integer(j)) {
        json_int_t n = json_integer_value(j);
        if (n >= INT32_MIN && n <= INT32_MAX) {
            v = protobuf_c_enum_descriptor_get_value(ed, (int)n);
        }
    } else {
        return path_error(p, "expected an enum value name or number");
    }
    if (!v) {
        size_t len = 1;
        for (unsigned i = 0; i < ed->n_values; i++) {
            len += strlen(ed->values[i].name) + 2;
        }
        char *names = xmalloc(len);
        names[0] = '\0';
        for (unsigned i = 0; i < ed->n_values; i++) {
            strcat(strcat(names, i ? ", " : ""), ed->values[i].name);
        }
        char *given = json_dumps(j, JSON_ENCODE_ANY);
        struct lq_error *err = path_error(p, "unknown value %s (expected one of %s)", given, names);
        free(given);
        free(names);
        return err;
    }
    *out = v->value;
    return NULL;
}

static struct lq_error *
decode_string(const json_t *j, char **out, struct path *p)
{
    if (!json_is_string(j)) {
        return path_error(p, "expected a string");
    }
    const char *s = json_string_value(j);
    if (strlen(s) != json_string_length(j)) {
        return path_error(p, "must not contain NUL characters");
    }
    *out = xstrdup(s);
    return NULL;
}

static struct lq_error *
decode_timestamp(Google__Protobuf__Timestamp *ts, const json_t *j, struct path *p)
{
    int64_t seconds;
    int32_t nanos;
    if (!json_is_string(j)) {
        return path_error(p, "expected an RFC 3339 timestamp string");
    }
    if (!parse_timestamp(json_string_value(j), &seconds, &nanos)) {
        return path_error(p, "'%s' is not an RFC 3339 timestamp", json_string_value(j));
    }
    ts->seconds = seconds;
    ts->nanos = nanos;
    return NULL;
}

static struct lq_error *
decode_field_mask(Google__Protobuf__FieldMask *fm, const json_t *j, struct path *p)
{
    if (!json_is_string(j)) {
        return path_error(p, "expected a string of comma-separated paths");
    }
    const char *s = json_string_value(j);
    if (!*s) {
        return NULL;
    }
    size_t n = 1;
    for (const char *c = s; *c; c++) {
        n += *c == ',';
    }
    fm->paths = xcalloc(n, sizeof *fm->paths);
    fm->n_paths = n;
    for (size_t i = 0; i < n; i++) {
        size_t len = strcspn(s, ",");
        char *path = xstrndup(s, len);
        bool ok = len > 0 && strspn(path, "abcdefghijklmnopqrstuvwxyz"
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") == len;
        if (!ok) {
            struct lq_error *err = path_error(p, "'%s' is not a field path", path);
            free(path);
            return err;
        }
        fm->paths[i] = snake_name(path);
        free(path);
        s += len + 1;
    }
    return NULL;
}

/* Decodes one value of field 'f' from 'j' into the storage at 'slot'. */
static struct lq_error *
decode_value(const ProtobufCFieldDescriptor *f, const json_t *j, void *slot, struct path *p)
{
    struct lq_error *err = NULL;
    int64_t i;
    uint64_t u;
    double d;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (!(err = decode_int(j, INT32_MIN, INT32_MAX, "int32", &i, p))) {
            *(int32_t *)slot = (int32_t)i;
        }
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (!(err = decode_int(j, INT64_MIN, INT64_MAX, "int64", &i, p))) {
            *(int64_t *)slot = i;
        }
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (!(err = decode_uint(j, UINT32_MAX, "uint32", &u, p))) {
            *(uint32_t *)slot = (uint32_t)u;
        }
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (!(err = decode_uint(j, UINT64_MAX, "uint64", &u, p))) {
            *(uint64_t *)slot = u;
        }
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        if (!(err = decode_double(j, true, &d, p))) {
            *(float *)slot = (float)d;
        }
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        if (!(err = decode_double(j, false, &d, p))) {
            *(double *)slot = d;
        }
        break;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(j)) {
            return path_error(p, "expected a boolean");
        }
        *(protobuf_c_boolean *)slot = json_is_true(j);
        break;
    case PROTOBUF_C_TYPE_ENUM:
        return decode_enum(f->descriptor, j, slot, p);
    case PROTOBUF_C_TYPE_STRING:
        return decode_string(j, slot, p);
    case PROTOBUF_C_TYPE_BYTES:
        if (!json_is_string(j) || !base64_decode(json_string_value(j), slot)) {
            return path_error(p, "expected base64 data");
        }
        break;
    case PROTOBUF_C_TYPE_MESSAGE: {
        /* Attached before it is filled, so that freeing the parent after an
         * error frees it too. */
        ProtobufCMessage *sub = new_message(f->descriptor);
        *(ProtobufCMessage **)slot = sub;
        return decode_message(sub, j, p);
    }
    }
    return err;
}

static struct lq_error *
decode_map_key(const ProtobufCFieldDescriptor *kf, const char *key, void *slot, struct path *p)
{
    if (kf->type == PROTOBUF_C_TYPE_BOOL) {
        if (strcmp(key, "true") && strcmp(key, "false")) {
            return path_error(p, "map key must be true or false");
        }
        *(protobuf_c_boolean *)slot = !strcmp(key, "true");
        return NULL;
    }
    json_t *k = json_string(key);
    struct lq_error *err = decode_value(kf, k, slot, p);
    json_decref(k);
    return err;
}

static struct lq_error *
decode_map(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const json_t *j, struct path *p)
{
    if (!json_is_object(j)) {
        return path_error(p, "expected an object");
    }
    size_t n = json_object_size(j);
    if (!n) {
        return NULL;
    }
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    ProtobufCMessage **entries = xcalloc(n, sizeof *entries);
    *(ProtobufCMessage ***)field_ptr(m, f->offset) = entries;
    *(size_t *)field_ptr(m, f->quantifier_offset) = n;
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)j, key, value)
    {
        ProtobufCMessage *e = entries[i++] = new_message(ed);
        size_t mark = path_append(p, ".", key);
        struct lq_error *err =
            decode_map_key(&ed->fields[0], key, field_ptr(e, ed->fields[0].offset), p);
        if (!err && json_is_null(value)) {
            err = path_error(p, "null is not a valid map value");
        }
        if (!err) {
            err = decode_value(&ed->fields[1], value, field_ptr(e, ed->fields[1].offset), p);
        }
        if (err) {
            return err;
        }
        path_pop(p, mark);
    }
    return NULL;
}

static struct lq_error *
decode_repeated(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const json_t *j,
                struct path *p)
{
    if (!json_is_array(j)) {
        return path_error(p, "expected an array");
    }
    size_t n = json_array_size(j);
    if (!n) {
        return NULL;
    }
    /* Zeroed slots are safe to free, so the count is set up front. */
    size_t size = type_size(f->type);
    char *array = xcalloc(n, size);
    *(char **)field_ptr(m, f->offset) = array;
    *(size_t *)field_ptr(m, f->quantifier_offset) = n;
    for (size_t i = 0; i < n; i++) {
        size_t mark = path_push_index(p, i);
        const json_t *elem = json_array_get(j, i);
        struct lq_error *err = json_is_null(elem)
                                   ? path_error(p, "null is not a valid list element")
                                   : decode_value(f, elem, array + i * size, p);
        if (err) {
            return err;
        }
        path_pop(p, mark);
    }
    return NULL;
}

static struct lq_error *
decode_field(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const json_t *j,
             struct path *p)
{
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        return is_map(m->descriptor, f) ? decode_map(m, f, j, p) : decode_repeated(m, f, j, p);
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *which = field_ptr(m, f->quantifier_offset);
        if (*which && *which != f->id) {
            const ProtobufCFieldDescriptor *other =
                protobuf_c_message_descriptor_get_field(m->descriptor, *which);
            char *name = camel_name(other->name);
            struct lq_error *err = path_error(p, "cannot be set together with '%s'", name);
            free(name);
            return err;
        }
        *which = f->id;
    } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
               f->type != PROTOBUF_C_TYPE_STRING) {
        *(protobuf_c_boolean *)field_ptr(m, f->quantifier_offset) = 1;
    }
    return decode_value(f, j, field_ptr(m, f->offset), p);
}

static struct lq_error *
decode_message(ProtobufCMessage *m, const json_t *j, struct path *p)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (d == &google__protobuf__timestamp__descriptor) {
        return decode_timestamp((Google__Protobuf__Timestamp *)m, j, p);
    }
    if (d == &google__protobuf__field_mask__descriptor) {
        return decode_field_mask((Google__Protobuf__FieldMask *)m, j, p);
    }
    if (!json_is_object(j)) {
        return path_error(p, p->len ? "expected an object" : "expected a JSON object");
    }
    bool *seen = xcalloc(d->n_fields + 1, sizeof *seen);
    struct lq_error *err = NULL;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)j, key, value)
    {
        const ProtobufCFieldDescriptor *f = find_field(d, key);
        if (!f) {
            path_append(p, ".", key);
            err = path_error(p, "unknown field");
            break;
        }
        size_t mark = path_push_field(p, f);
        if (seen[f - d->fields]) {
            err = path_error(p, "given more than once");
            break;
        }
        seen[f - d->fields] = true;
        if (!json_is_null(value) && (err = decode_field(m, f, value, p))) {
            break;
        }
        path_pop(p, mark);
    }
    free(seen);
    return err;
}

ProtobufCMessage *
pbjson_decode(const ProtobufCMessageDescriptor *d, const json_t *json, struct lq_error **errp)
{
    struct path path = {NULL, 0, 0};
    ProtobufCMessage *m = new_message(d);
    struct lq_error *err = decode_message(m, json, &path);
    free(path.buf);
    if (err) {
        protobuf_c_message_free_unpacked(m, NULL);
        m = NULL;
    }
    if (errp) {
        *errp = err;
    } else {
        lq_error_free(err);
    }
    return m;
}

ProtobufCMessage *
pbjson_decode_text(const ProtobufCMessageDescriptor *d, const char *text, size_t len,
                   struct lq_error **errp)
{
    json_error_t jerr;
    json_t *json =
        json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!json) {
        struct lq_error *err =
            lq_error_new(LQ_INVALID_ARGUMENT, NULL, "invalid JSON at line %d, column %d: %s",
                         jerr.line, jerr.column, jerr.text);
        if (errp) {
            *errp = err;
        } else {
            lq_error_free(err);
        }
        return NULL;
    }
    ProtobufCMessage *m = pbjson_decode(d, json, errp);
    json_decref(json);
    return m;
}

/* ---------------------------------------------------------------------- */
/* Encoding. One walk over the descriptors writes JSON text straight into a
 * growable buffer, byte for byte what json_dumps(JSON_COMPACT) of the
 * equivalent jansson tree gives: API clients and golden files saw that form
 * first, and building and freeing a tree cost more than the walk itself. */

struct writer {
    char *buf;
    size_t len, cap;
};

/* Makes room for 'n' more bytes; returns where they go. */
static char *
writer_reserve(struct writer *w, size_t n)
{
    if (w->cap - w->len < n) {
        w->cap = w->cap * 2 > w->len + n ? w->cap * 2 : w->len + n;
        w->buf = xrealloc(w->buf, w->cap);
    }
    return w->buf + w->len;
}

static void
write_raw(struct writer *w, const char *s, size_t n)
{
    memcpy(writer_reserve(w, n), s, n);
    w->len += n;
}

static void
write_char(struct writer *w, char c)
{
    *writer_reserve(w, 1) = c;
    w->len++;
}

/* A JSON string as jansson writes it: '"', '\' and control characters
 * escaped (\uXXXX in upper case unless there is a short form), '/' and
 * UTF-8 left alone. Binary protobuf input is not UTF-8 checked, but JSON
 * must be: invalid bytes become U+FFFD. */
static void
write_string(struct writer *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    /* At worst every byte is a control character: "\u00XX". */
    char *start = writer_reserve(w, 6 * strlen(s) + 2), *p = start;
    const unsigned char *u = (const unsigned char *)s;
    *p++ = '"';
    while (*u) {
        unsigned char c = *u;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *p++ = (char)c;
            u++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_seq_len(u);
            if (n) {
                memcpy(p, u, n);
                p += n;
                u += n;
            } else {
                memcpy(p, "\xef\xbf\xbd", 3);
                p += 3;
                u++;
            }
            continue;
        }
        *p++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *p++ = (char)c;
            break;
        case '\b':
            *p++ = 'b';
            break;
        case '\f':
            *p++ = 'f';
            break;
        case '\n':
            *p++ = 'n';
            break;
        case '\r':
            *p++ = 'r';
            break;
        case '\t':
            *p++ = 't';
            break;
        default:
            memcpy(p, "u00", 3);
            p[3] = hex[c >> 4];
            p[4] = hex[c & 15];
            p += 5;
            break;
        }
        u++;
    }
    *p++ = '"';
    w->len += (size_t)(p - start);
}

/* Writes the decimal digits of integer field 'f' at 'slot' to 'out' (at
 * least 21 bytes, not NUL-terminated); returns their count. */
static size_t
format_integer(const ProtobufCFieldDescriptor *f, const void *slot, char *out)
{
    uint64_t v;
    bool negative = false;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_ENUM: {
        int32_t i = *(const int32_t *)slot;
        negative = i < 0;
        v = negative ? -(uint64_t)i : (uint64_t)i;
        break;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t i = *(const int64_t *)slot;
        negative = i < 0;
        v = negative ? -(uint64_t)i : (uint64_t)i;
        break;
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        v = *(const uint32_t *)slot;
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        v = *(const uint64_t *)slot;
        break;
    default:
        /* protoc allows only integers, bool and string as map keys. */
        abort();
    }
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    size_t len = 0;
    if (negative) {
        out[len++] = '-';
    }
    while (n) {
        out[len++] = digits[--n];
    }
    return len;
}

/* Like jansson: "%.17g", made to read back as a real ("1.0", not "1"), and
 * the exponent without '+' or leading zeros ("1e20", "1e-7"). lqnet never
 * calls setlocale(), so the decimal point is '.'. */
static void
write_double(struct writer *w, double d)
{
    if (isnan(d)) {
        write_string(w, "NaN");
        return;
    } else if (isinf(d)) {
        write_string(w, d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    char buf[40];
    size_t len = (size_t)snprintf(buf, sizeof buf, "%.17g", d);
    if (!strpbrk(buf, ".e")) {
        memcpy(buf + len, ".0", 3);
        len += 2;
    }
    char *e = strchr(buf, 'e');
    if (e) {
        char *start = e + 1, *end = e + 2;
        if (*start == '-') {
            start++;
        }
        while (*end == '0') {
            end++;
        }
        memmove(start, end, len + 1 - (size_t)(end - buf));
        len -= (size_t)(end - start);
    }
    write_raw(w, buf, len);
}

static void
write_timestamp(struct writer *w, const Google__Protobuf__Timestamp *ts)
{
    char text[64];
    format_timestamp(text, sizeof text, ts->seconds, ts->nanos);
    write_string(w, text);
}

/* One comma-separated string of lowerCamelCase paths. */
static void
write_field_mask(struct writer *w, const Google__Protobuf__FieldMask *fm)
{
    size_t len = 1;
    for (size_t i = 0; i < fm->n_paths; i++) {
        len += strlen(fm->paths[i]) + 1;
    }
    char *text = xmalloc(len);
    text[0] = '\0';
    for (size_t i = 0; i < fm->n_paths; i++) {
        char *camel = camel_name(fm->paths[i]);
        strcat(strcat(text, i ? "," : ""), camel);
        free(camel);
    }
    write_string(w, text);
    free(text);
}

static void
write_bytes(struct writer *w, const ProtobufCBinaryData *b)
{
    char *p = writer_reserve(w, 4 * ((b->len + 2) / 3) + 2);
    p[0] = '"';
    size_t n = base64_encode(p + 1, b->data, b->len);
    p[n + 1] = '"';
    w->len += n + 2;
}

/* Field names are protobuf identifiers: nothing to escape. */
static void
write_key(struct writer *w, const char *snake)
{
    char *start = writer_reserve(w, strlen(snake) + 3), *p = start;
    *p++ = '"';
    p = camel_copy(p, snake);
    *p++ = '"';
    *p++ = ':';
    w->len += (size_t)(p - start);
}

static void write_message(struct writer *w, const ProtobufCMessage *m);

static void
write_value(struct writer *w, const ProtobufCFieldDescriptor *f, const void *slot)
{
    char digits[24];
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        write_raw(w, digits, format_integer(f, slot, digits));
        return;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        size_t n = format_integer(f, slot, digits + 1);
        digits[0] = digits[n + 1] = '"';
        write_raw(w, digits, n + 2);
        return;
    }
    case PROTOBUF_C_TYPE_FLOAT:
        write_double(w, *(const float *)slot);
        return;
    case PROTOBUF_C_TYPE_DOUBLE:
        write_double(w, *(const double *)slot);
        return;
    case PROTOBUF_C_TYPE_BOOL:
        if (*(const protobuf_c_boolean *)slot) {
            write_raw(w, "true", 4);
        } else {
            write_raw(w, "false", 5);
        }
        return;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)slot);
        if (ev) {
            write_string(w, ev->name);
        } else {
            write_raw(w, digits, format_integer(f, slot, digits));
        }
        return;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)slot;
        write_string(w, s ? s : "");
        return;
    }
    case PROTOBUF_C_TYPE_BYTES:
        write_bytes(w, slot);
        return;
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)slot;
        if (sub) {
            write_message(w, sub);
        } else {
            write_raw(w, "{}", 2);
        }
        return;
    }
    }
    abort();
}

/* A map key as output, and which entry's value goes with it. */
struct map_key {
    const char *text;
    char *owned;  /* 'text' when the key needed UTF-8 repair. */
    size_t value; /* Entry index, or SIZE_MAX for a repeated key. */
    char digits[24];
};

static int
compare_map_keys(const void *a_, const void *b_)
{
    const struct map_key *a = *(const struct map_key *const *)a_;
    const struct map_key *b = *(const struct map_key *const *)b_;
    int cmp = strcmp(a->text, b->text);
    return cmp ? cmp : (a > b) - (a < b);
}

/* Binary input may repeat a key. A JSON object keeps the key where it first
 * appears, with the last value given for it, as a jansson object does. */
static void
merge_repeated_keys(struct map_key *keys, size_t n)
{
    struct map_key **sorted = xmalloc(n * sizeof *sorted);
    for (size_t i = 0; i < n; i++) {
        sorted[i] = &keys[i];
    }
    qsort(sorted, n, sizeof *sorted, compare_map_keys);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && !strcmp(sorted[i]->text, sorted[j]->text); j++) {
            sorted[j]->value = SIZE_MAX;
        }
        sorted[i]->value = sorted[j - 1] - keys;
    }
    free(sorted);
}

static bool
utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t n; *u; u += n) {
        n = utf8_seq_len(u);
        if (!n) {
            return false;
        }
    }
    return true;
}

static void
write_map(struct writer *w, const ProtobufCFieldDescriptor *f, ProtobufCMessage *const *entries,
          size_t n)
{
    const ProtobufCMessageDescriptor *e = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &e->fields[0], *vf = &e->fields[1];
    struct map_key *keys = xmalloc(n * sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        struct map_key *k = &keys[i];
        const void *kslot = field_ptr(entries[i], kf->offset);
        k->owned = NULL;
        k->value = i;
        if (kf->type == PROTOBUF_C_TYPE_STRING) {
            const char *s = *(char *const *)kslot;
            k->text = !s ? "" : utf8_valid(s) ? s : (k->owned = utf8_sanitize(s));
        } else if (kf->type == PROTOBUF_C_TYPE_BOOL) {
            k->text = *(const protobuf_c_boolean *)kslot ? "true" : "false";
        } else {
            k->digits[format_integer(kf, kslot, k->digits)] = '\0';
            k->text = k->digits;
        }
    }
    if (n > 1) {
        merge_repeated_keys(keys, n);
    }
    write_char(w, '{');
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (keys[i].value == SIZE_MAX) {
            continue;
        }
        if (!first) {
            write_char(w, ',');
        }
        first = false;
        write_string(w, keys[i].text);
        write_char(w, ':');
        write_value(w, vf, field_ptr(entries[keys[i].value], vf->offset));
    }
    write_char(w, '}');
    for (size_t i = 0; i < n; i++) {
        free(keys[i].owned);
    }
    free(keys);
}

static void
write_message(struct writer *w, const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (d == &google__protobuf__timestamp__descriptor) {
        write_timestamp(w, (const Google__Protobuf__Timestamp *)m);
        return;
    }
    if (d == &google__protobuf__field_mask__descriptor) {
        write_field_mask(w, (const Google__Protobuf__FieldMask *)m);
        return;
    }
    write_char(w, '{');
    bool first = true;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (!field_present(m, f)) {
            continue;
        }
        if (!first) {
            write_char(w, ',');
        }
        first = false;
        write_key(w, f->name);
        const void *slot = field_ptr(m, f->offset);
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            write_value(w, f, slot);
            continue;
        }
        size_t n = *(const size_t *)field_ptr(m, f->quantifier_offset);
        const char *array = *(char *const *)slot;
        if (is_map(d, f)) {
            write_map(w, f, (ProtobufCMessage *const *)array, n);
            continue;
        }
        size_t size = type_size(f->type);
        write_char(w, '[');
        for (size_t k = 0; k < n; k++) {
            if (k) {
                write_char(w, ',');
            }
            write_value(w, f, array + k * size);
        }
        write_char(w, ']');
    }
    write_char(w, '}');
}

char *
pbjson_encode_text(const ProtobufCMessage *m)
{
    struct writer w = {NULL, 0, 0};
    writer_reserve(&w, 1024);
    write_message(&w, m);
    write_char(&w, '\0');
    return w.buf;
}

json_t *
pbjson_encode(const ProtobufCMessage *m)
{
    char *text = pbjson_encode_text(m);
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    free(text);
    if (!j) {
        /* The writer's output is always valid JSON. */
        abort();
    }
    return j;
}

ProtobufCMessage *
pbjson_clone(const ProtobufCMessage *m)
{
    if (!m) {
        return NULL;
    }
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = xmalloc(len + 1);
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *copy = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
    free(buf);
    if (!copy) {
        /* protobuf-c always unpacks what it packed; failing means memory
         * corruption or exhaustion. */
        abort();
    }
    return copy;
}

/* ---------------------------------------------------------------------- */
/* FieldMask updates. */

static void
free_value(const ProtobufCFieldDescriptor *f, void *slot)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        char *s = *(char **)slot;
        if (s && s != f->default_value && s != protobuf_c_empty_string) {
            free(s);
        }
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *def = f->default_value;
        uint8_t *data = ((ProtobufCBinaryData *)slot)->data;
        if (data && (!def || def->data != data)) {
            free(data);
        }
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        protobuf_c_message_free_unpacked(*(ProtobufCMessage **)slot, NULL);
        break;
    default:
        break;
    }
}

/* Frees what 'f' holds in 'm' and resets it to its default. For a oneof
 * member that is not the selected one, does nothing. */
static void
clear_field(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    void *slot = field_ptr(m, f->offset);
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t *n = field_ptr(m, f->quantifier_offset);
        char *array = *(char **)slot;
        for (size_t i = 0; i < *n; i++) {
            free_value(f, array + i * type_size(f->type));
        }
        free(array);
        *(char **)slot = NULL;
        *n = 0;
        return;
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *which = field_ptr(m, f->quantifier_offset);
        if (*which != f->id) {
            return;
        }
        *which = 0;
    } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
               f->type != PROTOBUF_C_TYPE_STRING) {
        *(protobuf_c_boolean *)field_ptr(m, f->quantifier_offset) = 0;
    }
    free_value(f, slot);
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        *(const void **)slot = f->default_value;
    } else if (f->type != PROTOBUF_C_TYPE_MESSAGE && f->default_value) {
        memcpy(slot, f->default_value, type_size(f->type));
    } else {
        memset(slot, 0, type_size(f->type));
    }
}

/* Marks singular 'f' present in 'm', first clearing another member of its
 * oneof. The caller then stores the value. */
static void
set_present(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *which = field_ptr(m, f->quantifier_offset);
        if (*which && *which != f->id) {
            clear_field(m, protobuf_c_message_descriptor_get_field(m->descriptor, *which));
        }
        *which = f->id;
    } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
               f->type != PROTOBUF_C_TYPE_STRING) {
        *(protobuf_c_boolean *)field_ptr(m, f->quantifier_offset) = 1;
    }
}

static void
copy_value(const ProtobufCFieldDescriptor *f, void *dst, const void *src)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)src;
        *(char **)dst = xstrdup(s ? s : "");
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = src;
        ProtobufCBinaryData *out = dst;
        out->len = b->len;
        out->data = b->len ? memcpy(xmalloc(b->len), b->data, b->len) : NULL;
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        *(ProtobufCMessage **)dst = pbjson_clone(*(ProtobufCMessage *const *)src);
        break;
    default:
        memcpy(dst, src, type_size(f->type));
        break;
    }
}

/* Copies field 'fs' of 'src' into the (cleared) field 'fd' of 'dst'. */
static void
copy_field(ProtobufCMessage *dst, const ProtobufCFieldDescriptor *fd, const ProtobufCMessage *src,
           const ProtobufCFieldDescriptor *fs)
{
    void *dslot = field_ptr(dst, fd->offset);
    const void *sslot = field_ptr(src, fs->offset);
    if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
        set_present(dst, fd);
        copy_value(fd, dslot, sslot);
        return;
    }
    size_t n = *(const size_t *)field_ptr(src, fs->quantifier_offset);
    size_t size = type_size(fd->type);
    char *array = xcalloc(n, size);
    const char *from = *(char *const *)sslot;
    bool map = is_map(dst->descriptor, fd);
    for (size_t i = 0; i < n; i++) {
        if (map) {
            /* Rebuilt as dst's own entry type. */
            const ProtobufCMessageDescriptor *de = fd->descriptor;
            const ProtobufCMessage *se = ((ProtobufCMessage *const *)from)[i];
            ProtobufCMessage *entry = new_message(de);
            for (unsigned k = 0; k < 2; k++) {
                copy_value(&de->fields[k], field_ptr(entry, de->fields[k].offset),
                           field_ptr(se, se->descriptor->fields[k].offset));
            }
            ((ProtobufCMessage **)array)[i] = entry;
        } else {
            copy_value(fd, array + i * size, from + i * size);
        }
    }
    *(char **)dslot = array;
    *(size_t *)field_ptr(dst, fd->quantifier_offset) = n;
}

static struct lq_error *
unknown_path(const char *shown)
{
    char *camel = camel_name(shown);
    struct lq_error *err =
        lq_error_new(LQ_INVALID_ARGUMENT, "updateMask", "unknown path '%s'", camel);
    free(camel);
    return err;
}

/* Whether field 'fd' of 'dd' and 'fs' of 'sd' hold the same kind of value.
 * Each message has its own map entry types, so maps compare by content. */
static bool
same_type(const ProtobufCMessageDescriptor *dd, const ProtobufCFieldDescriptor *fd,
          const ProtobufCMessageDescriptor *sd, const ProtobufCFieldDescriptor *fs)
{
    if (fd->type != fs->type || fd->label != fs->label) {
        return false;
    }
    if (is_map(dd, fd) && is_map(sd, fs)) {
        const ProtobufCMessageDescriptor *de = fd->descriptor, *se = fs->descriptor;
        return same_type(de, &de->fields[0], se, &se->fields[0]) &&
               same_type(de, &de->fields[1], se, &se->fields[1]);
    }
    return fd->descriptor == fs->descriptor;
}

/* Checks that 'path' names fields of the same type in both descriptors,
 * through singular submessages. */
static struct lq_error *
check_path(const ProtobufCMessageDescriptor *dd, const ProtobufCMessageDescriptor *sd,
           const char *path, const char *shown)
{
    char *copy = xstrdup(path);
    struct lq_error *err = NULL;
    for (char *seg = copy, *next; seg; seg = next) {
        next = strchr(seg, '.');
        if (next) {
            *next++ = '\0';
        }
        const ProtobufCFieldDescriptor *fd =
            protobuf_c_message_descriptor_get_field_by_name(dd, seg);
        const ProtobufCFieldDescriptor *fs =
            protobuf_c_message_descriptor_get_field_by_name(sd, seg);
        if (!fd || !fs) {
            err = unknown_path(shown);
        } else if (next) {
            if (fd->type != PROTOBUF_C_TYPE_MESSAGE || fd->label == PROTOBUF_C_LABEL_REPEATED ||
                fs->type != PROTOBUF_C_TYPE_MESSAGE || fs->label == PROTOBUF_C_LABEL_REPEATED) {
                err = unknown_path(shown);
            }
            dd = fd->descriptor;
            sd = fs->descriptor;
        } else if (!same_type(dd, fd, sd, fs)) {
            char *camel = camel_name(shown);
            err = lq_error_new(LQ_INTERNAL, "updateMask", "'%s' differs in type between %s and %s",
                               camel, dd->name, sd->name);
            free(camel);
        }
        if (err) {
            break;
        }
    }
    free(copy);
    return err;
}

/* Applies one path that check_path() accepted. */
static void
apply_path(ProtobufCMessage *dst, const ProtobufCMessage *src, const char *path)
{
    char *copy = xstrdup(path);
    for (char *seg = copy, *next; seg; seg = next) {
        next = strchr(seg, '.');
        if (next) {
            *next++ = '\0';
        }
        const ProtobufCFieldDescriptor *fd =
            protobuf_c_message_descriptor_get_field_by_name(dst->descriptor, seg);
        const ProtobufCFieldDescriptor *fs =
            src ? protobuf_c_message_descriptor_get_field_by_name(src->descriptor, seg) : NULL;
        bool src_has = src && field_present(src, fs);
        if (!next) {
            clear_field(dst, fd);
            if (src_has) {
                copy_field(dst, fd, src, fs);
            }
            break;
        }
        ProtobufCMessage **dsub = field_ptr(dst, fd->offset);
        if (!field_present(dst, fd)) {
            if (!src_has) {
                break; /* Clearing inside an absent submessage: nothing to do. */
            }
            set_present(dst, fd);
            *dsub = new_message(fd->descriptor);
        }
        dst = *dsub;
        src = src_has ? *(ProtobufCMessage *const *)field_ptr(src, fs->offset) : NULL;
    }
    free(copy);
}

struct lq_error *
pbjson_apply_mask(ProtobufCMessage *dst, const ProtobufCMessage *src,
                  const ProtobufCMessage *field_mask, const char *field_prefix)
{
    if (!field_mask) {
        return NULL;
    }
    if (field_mask->descriptor != &google__protobuf__field_mask__descriptor) {
        return lq_error_new(LQ_INTERNAL, "updateMask", "not a google.protobuf.FieldMask");
    }
    const Google__Protobuf__FieldMask *fm = (const Google__Protobuf__FieldMask *)field_mask;
    char **full = xcalloc(fm->n_paths + 1, sizeof *full);
    struct lq_error *err = NULL;
    for (size_t i = 0; i < fm->n_paths && !err; i++) {
        char *snake = snake_name(fm->paths[i]);
        full[i] = field_prefix ? xasprintf("%s.%s", field_prefix, snake) : xstrdup(snake);
        err = check_path(dst->descriptor, src->descriptor, full[i], snake);
        free(snake);
    }
    for (size_t i = 0; i < fm->n_paths && !err; i++) {
        apply_path(dst, src, full[i]);
    }
    for (size_t i = 0; i < fm->n_paths; i++) {
        free(full[i]);
    }
    free(full);
    return err;
}
