// SPDX-License-Identifier: GPL-2.0
/*
 * gen_live.bpf.c - the transmit side of the live-frame traffic generator
 * (gen_live.c). BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES runs this
 * program on copies of one crafted frame "received" on one end of a veth
 * pair; XDP_TX sends each copy out of that end, so it arrives at the peer,
 * where the program under test is. Before sending, the program stamps the
 * frame's source address with one of 2^k sources, so that floods from many
 * sources cost the generator exactly what a flood from one source does;
 * optionally also the source port with one of 2^j ports, and then it keeps
 * the TCP checksum valid, so that a real stack behind the receiver takes
 * the frame for a real segment (the CAS lab, scripts/lab/).
 *
 * A receiver that answers with XDP_TX (the SYN proxy) rewrites the page
 * the frame came in, and the page comes back to this run's pool, which
 * resets only the frame's bounds, never its bytes: with gen_template_len
 * set, each copy is first rewritten whole from the template.
 */
#include <linux/bpf.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Set by gen_live.c between open and load: constants to the verifier. */
const volatile __u32 gen_src_offset = 26;  /* last 4 bytes of the source */
const volatile __u32 gen_ipv4_offset = 14; /* 0: not IPv4, no checksum */
const volatile __u32 gen_source_mask = 0;  /* sources - 1 (power of two) */
const volatile __u32 gen_source_base = 0;  /* host order */
const volatile __u32 gen_random = 0;	   /* 1: hashed order, 0: in turn */
/* Source ports: 0 leaves the port alone; else base + (hash & mask). */
const volatile __u32 gen_sport_offset = 0;
const volatile __u32 gen_sport_mask = 0;
const volatile __u32 gen_sport_base = 0; /* host order */
/* 0: the L4 checksum is not maintained; else where it sits. */
const volatile __u32 gen_l4_csum_offset = 0;
/* 0: frames are stamped as they are; else the frame to start each from. */
#define GEN_TEMPLATE_MAX 128
const volatile __u32 gen_template_len = 0;
const volatile __u8 gen_template[GEN_TEMPLATE_MAX] = {};

/* Frames this CPU has handed to XDP_TX: the sequence number, too. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} gen_sent SEC(".maps");

static __always_inline __u32 gen_mix32(__u32 x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x;
}

/* One's complement of a 32-bit sum folded to 16 bits. */
static __always_inline __u16 gen_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m'), on the 16-bit words as they
 * lie in the frame (a one's complement sum does not care about the byte
 * order, as long as every word is taken the same way).
 */
static __always_inline __u32 gen_csum16(__u32 sum, __u16 old, __u16 new)
{
	return sum + (__u16)~old + new;
}

static __always_inline __u32 gen_csum32(__u32 sum, __u32 old, __u32 new)
{
	sum = gen_csum16(sum, old & 0xffff, new & 0xffff);
	return gen_csum16(sum, old >> 16, new >> 16);
}

/* The IPv4 header checksum, recomputed whole: 20 bytes, no options. */
static __always_inline void gen_ipv4_checksum(struct iphdr *ip)
{
	__u16 *word = (__u16 *)ip;
	__u32 sum = 0;
	int i;

	ip->check = 0;
#pragma unroll
	for (i = 0; i < 10; i++)
		sum += word[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = ~sum & 0xffff;
}

/* The frame rewritten whole from the template, if there is one. */
static __always_inline int gen_restore(struct xdp_md *ctx)
{
	/* The length is a constant to the verifier (frozen .rodata). */
	if (!gen_template_len || gen_template_len > GEN_TEMPLATE_MAX)
		return 0;
	return bpf_xdp_store_bytes(ctx, 0, (void *)gen_template,
				   gen_template_len);
}

SEC("xdp")
int gen_tx(struct xdp_md *ctx)
{
	__u32 zero = 0, index, seq, old, new, sum = 0;
	__u64 *sent = bpf_map_lookup_elem(&gen_sent, &zero);
	void *data, *data_end;
	__be32 *src;
	__u16 *csum;

	if (!sent || gen_restore(ctx))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	src = data + gen_src_offset;
	csum = data + gen_l4_csum_offset;
	if ((void *)(src + 1) > data_end)
		return XDP_ABORTED;
	if (gen_l4_csum_offset) {
		if ((void *)(csum + 1) > data_end)
			return XDP_ABORTED;
		sum = (__u16) ~*csum;
	}
	seq = (__u32)*sent;
	(*sent)++;
	index = gen_random ? gen_mix32(seq) : seq;
	old = *src;
	new = bpf_htonl(gen_source_base + (index & gen_source_mask));
	*src = new;
	if (gen_l4_csum_offset)
		sum = gen_csum32(sum, old, new);
	if (gen_sport_offset) {
		__be16 *sport = data + gen_sport_offset;

		if ((void *)(sport + 1) > data_end)
			return XDP_ABORTED;
		old = *sport;
		new = bpf_htons(gen_sport_base +
				(gen_mix32(seq ^ 0x5bd1e995) & gen_sport_mask));
		*sport = new;
		if (gen_l4_csum_offset)
			sum = gen_csum16(sum, old, new);
	}
	if (gen_l4_csum_offset)
		*csum = ~gen_fold(sum);
	if (gen_ipv4_offset) {
		struct iphdr *ip = data + gen_ipv4_offset;

		if ((void *)(ip + 1) > data_end)
			return XDP_ABORTED;
		gen_ipv4_checksum(ip);
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
