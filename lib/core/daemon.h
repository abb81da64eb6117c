/* daemon: detaching from the terminal and pid files, for lqnetd and the agent. */
#ifndef LQ_DAEMON_H
#define LQ_DAEMON_H 1

/* Forks; the parent waits until the child calls daemon_ready() and then
 * exits 0 (or exits 1 if the child dies first). Returns in the child only. */
void daemon_detach(void);
/* Tells a waiting parent that start-up succeeded; no-op if not detached. */
void daemon_ready(void);
/* Writes our pid to 'path'. Returns 0 or a negative errno. */
int daemon_write_pidfile(const char *path);

struct event_base;
/* Runs 'base' until SIGTERM or SIGINT, logging the signal under 'module'.
 * SIGPIPE is ignored while it runs, so a peer that goes away is an error
 * on its socket, not the death of the daemon. */
void daemon_run(struct event_base *base, const char *module);

#endif
