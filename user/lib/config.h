/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.h - the YAML configuration file (docs/config.md): parsed with
 * libyaml into plain structs, every value checked with the CLI's own
 * parsers, every error reported as FILE:LINE: KEY: what was expected.
 */
#ifndef CAS_USER_CONFIG_H
#define CAS_USER_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include "casshield.h"
#include "metrics.h"
#include "values.h"

#define CAS_CONFIG_DEFAULT "/etc/casshield/casshield.yaml"

struct cas_config_rule {
	struct cas_rule rule;	    /* prefix, name, limits, binding */
	struct cas_port_list ports; /* empty: every protected port */
	unsigned int line;
};

struct cas_config_limits {
	__u32 syn_rate, syn_burst, hello_rate, hello_burst;
	/* the SYN proxy's SYN-ACK cap; absent: CAS_SYNACK_RATE_DEFAULT */
	__u32 synack_rate, synack_burst;
	__u16 min_tls;
};

struct cas_config_iface {
	char name[IF_NAMESIZE];
	enum cas_attach_mode mode;
	bool monitor;
	bool synproxy; /* answer SYNs on the protected TCP ports (synproxy.h) */
	struct cas_port_list ports;
	struct cas_config_limits limits;
	struct cas_config_rule *rules;
	size_t rule_count;
	unsigned int line;
};

struct cas_config {
	struct cas_config_iface *ifaces;
	size_t iface_count;
	char listen[64];
};

/*
 * 0, or -EINVAL with err (CAS_CONFIG_ERRBUF bytes) holding one line:
 * "FILE:LINE: KEY: problem (expected ...)". On error nothing is allocated.
 */
#define CAS_CONFIG_ERRBUF 512
int cas_config_load(const char *path, struct cas_config *config, char *err);
/* The same from a string; name stands for the path in messages. */
int cas_config_load_string(const char *text, const char *name,
			   struct cas_config *config, char *err);
void cas_config_free(struct cas_config *config);
/* The ruleset the file describes, for `check` and logs. */
void cas_config_print(FILE *out, const struct cas_config *config);
/* The configuration as YAML that cas_config_load reads back (rollback). */
void cas_config_write(FILE *out, const struct cas_config *config);
const struct cas_config_iface *cas_config_find(const struct cas_config *config,
					       const char *ifname);

#endif /* CAS_USER_CONFIG_H */
