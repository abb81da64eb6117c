/* error: the one domain error type. System-level functions return 0 or a
 * negative errno; domain errors (validation, conflicts) are a 'struct
 * lq_error' with a Connect code, a message and the offending field; NULL
 * means success. The API layer maps the code to an HTTP status. */
#ifndef LQ_ERROR_H
#define LQ_ERROR_H 1

enum lq_code {
    LQ_OK = 0,
    LQ_CANCELED,
    LQ_UNKNOWN,
    LQ_INVALID_ARGUMENT,
    LQ_DEADLINE_EXCEEDED,
    LQ_NOT_FOUND,
    LQ_ALREADY_EXISTS,
    LQ_PERMISSION_DENIED,
    LQ_RESOURCE_EXHAUSTED,
    LQ_FAILED_PRECONDITION,
    LQ_ABORTED,
    LQ_OUT_OF_RANGE,
    LQ_UNIMPLEMENTED,
    LQ_INTERNAL,
    LQ_UNAVAILABLE,
    LQ_DATA_LOSS,
    LQ_UNAUTHENTICATED,
};

struct lq_error {
    enum lq_code code;
    char *field;   /* Offending field path (e.g. "spec.ipConfig.ipv4Subnet"), or NULL. */
    char *message; /* Full message, starting with "field: " when 'field' is set. */
};

/* Returns a new error; the message is "<field>: <formatted text>" when 'field'
 * is nonnull. Caller frees with lq_error_free(). */
struct lq_error *lq_error_new(enum lq_code code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lq_error_free(struct lq_error *err);

/* "invalid_argument", ... as the Connect protocol spells them. */
const char *lq_code_name(enum lq_code code);
/* Connect's HTTP status for 'code'. */
int lq_code_http_status(enum lq_code code);

#endif
