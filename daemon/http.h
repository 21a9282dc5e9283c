/* http.c: /healthz and /metrics over plain HTTP (top of the layers). */
#ifndef PARKD_HTTP_H
#define PARKD_HTTP_H

struct config;
int	 http_start(const struct config *, char **);
void	 http_stop(void);

#endif /* PARKD_HTTP_H */
