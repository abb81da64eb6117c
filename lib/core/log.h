/* log: leveled logging to stderr (or a file), with a simple rate limit. */
#ifndef LQ_LOG_H
#define LQ_LOG_H 1

enum lq_log_level { LQ_LOG_DBG, LQ_LOG_INFO, LQ_LOG_WARN, LQ_LOG_ERR };

/* Messages below 'level' are discarded. Default LQ_LOG_INFO. */
void lq_log_set_level(enum lq_log_level level);
/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int lq_log_level_from_string(const char *s);
/* Appends to 'path' instead of stderr. Returns 0 or a negative errno. */
int lq_log_open(const char *path);

void lq_log(enum lq_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Each call site logs at most 'burst' messages per minute. */
#define LQ_LOG_RL(LEVEL, MODULE, ...)                                                              \
    do {                                                                                           \
        static long long lq_rl_window_;                                                            \
        static int lq_rl_count_;                                                                   \
        if (lq_log_rate_ok(&lq_rl_window_, &lq_rl_count_, 20)) {                                   \
            lq_log(LEVEL, MODULE, __VA_ARGS__);                                                    \
        }                                                                                          \
    } while (0)

int lq_log_rate_ok(long long *window, int *count, int burst);

#define LOG_DBG(MOD, ...) lq_log(LQ_LOG_DBG, MOD, __VA_ARGS__)
#define LOG_INFO(MOD, ...) lq_log(LQ_LOG_INFO, MOD, __VA_ARGS__)
#define LOG_WARN(MOD, ...) lq_log(LQ_LOG_WARN, MOD, __VA_ARGS__)
#define LOG_ERR(MOD, ...) lq_log(LQ_LOG_ERR, MOD, __VA_ARGS__)

#endif
