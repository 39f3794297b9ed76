/* SPDX-License-Identifier: ISC */
/*
 * portmap_upnp.c: UPnP IGD through the helper process (portmap_helper.c):
 * one helper at a time, started with posix_spawn, its stdout a pipe that
 * the event loop reads. It is killed when it runs past its deadline or
 * says more than one line; what it says is parsed by core/upnpmsg.c, and
 * a line that does not parse counts as malformed, like a bad datagram
 * from PCP or NAT-PMP. The probe's control URL and service type are kept
 * for the map, renewals and the delete, which then need no discovery.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "portmap_int.h"
#include "upnpmsg.h"

#define UPNP_PROBE_US		(10ULL * 1000000)
#define UPNP_MAP_US		(10ULL * 1000000)
#define UPNP_DELETE_US		(PORTMAP_STOP_US - 500000)

extern char	**environ;

#if defined(__SANITIZE_ADDRESS__)
/*
 * Under AddressSanitizer the helper runs without its address-space limit
 * (ASan reserves terabytes of it), so ASan's own cap on one allocation
 * stands in: a router announcing a 2 GB body gets a failed allocation, not
 * gigabytes of memory. The helper's environment is ours with ASAN_OPTIONS
 * extended.
 */
#define UPNP_ASAN_CAP	"max_allocation_size_mb=64:allocator_may_return_null=1"
#define UPNP_ENV_MAX	256

static char **
upnp_env(char *opt, size_t optlen, char **env, size_t envmax)
{
	const char	*old = getenv("ASAN_OPTIONS");
	size_t		 i, n = 0;

	snprintf(opt, optlen, "ASAN_OPTIONS=%s%s" UPNP_ASAN_CAP,
	    old != NULL ? old : "", old != NULL && *old != '\0' ? ":" : "");
	env[n++] = opt;
	for (i = 0; environ[i] != NULL && n < envmax - 1; i++)
		if (strncmp(environ[i], "ASAN_OPTIONS=", 13) != 0)
			env[n++] = environ[i];
	env[n] = NULL;
	return env;
}
#endif

enum upnp_op {
	UP_NONE,
	UP_PROBE,
	UP_MAP,
	UP_DELETE
};

struct portmap_upnp {
	struct portmap		*pm;
	enum upnp_op		 op;
	pid_t			 pid;
	int			 fd;
	struct event		*rev;
	struct event		*timer;
	char			 out[UPNPMSG_LINE_MAX];
	size_t			 outlen;

	int			 have;		/* a probe answered */
	char			 control[UPNPMSG_URL_MAX];
	char			 service[UPNPMSG_SERVICE_MAX];
	char			 lan[16];
	uint16_t		 mapped;	/* the external port we hold */
};

static void	upnp_read(evutil_socket_t, short, void *);
static void	upnp_timeout(evutil_socket_t, short, void *);

struct portmap_upnp *
portmap_upnp_new(struct portmap *pm)
{
	struct portmap_upnp	*u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->pm = pm;
	u->fd = -1;
	u->pid = -1;
	if ((u->timer = evtimer_new(pm->base, upnp_timeout, u)) == NULL) {
		free(u);
		return NULL;
	}
	return u;
}

/* Close the pipe and reap the helper: after its output ended (it closes
 * stdout only by exiting) wait for it, else kill it first. */
static void
upnp_reap_ended(struct portmap_upnp *u, int ended)
{
	if (u->rev != NULL)
		event_free(u->rev);
	u->rev = NULL;
	if (u->fd != -1)
		close(u->fd);
	u->fd = -1;
	evtimer_del(u->timer);
	if (u->pid > 0) {
		if (!ended && waitpid(u->pid, NULL, WNOHANG) == 0)
			kill(u->pid, SIGKILL);
		(void)waitpid(u->pid, NULL, 0);
	}
	u->pid = -1;
}

static void
upnp_reap(struct portmap_upnp *u)
{
	upnp_reap_ended(u, 0);
}

void
portmap_upnp_free(struct portmap_upnp *u)
{
	upnp_reap(u);
	event_free(u->timer);
	free(u);
}

int
portmap_upnp_busy(const struct portmap_upnp *u)
{
	return u->op != UP_NONE;
}

/* Start the helper with args (NULL-terminated, after the op). */
static int
upnp_spawn(struct portmap_upnp *u, enum upnp_op op, uint64_t deadline_us,
    char **args)
{
	posix_spawn_file_actions_t	 fa;
	char				*argv[12];
	int				 p[2], i, rc;

	argv[0] = u->pm->helper;
	argv[1] = (char *)PORTMAP_HELPER_ARG;
	for (i = 0; args[i] != NULL && i < 9; i++)
		argv[2 + i] = args[i];
	argv[2 + i] = NULL;
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("portmap: a pipe for the UPnP helper");
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	    O_RDONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
#if defined(__SANITIZE_ADDRESS__)
	{
		char	 opt[1024], *env[UPNP_ENV_MAX];

		rc = posix_spawn(&u->pid, u->pm->helper, &fa, NULL, argv,
		    upnp_env(opt, sizeof(opt), env, UPNP_ENV_MAX));
	}
#else
	rc = posix_spawn(&u->pid, u->pm->helper, &fa, NULL, argv, environ);
#endif
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		log_warnx("portmap: starting the UPnP helper %s: %s",
		    u->pm->helper, strerror(rc));
		close(p[0]);
		u->pid = -1;
		return -1;
	}
	u->fd = p[0];
	(void)fcntl(u->fd, F_SETFL, fcntl(u->fd, F_GETFL) | O_NONBLOCK);
	u->op = op;
	u->outlen = 0;
	u->pm->st.sent++;
	if ((u->rev = event_new(u->pm->base, u->fd, EV_READ | EV_PERSIST,
	    upnp_read, u)) == NULL || event_add(u->rev, NULL) == -1) {
		upnp_reap(u);
		u->op = UP_NONE;
		return -1;
	}
	portmap_arm(u->timer, deadline_us);
	return 0;
}

/* The helper is done (m = its answer, or NULL with why); ended: its
 * output ended, so it exits by itself. */
static void
upnp_done(struct portmap_upnp *u, const struct upnpmsg *m, const char *why,
    int ended)
{
	enum upnp_op	 op = u->op;
	char		 detail[UPNPMSG_DETAIL_MAX + UPNPMSG_WORD_MAX + 2];
	struct in_addr	 in;

	upnp_reap_ended(u, ended);
	u->op = UP_NONE;
	if (m != NULL && m->kind == UPNPMSG_FAIL) {
		snprintf(detail, sizeof(detail), "%s: %s", m->word, m->detail);
		why = detail;
	} else if (m != NULL && ((op == UP_PROBE && m->kind != UPNPMSG_PROBE) ||
	    (op == UP_MAP && m->kind != UPNPMSG_MAP) ||
	    (op == UP_DELETE && m->kind != UPNPMSG_DELETE))) {
		u->pm->st.mismatched++;
		portmap_ignored(u->pm, "a UPnP helper answer to another "
		    "request");
		m = NULL;
		why = "the helper answered another request";
	} else if (m != NULL)
		u->pm->st.answers++;
	switch (op) {
	case UP_PROBE:
		if (m == NULL || m->kind != UPNPMSG_PROBE) {
			portmap_on_unavailable(u->pm, PORTMAP_UPNP, why);
			return;
		}
		snprintf(u->control, sizeof(u->control), "%s", m->control);
		snprintf(u->service, sizeof(u->service), "%s", m->service);
		in.s_addr = htonl(m->lan_ip);
		inet_ntop(AF_INET, &in, u->lan, sizeof(u->lan));
		u->have = 1;
		portmap_on_found(u->pm, PORTMAP_UPNP);
		break;
	case UP_MAP:
		if (m == NULL || m->kind != UPNPMSG_MAP) {
			if (m != NULL)
				u->pm->st.refused++;
			portmap_on_refused(u->pm, PORTMAP_UPNP, why);
			return;
		}
		u->mapped = m->external_port;
		portmap_on_granted(u->pm, PORTMAP_UPNP, m->external_ip,
		    m->external_port, m->lifetime);
		break;
	case UP_DELETE:
		if (m == NULL || m->kind != UPNPMSG_DELETE) {
			log_warnx("portmap: deleting the UPnP mapping: %s", why);
			portmap_on_refused(u->pm, PORTMAP_UPNP, why);
			return;
		}
		u->mapped = 0;
		portmap_on_deleted(u->pm, PORTMAP_UPNP);
		break;
	case UP_NONE:
		break;
	}
}

static void
upnp_failed(struct portmap_upnp *u, const char *why, int ended)
{
	u->pm->st.helper_failures++;
	log_warnx("portmap: the UPnP helper %s", why);
	upnp_done(u, NULL, why, ended);
}

static void
upnp_read(evutil_socket_t fd, short what, void *arg)
{
	struct portmap_upnp	*u = arg;
	struct upnpmsg		 m;
	ssize_t			 n;

	n = read(u->fd, u->out + u->outlen, sizeof(u->out) - u->outlen);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			upnp_failed(u, "could not be read", 0);
		return;
	}
	if (n > 0) {
		u->outlen += (size_t)n;
		if (u->outlen == sizeof(u->out))	/* no line is this long */
			upnp_failed(u, "said too much: killed", 0);
		return;
	}
	/* End of its output: one whole line, or nothing usable. */
	if (u->outlen == 0) {
		upnp_failed(u, "ended without an answer", 1);
		return;
	}
	if (u->out[u->outlen - 1] != '\n' ||
	    memchr(u->out, '\n', u->outlen) != u->out + u->outlen - 1 ||
	    upnpmsg_parse(u->out, u->outlen, &m) == -1) {
		u->pm->st.malformed++;
		portmap_ignored(u->pm, "a UPnP helper answer that does not "
		    "parse (%zu bytes)", u->outlen);
		upnp_done(u, NULL, "an answer that does not parse", 1);
		return;
	}
	upnp_done(u, &m, NULL, 1);
}

static void
upnp_timeout(evutil_socket_t fd, short what, void *arg)
{
	upnp_failed(arg, "ran past its deadline: killed", 0);
}

void
portmap_upnp_probe(struct portmap_upnp *u)
{
	char	*args[] = { (char *)"probe", NULL };

	if (u->op != UP_NONE)
		return;
	u->have = 0;
	if (upnp_spawn(u, UP_PROBE, UPNP_PROBE_US, args) == -1)
		portmap_on_unavailable(u->pm, PORTMAP_UPNP,
		    "the helper did not start");
}

void
portmap_upnp_map(struct portmap_upnp *u, uint16_t eport, uint32_t lifetime)
{
	char	ip[8], ep[8], life[16];
	char	*args[] = { (char *)"map", u->control, u->service, u->lan, ip,
		    ep, life, NULL };

	if (u->op != UP_NONE)
		return;		/* a renewal still running: the retry comes */
	if (!u->have) {
		portmap_on_refused(u->pm, PORTMAP_UPNP, "no gateway device");
		return;
	}
	snprintf(ip, sizeof(ip), "%u", (unsigned)u->pm->conf.internal_port);
	snprintf(ep, sizeof(ep), "%u", (unsigned)eport);
	snprintf(life, sizeof(life), "%u", (unsigned)lifetime);
	if (upnp_spawn(u, UP_MAP, UPNP_MAP_US, args) == -1)
		portmap_on_refused(u->pm, PORTMAP_UPNP,
		    "the helper did not start");
}

void
portmap_upnp_delete(struct portmap_upnp *u)
{
	char	ep[8];
	char	*args[] = { (char *)"delete", u->control, u->service, ep, NULL };

	if (u->op != UP_NONE || !u->have || u->mapped == 0)
		return;
	snprintf(ep, sizeof(ep), "%u", (unsigned)u->mapped);
	if (upnp_spawn(u, UP_DELETE, UPNP_DELETE_US, args) == -1)
		portmap_on_refused(u->pm, PORTMAP_UPNP,
		    "the helper did not start");
}

void
portmap_upnp_cancel(struct portmap_upnp *u)
{
	if (u->op == UP_PROBE) {
		upnp_reap(u);
		u->op = UP_NONE;
	}
}
