#include "daemon.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

static int ready_fd = -1;

void
daemon_detach(void)
{
    int fds[2];
    if (pipe(fds)) {
        perror("pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid > 0) {
        close(fds[1]);
        char c;
        ssize_t n = read(fds[0], &c, 1);
        exit(n == 1 ? 0 : 1);
    }
    close(fds[0]);
    ready_fd = fds[1];
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        close(null);
    }
}

void
daemon_ready(void)
{
    if (ready_fd >= 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDERR_FILENO);
            close(null);
        }
        ssize_t n = write(ready_fd, "", 1);
        (void)n;
        close(ready_fd);
        ready_fd = -1;
    }
}

int
daemon_write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        return -errno;
    }
    fprintf(f, "%ld\n", (long)getpid());
    return fclose(f) ? -errno : 0;
}

struct stop {
    struct event_base *base;
    const char *module;
};

static void
on_signal(evutil_socket_t sig, short what, void *stop_)
{
    struct stop *stop = stop_;
    (void)what;
    LOG_INFO(stop->module, "signal %d: exiting", (int)sig);
    event_base_loopbreak(stop->base);
}

void
daemon_run(struct event_base *base, const char *module)
{
    struct stop stop = {base, module};
    signal(SIGPIPE, SIG_IGN);
    struct event *term = evsignal_new(base, SIGTERM, on_signal, &stop);
    struct event *intr = evsignal_new(base, SIGINT, on_signal, &stop);
    event_add(term, NULL);
    event_add(intr, NULL);
    event_base_dispatch(base);
    event_free(term);
    event_free(intr);
}
