/* http: the small blocking HTTP/1.1 client the CLI needs for Connect unary
 * calls. One request per connection; the parser is a pure function so that
 * it can be tested without a server. */
#ifndef LQNET_HTTP_H
#define LQNET_HTTP_H 1

#include <stdbool.h>
#include <stddef.h>

/* A parsed "http://host[:port][/prefix]" URL. */
struct http_url {
    char *host;   /* Without brackets for IPv6 literals. */
    char *port;   /* Decimal string; "80" when the URL has none. */
    char *prefix; /* Base path without a trailing slash; "" for none. */
};

/* Parses 'url' into '*out'. Returns 0, or -EINVAL if it is not an http URL
 * (then '*out' holds nothing to free). Caller frees with http_url_clear(). */
int http_url_parse(const char *url, struct http_url *out);
void http_url_clear(struct http_url *url);

struct http_response {
    int status;
    char *content_type; /* NULL when absent. */
    char *body;         /* NUL-terminated (the NUL is not counted in body_len). */
    size_t body_len;
};

/* Tries to parse a whole response from the first 'len' bytes of 'buf'.
 * 'eof' says the peer has closed, which ends a body that has neither a
 * Content-Length nor chunked encoding. Returns 1 and fills '*resp' when the
 * response is complete, 0 when more bytes are needed, -EPROTO when it is
 * malformed. Caller frees a filled '*resp' with http_response_clear(). */
int http_response_parse(const char *buf, size_t len, bool eof, struct http_response *resp);
void http_response_clear(struct http_response *resp);

/* Returns a new string holding a POST request for 'path' on 'url' with the
 * given body and, when 'token' is nonnull, a bearer token. Caller frees. */
char *http_format_post(const struct http_url *url, const char *path, const char *content_type,
                       const char *token, const char *body, size_t body_len, size_t *req_len);

/* Connects to 'url', sends 'request' and reads the response into '*resp',
 * waiting at most 'timeout_ms' for each step. Returns 0, -ECONNREFUSED (and
 * other connect errnos) when the server cannot be reached, -ETIMEDOUT,
 * -EPROTO for a malformed response, or another negative errno. On error
 * '*detail' may get a static description (e.g. a resolver message). */
int http_exchange(const struct http_url *url, const char *request, size_t request_len,
                  int timeout_ms, struct http_response *resp, const char **detail);

#endif
