/* The listener, configuration reload and graceful shutdown. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/listener.h>
#include <event2/util.h>

#include "core/core.h"

struct server *server;

static struct event *drain_timer;

/* Callback for the listening socket. */
static void
server_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	char	 host[INET6_ADDRSTRLEN] = "?", peer[64];
	int	 port = 0;

	(void)l;
	(void)salen;
	(void)arg;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
	}
	snprintf(peer, sizeof(peer), "%s:%d", host, port);
	if (server->draining) {
		evutil_closesocket(fd);
		return;
	}
	if (conn_admit(host, peer) != 0) {
		evutil_closesocket(fd);
		return;
	}
	conn_accept(fd, host, peer);
}

static void
server_listen_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	log_warn("accept failed");
}

/*
 * Raise the open-file limit to what the system allows: max_connections
 * clients, the pool and the files are each a descriptor, and the default
 * soft limit (1024) is far below 10,000 connections. Warns when even the
 * hard limit is short of max_connections.
 */
void
server_raise_fd_limit(void)
{
	struct rlimit	 rl;
	rlim_t		 need = (rlim_t)server->cfg->max_connections + 64 +
			    (rlim_t)server->cfg->pool_size +
			    (rlim_t)server->cfg->push_pool_size +
			    (rlim_t)server->cfg->read_pool_size;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need)
		log_warnx("open-file limit %llu is below the %llu that "
		    "max_connections %d needs; raise it (ulimit -n, "
		    "LimitNOFILE=)", (unsigned long long)rl.rlim_cur,
		    (unsigned long long)need, server->cfg->max_connections);
}

int
server_listen(char **cause)
{
	struct sockaddr_storage	 ss;
	int			 sslen = sizeof(ss);
	char			 addr[300];
	const struct config	*cfg = server->cfg;

	if (strchr(cfg->listen_host, ':') != NULL)
		snprintf(addr, sizeof(addr), "[%s]:%d", cfg->listen_host,
		    cfg->listen_port);
	else
		snprintf(addr, sizeof(addr), "%s:%d", cfg->listen_host,
		    cfg->listen_port);
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss,
	    &sslen) != 0) {
		asprintf(cause, "listen: '%s' is not an IP address and port",
		    addr);
		return (-1);
	}
	server->listener = evconnlistener_new_bind(server->base,
	    server_accept_cb, NULL, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC, 512, (struct sockaddr *)&ss, sslen);
	if (server->listener == NULL) {
		asprintf(cause, "listen on %s: %s", addr,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return (-1);
	}
	evconnlistener_set_error_cb(server->listener, server_listen_error_cb);
	log_info("listening addr=%s", addr);
	return (0);
}

/*
 * SIGHUP: re-read the config and the TLS files. New connections use the new
 * context; open ones keep theirs. A reload that fails keeps the old state.
 */
void
server_reload(void)
{
	struct config	*ncfg;
	SSL_CTX		*nctx;
	char		*cause = NULL;
	int		 i;

	if ((ncfg = config_load(server->cfg->path, &cause)) == NULL) {
		log_warnx("reload refused, old config kept: %s", cause);
		free(cause);
		return;
	}
	if (config_diff_unreloadable(server->cfg, ncfg, &cause) != 0) {
		log_warnx("reload refused, old config kept: %s", cause);
		free(cause);
		config_unref(ncfg);
		return;
	}
	if ((nctx = tls_server_ctx(ncfg, &cause)) == NULL) {
		log_warnx("reload refused, old TLS files kept: %s", cause);
		free(cause);
		config_unref(ncfg);
		return;
	}
	SSL_CTX_free(server->ssl_ctx);
	server->ssl_ctx = nctx;
	config_unref(server->cfg);
	server->cfg = ncfg;
	log_setlevel(log_level_parse(ncfg->log_level));
	log_info("reloaded config=%s", ncfg->path);
	for (i = 0; i < server->nreload; i++)
		server->reload[i](ncfg);
}

/* fn(new config) runs after each successful reload (main registers). */
void
server_on_reload(reload_hook fn)
{
	if (server->nreload == (int)(sizeof(server->reload) /
	    sizeof(server->reload[0])))
		fatalx("server: too many reload hooks");
	server->reload[server->nreload++] = fn;
}

static void
server_drain_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	log_warnx("shutdown timeout: closing connections=%d requests=%d",
	    nconns, stats.inflight);
	while (!TAILQ_EMPTY(&conns))
		conn_close(TAILQ_FIRST(&conns), "shutdown timeout");
	event_base_loopexit(server->base, NULL);
}

/* SIGTERM: stop accepting, finish what is in flight, then exit. */
void
server_drain(void)
{
	struct timeval	 tv = { server->cfg->shutdown_timeout, 0 };

	if (server->draining)
		return;
	server->draining = 1;
	log_info("draining connections=%d requests=%d", nconns, stats.inflight);
	if (server->listener != NULL)
		evconnlistener_disable(server->listener);
	drain_timer = evtimer_new(server->base, server_drain_timeout_cb, NULL);
	if (drain_timer != NULL)
		evtimer_add(drain_timer, &tv);
	conn_drain_all();
	server_maybe_exit();
}

void
server_maybe_exit(void)
{
	if (!server->draining || nconns > 0 || stats.inflight > 0)
		return;
	if (drain_timer != NULL) {
		event_free(drain_timer);
		drain_timer = NULL;
	}
	event_base_loopexit(server->base, NULL);
}

void
server_free(void)
{
	if (drain_timer != NULL)
		event_free(drain_timer);
	drain_timer = NULL;
	if (server->listener != NULL)
		evconnlistener_free(server->listener);
	conn_shutdown();
	SSL_CTX_free(server->ssl_ctx);
	config_unref(server->cfg);
	event_base_free(server->base);
	free(server);
	server = NULL;
	libevent_global_shutdown();
}
