#include "error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const struct {
    const char *name;
    int http;
} codes[] = {
    [LQ_OK] = {"ok", 200},
    [LQ_CANCELED] = {"canceled", 499},
    [LQ_UNKNOWN] = {"unknown", 500},
    [LQ_INVALID_ARGUMENT] = {"invalid_argument", 400},
    [LQ_DEADLINE_EXCEEDED] = {"deadline_exceeded", 504},
    [LQ_NOT_FOUND] = {"not_found", 404},
    [LQ_ALREADY_EXISTS] = {"already_exists", 409},
    [LQ_PERMISSION_DENIED] = {"permission_denied", 403},
    [LQ_RESOURCE_EXHAUSTED] = {"resource_exhausted", 429},
    [LQ_FAILED_PRECONDITION] = {"failed_precondition", 400},
    [LQ_ABORTED] = {"aborted", 409},
    [LQ_OUT_OF_RANGE] = {"out_of_range", 400},
    [LQ_UNIMPLEMENTED] = {"unimplemented", 501},
    [LQ_INTERNAL] = {"internal", 500},
    [LQ_UNAVAILABLE] = {"unavailable", 503},
    [LQ_DATA_LOSS] = {"data_loss", 500},
    [LQ_UNAUTHENTICATED] = {"unauthenticated", 401},
};

struct lq_error *
lq_error_new(enum lq_code code, const char *field, const char *fmt, ...)
{
    struct lq_error *err = xmalloc(sizeof *err);
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    err->code = code;
    err->field = field ? xstrdup(field) : NULL;
    if (field) {
        err->message = xasprintf("%s: %s", field, text);
        free(text);
    } else {
        err->message = text;
    }
    return err;
}

void
lq_error_free(struct lq_error *err)
{
    if (err) {
        free(err->field);
        free(err->message);
        free(err);
    }
}

const char *
lq_code_name(enum lq_code code)
{
    return code < LQ_ARRAY_SIZE(codes) ? codes[code].name : "unknown";
}

int
lq_code_http_status(enum lq_code code)
{
    return code < LQ_ARRAY_SIZE(codes) ? codes[code].http : 500;
}
