#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

/* Headers larger than this are not something lqnetd sends. */
#define HTTP_MAX_HEADER 65536

int
http_url_parse(const char *url, struct http_url *out)
{
    memset(out, 0, sizeof *out);
    if (strncasecmp(url, "https://", 8) == 0) {
        return -EPROTONOSUPPORT;
    }
    if (strncasecmp(url, "http://", 7) != 0) {
        return -EINVAL;
    }
    const char *p = url + 7;
    const char *host, *host_end;
    if (*p == '[') {
        host = p + 1;
        host_end = strchr(host, ']');
        if (!host_end) {
            return -EINVAL;
        }
        p = host_end + 1;
    } else {
        host = p;
        p += strcspn(p, ":/?#@");
        host_end = p;
    }
    if (host_end == host) {
        return -EINVAL;
    }

    const char *port = "80";
    size_t port_len = 2;
    if (*p == ':') {
        port = ++p;
        port_len = strspn(p, "0123456789");
        p += port_len;
        if (port_len == 0 || port_len > 5 || atoi(port) == 0 || atoi(port) > 65535) {
            return -EINVAL;
        }
    }
    if (*p != '\0' && *p != '/') {
        return -EINVAL; /* userinfo, query or fragment: not meaningful for an API base URL. */
    }
    size_t prefix_len = strlen(p);
    while (prefix_len > 0 && p[prefix_len - 1] == '/') {
        prefix_len--;
    }
    if (memchr(p, '?', prefix_len) || memchr(p, '#', prefix_len)) {
        return -EINVAL;
    }
    out->host = xstrndup(host, host_end - host);
    out->port = xstrndup(port, port_len);
    out->prefix = xstrndup(p, prefix_len);
    return 0;
}

void
http_url_clear(struct http_url *url)
{
    if (url) {
        free(url->host);
        free(url->port);
        free(url->prefix);
        memset(url, 0, sizeof *url);
    }
}

void
http_response_clear(struct http_response *resp)
{
    if (resp) {
        free(resp->content_type);
        free(resp->body);
        memset(resp, 0, sizeof *resp);
    }
}

/* Finds the end of the header block starting at 'buf'; returns the offset of
 * the first body byte, or 0 if the block is not complete yet. */
static size_t
header_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
            return i + 4;
        }
    }
    return 0;
}

/* Returns the value of header 'name' within the header block [buf, end) as a
 * new string with surrounding blanks removed, or NULL. */
static char *
header_get(const char *buf, const char *end, const char *name)
{
    size_t name_len = strlen(name);
    const char *line = memchr(buf, '\n', end - buf); /* Skip the status line. */
    while (line && ++line < end) {
        const char *eol = memchr(line, '\n', end - line);
        if (!eol) {
            break;
        }
        if ((size_t)(eol - line) > name_len && strncasecmp(line, name, name_len) == 0 &&
            line[name_len] == ':') {
            const char *v = line + name_len + 1;
            const char *v_end = eol;
            while (v < v_end && (*v == ' ' || *v == '\t')) {
                v++;
            }
            while (v_end > v && isspace((unsigned char)v_end[-1])) {
                v_end--;
            }
            return xstrndup(v, v_end - v);
        }
        line = eol;
    }
    return NULL;
}

/* Decodes a chunked body from [p, end). Returns 1 and the decoded bytes in
 * '*body'/'*body_len' when the last chunk and trailers are in, 0 if more is
 * needed, -EPROTO if malformed. */
static int
parse_chunked(const char *p, const char *end, char **body, size_t *body_len)
{
    char *out = NULL;
    size_t out_len = 0;
    for (;;) {
        const char *eol = memchr(p, '\n', end - p);
        if (!eol) {
            goto need_more;
        }
        char *hex_end;
        errno = 0;
        unsigned long long size = strtoull(p, &hex_end, 16);
        if (hex_end == p || errno || size > (unsigned long long)INT_MAX ||
            (*hex_end != ';' && *hex_end != '\r' && *hex_end != ' ' && *hex_end != '\t')) {
            free(out);
            return -EPROTO;
        }
        p = eol + 1;
        if (size == 0) {
            /* Trailers, if any, end with an empty line. */
            for (;;) {
                eol = memchr(p, '\n', end - p);
                if (!eol) {
                    goto need_more;
                }
                bool empty = eol == p || (eol == p + 1 && *p == '\r');
                p = eol + 1;
                if (empty) {
                    break;
                }
            }
            *body = out ? out : xstrdup("");
            *body_len = out_len;
            (*body)[out_len] = '\0';
            return 1;
        }
        if ((size_t)(end - p) < size + 2) {
            goto need_more;
        }
        if (p[size] != '\r' || p[size + 1] != '\n') {
            free(out);
            return -EPROTO;
        }
        out = xrealloc(out, out_len + size + 1);
        memcpy(out + out_len, p, size);
        out_len += size;
        p += size + 2;
    }

need_more:
    free(out);
    return 0;
}

int
http_response_parse(const char *buf, size_t len, bool eof, struct http_response *resp)
{
    memset(resp, 0, sizeof *resp);

    size_t body_off;
    int status;
    for (;;) {
        body_off = header_end(buf, len);
        if (!body_off) {
            return eof || len > HTTP_MAX_HEADER ? -EPROTO : 0;
        }
        int minor, n = 0;
        if (sscanf(buf, "HTTP/1.%1d %3d%n", &minor, &status, &n) != 2 || n != 12 ||
            (buf[n] != ' ' && buf[n] != '\r') || status < 100) {
            return -EPROTO;
        }
        if (status >= 200) {
            break;
        }
        /* An interim response (100 Continue): the real one follows. */
        buf += body_off;
        len -= body_off;
    }

    const char *hdr_end = buf + body_off;
    const char *body = hdr_end;
    const char *end = buf + len;
    char *body_out = NULL;
    size_t body_len = 0;

    char *te = header_get(buf, hdr_end, "Transfer-Encoding");
    char *cl = header_get(buf, hdr_end, "Content-Length");
    int ret;
    if (te && strcasecmp(te, "identity") != 0) {
        ret = strcasecmp(te, "chunked") == 0 ? parse_chunked(body, end, &body_out, &body_len)
                                             : -EPROTO;
    } else if (cl) {
        char *cl_end;
        errno = 0;
        unsigned long long n = strtoull(cl, &cl_end, 10);
        if (cl_end == cl || *cl_end || errno || cl[0] == '-' || n > (unsigned long long)INT_MAX) {
            ret = -EPROTO;
        } else if ((size_t)(end - body) < n) {
            ret = 0;
        } else {
            body_len = n;
            ret = 1;
        }
    } else if (status == 204 || status == 304) {
        ret = 1;
    } else {
        body_len = end - body;
        ret = eof ? 1 : 0;
    }
    free(te);
    free(cl);

    if (ret == 0 && eof) {
        ret = -EPROTO; /* The peer closed in the middle of the body. */
    }
    if (ret != 1) {
        free(body_out);
        return ret;
    }
    resp->status = status;
    resp->content_type = header_get(buf, hdr_end, "Content-Type");
    resp->body = body_out ? body_out : xstrndup(body, body_len);
    resp->body_len = body_len;
    return 1;
}

char *
http_format_post(const struct http_url *url, const char *path, const char *content_type,
                 const char *token, const char *body, size_t body_len, size_t *req_len)
{
    bool v6 = strchr(url->host, ':') != NULL;
    char *auth = token ? xasprintf("Authorization: Bearer %s\r\n", token) : xstrdup("");
    char *head = xasprintf("POST %s%s HTTP/1.1\r\n"
                           "Host: %s%s%s:%s\r\n"
                           "User-Agent: lqnet-cli\r\n"
                           "Content-Type: %s\r\n"
                           "Connect-Protocol-Version: 1\r\n"
                           "%s"
                           "Content-Length: %zu\r\n"
                           "Connection: close\r\n"
                           "\r\n",
                           url->prefix, path, v6 ? "[" : "", url->host, v6 ? "]" : "", url->port,
                           content_type, auth, body_len);
    free(auth);
    size_t head_len = strlen(head);
    char *req = xrealloc(head, head_len + body_len + 1);
    memcpy(req + head_len, body, body_len);
    req[head_len + body_len] = '\0';
    *req_len = head_len + body_len;
    return req;
}

/* Waits until 'fd' is ready for 'events'; returns 0, -ETIMEDOUT or -errno. */
static int
wait_fd(int fd, short events, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    for (;;) {
        int n = poll(&pfd, 1, timeout_ms);
        if (n > 0) {
            return 0;
        }
        if (n == 0) {
            return -ETIMEDOUT;
        }
        if (errno != EINTR) {
            return -errno;
        }
    }
}

/* Connects a non-blocking TCP socket to one of 'url''s addresses. Returns the
 * socket or a negative errno. */
static int
connect_url(const struct http_url *url, int timeout_ms, const char **detail)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ais;
    int gai = getaddrinfo(url->host, url->port, &hints, &ais);
    if (gai) {
        *detail = gai_strerror(gai);
        return -EHOSTUNREACH;
    }
    int error = -ECONNREFUSED;
    for (struct addrinfo *ai = ais; ai; ai = ai->ai_next) {
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            error = -errno;
            continue;
        }
        /* Requests are one small write; do not let Nagle delay them. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            freeaddrinfo(ais);
            return fd;
        }
        error = errno == EINPROGRESS ? wait_fd(fd, POLLOUT, timeout_ms) : -errno;
        if (!error) {
            int so_error = 0;
            socklen_t so_len = sizeof so_error;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len);
            if (!so_error) {
                freeaddrinfo(ais);
                return fd;
            }
            error = -so_error;
        }
        close(fd);
    }
    freeaddrinfo(ais);
    return error;
}

int
http_exchange(const struct http_url *url, const char *request, size_t request_len, int timeout_ms,
              struct http_response *resp, const char **detail)
{
    *detail = NULL;
    memset(resp, 0, sizeof *resp);
    int fd = connect_url(url, timeout_ms, detail);
    if (fd < 0) {
        return fd;
    }

    int error = 0;
    size_t sent = 0;
    while (!error && sent < request_len) {
        ssize_t n = send(fd, request + sent, request_len - sent, MSG_NOSIGNAL);
        if (n >= 0) {
            sent += n;
        } else if (errno == EAGAIN) {
            error = wait_fd(fd, POLLOUT, timeout_ms);
        } else if (errno != EINTR) {
            error = -errno;
        }
    }

    char *buf = NULL;
    size_t len = 0, cap = 0;
    while (!error) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 16384;
            buf = xrealloc(buf, cap);
        }
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n >= 0) {
            len += n;
            int ret = http_response_parse(buf, len, n == 0, resp);
            if (ret) {
                error = ret < 0 ? ret : 0;
                break;
            }
        } else if (errno == EAGAIN) {
            error = wait_fd(fd, POLLIN, timeout_ms);
        } else if (errno != EINTR) {
            error = -errno;
        }
    }
    free(buf);
    close(fd);
    return error;
}
