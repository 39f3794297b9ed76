/* SPDX-License-Identifier: ISC */
/*
 * ctl_msg.c: p2pctl send and recv.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "p2pctl.h"

static const struct option ctl_msg_opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "service", required_argument, NULL, 'S' },
	{ "sync", no_argument, NULL, 'y' },
	{ "count", required_argument, NULL, 'n' },
	{ "timeout", required_argument, NULL, 't' },
	{ "mode", required_argument, NULL, 'M' },
	{ "channel", required_argument, NULL, 'C' },
	{ "priority", required_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 }
};

/* Delivery modes by name, indexed by P2PCLIENT_MODE(). */
static const char *ctl_modes[] = { "reliable", "unordered", "sequenced",
    "unreliable" };

static const char *
ctl_mode_name(uint32_t mode)
{
	return mode < 4 ? ctl_modes[mode] : "unknown";
}

/* Priority classes by name, indexed by P2PCLIENT_PRIORITY(). */
static const char *ctl_prios[] = { "normal", "high", "low" };

/* --mode NAME, --priority NAME and --channel N into send flags. */
static int
ctl_send_opt(int ch, const char *arg, int *flags)
{
	unsigned long	 v;
	char		*end;
	int		 i;

	if (ch == 'M') {
		for (i = 0; i < 4; i++)
			if (strcmp(arg, ctl_modes[i]) == 0) {
				*flags = (*flags & ~0x06) | (i << 1);
				return 0;
			}
		return -1;
	}
	if (ch == 'P') {
		for (i = 0; i < 3; i++)
			if (strcmp(arg, ctl_prios[i]) == 0) {
				*flags = (*flags & ~0x30000) | (i << 16);
				return 0;
			}
		return -1;
	}
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || *arg == '-' ||
	    v > 255)
		return -1;
	*flags = (*flags & ~0xff00) | P2PCLIENT_CHANNEL(v);
	return 0;
}

/* All of stdin, up to the largest message p2pd takes. */
int
ctl_read_stdin(uint8_t **out, size_t *outlen)
{
	uint8_t	*buf = NULL, *nb;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;

	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 64 * 1024;
			if (cap > P2PCLIENT_MAX_MSG + 1)
				cap = P2PCLIENT_MAX_MSG + 1;
			if (len == cap || (nb = realloc(buf, cap)) == NULL) {
				free(buf);
				errno = len == cap ? EFBIG : ENOMEM;
				return -1;
			}
			buf = nb;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int
ctl_send(struct ctl *ctl, int argc, char **argv)
{
	const char	*service = "default", *peer;
	uint8_t		*data = NULL;
	size_t		 len;
	int		 ch, flags = 0, rc;

	while ((ch = ctl_getopt(ctl, argc, argv, "", ctl_msg_opts)) != -1) {
		switch (ch) {
		case 'S':
			service = optarg;
			break;
		case 'y':
			flags |= P2PCLIENT_SYNC;
			break;
		case 'M':
		case 'C':
		case 'P':
			if (ctl_send_opt(ch, optarg, &flags) == -1)
				return ctl_usage(ctl, "bad --%s '%s' (modes: "
				    "reliable unordered sequenced unreliable; "
				    "channels 0..255; priorities: normal high "
				    "low)", ch == 'M' ? "mode" : ch == 'C' ?
				    "channel" : "priority", optarg);
			break;
		default:
			return ctl_usage(ctl, "bad option '%s'",
			    argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return ctl_usage(ctl, argc - optind < 2 ?
		    "PEER and MESSAGE are required" : "too many arguments");
	peer = argv[optind];
	if (strcmp(argv[optind + 1], "-") == 0) {
		if (ctl_read_stdin(&data, &len) == -1) {
			fprintf(stderr, "p2pctl: send: reading stdin: %s\n",
			    errno == EFBIG ? "message larger than 256 MiB" :
			    strerror(errno));
			return CTL_FAIL;
		}
	} else
		len = strlen(argv[optind + 1]);
	if ((rc = ctl_connect(ctl)) != CTL_OK) {
		free(data);
		return rc;
	}
	rc = p2pclient_send(ctl->c, peer, service, data != NULL ? data :
	    (uint8_t *)argv[optind + 1], len, flags);
	free(data);
	if (rc != 0)
		return ctl_fail(ctl, rc, "send");
	return CTL_OK;
}

static void
ctl_recv_print(const struct p2pclient_event *ev, void *arg)
{
	struct ctl		*ctl = arg;
	struct json_object	*o;

	if (!ctl->json) {
		fwrite(ev->data, 1, ev->len, stdout);
		putchar('\n');
		fflush(stdout);
		return;
	}
	o = json_object_new_object();
	ctl_json_str(o, "from", ev->peer_id);
	ctl_json_str(o, "service", ev->service);
	if (ctl_json_add_data(o, ev->data, ev->len) == -1)
		json_object_object_add(o, "data", json_object_new_string(""));
	if (ev->group != NULL && ev->group[0] != '\0')
		ctl_json_str(o, "group", ev->group);
	json_object_object_add(o, "channel",
	    json_object_new_int64((int64_t)ev->channel));
	json_object_object_add(o, "mode",
	    json_object_new_string(ctl_mode_name(ev->mode)));
	ctl_json_print(o);
}

int
ctl_recv(struct ctl *ctl, int argc, char **argv)
{
	const char	*service = "default";
	uint32_t	 count = 1;
	int		 ch, tmo = -1, rc;

	while ((ch = ctl_getopt(ctl, argc, argv, "", ctl_msg_opts)) != -1) {
		switch (ch) {
		case 'S':
			service = optarg;
			break;
		case 'n':
			if (ctl_parse_count(optarg, &count) == -1)
				return ctl_usage(ctl, "bad --count '%s'",
				    optarg);
			break;
		default:
			if ((rc = ctl_opt_other(ctl, ch, argv, &tmo)) != CTL_OK)
				return rc;
			break;
		}
	}
	if (optind != argc)
		return ctl_usage(ctl, "unexpected argument '%s'", argv[optind]);
	if ((rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	if ((rc = p2pclient_bind(ctl->c, service)) != 0)
		return ctl_fail(ctl, rc, "recv");
	rc = p2pclient_recv(ctl->c, service, count, tmo, ctl_recv_print, ctl,
	    NULL);
	if (rc < 0)
		return ctl_fail(ctl, rc, "recv");
	if ((uint32_t)rc < count) {
		fprintf(stderr, "p2pctl: recv: timed out with %d of %u "
		    "messages\n", rc, count);
		return CTL_FAIL;
	}
	return CTL_OK;
}
