// rawnet: the few raw-packet operations Node cannot do by itself, for public-address
// failover. Everything here is a thin, validated wrapper over one system call sequence:
//
//   sendArp(iface, addr4: Buffer(4), reply: boolean) -> boolean
//       One broadcast gratuitous ARP (request or reply form) for addr4 from iface's MAC.
//       Returns false (nothing sent) when iface is a loopback device.
//   sendNeighbourAdvert(iface, addr6: Buffer(16)) -> boolean
//       One unsolicited neighbour advertisement (override flag, target link-layer option)
//       to ff02::1 with hop limit 255. Sent as a whole Ethernet frame, so it works even while
//       the address is still tentative. false for loopback.
//   sendTcp(src: Buffer(4|16), sport, dst: Buffer(4|16), dport, seq, ack, rst: boolean) -> undefined
//       One TCP segment with ACK (and RST) set and window 1234 (so our own packets are easy to
//       recognise in a capture), through a raw IP socket; checksums computed here.
//   captureOpen() -> fd
//       A non-blocking AF_PACKET datagram socket seeing every TCP segment over IPv4/IPv6, in
//       and out, on every interface of the current network namespace (a socket filter drops
//       the rest in the kernel).
//   captureRead(fd, timeoutMs, maxPackets) -> Promise<Array<{src, sport, dst, dport, seq, ack,
//       flags, window}>>
//       Waits (in a worker thread) up to timeoutMs for the socket to become readable, then
//       drains up to maxPackets frames and returns the TCP ones, parsed.
//   captureClose(fd) -> Promise<undefined>
//       Frees the descriptor at once (it can no longer be read or closed); the close itself
//       runs in a worker thread because it can take tens of milliseconds.
//   hasAddress(addr: Buffer(4|16)) -> boolean
//       Whether an interface of the current network namespace holds addr: one rtnetlink
//       address dump of its family. For ctdbd's once-a-second "are my public addresses
//       really here" check, which would otherwise load a whole netlink library.
//
// The sending sockets are opened once per process and kept (see send_socket).
//
// Failures throw an Error with `errno` (number), `code` ("EPERM"…), `description` (strerror),
// `operation` and `object`.
// Only file descriptors opened by captureOpen are accepted by captureRead/captureClose, and
// a descriptor cannot be closed while a read on it is pending.
#define _GNU_SOURCE
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_addr.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define TICKLE_WINDOW 1234
#define MAX_CAPTURES 64
#define MAX_BATCH 4096

// ---------------------------------------------------------------------------------------------
// Errors

static void throw_errno(napi_env env, int err, const char *operation, const char *object) {
  char message[256];
  const char *name = strerrorname_np(err);
  if (name == NULL) name = "EUNKNOWN";
  snprintf(message, sizeof(message), "%s %s: %s (%s)", operation, object, strerror(err), name);
  napi_value msg, error, value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_int32(env, err, &value);
  napi_set_named_property(env, error, "errno", value);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "code", value);
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "description", value);
  napi_create_string_utf8(env, operation, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "operation", value);
  napi_create_string_utf8(env, object, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "object", value);
  napi_throw(env, error);
}

static void throw_arg(napi_env env, const char *what) {
  throw_errno(env, EINVAL, "argument", what);
}

// ---------------------------------------------------------------------------------------------
// Argument helpers: each returns false after throwing.

static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != want) {
    throw_arg(env, "wrong number of arguments");
    return false;
  }
  return true;
}

static bool get_iface(napi_env env, napi_value v, char out[IFNAMSIZ]) {
  size_t len = 0, copied = 0;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string ||
      napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0 ||
      len >= IFNAMSIZ ||
      napi_get_value_string_utf8(env, v, out, IFNAMSIZ, &copied) != napi_ok || copied != len ||
      strlen(out) != len || strchr(out, '/') != NULL) {
    throw_arg(env, "interface name (1-15 characters)");
    return false;
  }
  return true;
}

// An address Buffer of exactly 4 (IPv4) or 16 (IPv6) bytes, depending on `want` (0 = either).
static bool get_addr(napi_env env, napi_value v, size_t want, uint8_t out[16], size_t *len) {
  bool is_buffer = false;
  void *data = NULL;
  size_t n = 0;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer ||
      napi_get_buffer_info(env, v, &data, &n) != napi_ok || (n != 4 && n != 16) ||
      (want != 0 && n != want)) {
    throw_arg(env, want == 4 ? "IPv4 address (4-byte Buffer)"
                   : want == 16 ? "IPv6 address (16-byte Buffer)"
                                : "IP address (4- or 16-byte Buffer)");
    return false;
  }
  memcpy(out, data, n);
  *len = n;
  return true;
}

static bool get_uint(napi_env env, napi_value v, double max, const char *what, uint32_t *out) {
  double d = 0;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number ||
      napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d <= max) || d != (double)(uint64_t)d) {
    throw_arg(env, what);
    return false;
  }
  *out = (uint32_t)d;
  return true;
}

static bool get_bool(napi_env env, napi_value v, const char *what, bool *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_boolean ||
      napi_get_value_bool(env, v, out) != napi_ok) {
    throw_arg(env, what);
    return false;
  }
  return true;
}

static napi_value js_bool(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Checksums (RFC 1071 one's-complement sum over 16-bit big-endian words)

static uint32_t sum_words(const uint8_t *p, size_t n, uint32_t sum) {
  for (; n >= 2; p += 2, n -= 2) sum += (uint32_t)((p[0] << 8) | p[1]);
  if (n == 1) sum += (uint32_t)(p[0] << 8);
  return sum;
}

static uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint16_t c = (uint16_t)~sum;
  return htons(c);
}

// Checksum of an upper-layer segment with the IPv4 or IPv6 pseudo-header.
static uint16_t l4_checksum(const uint8_t *src, const uint8_t *dst, size_t alen, uint8_t proto,
                            const uint8_t *seg, size_t seglen) {
  uint32_t sum = 0;
  sum = sum_words(src, alen, sum);
  sum = sum_words(dst, alen, sum);
  sum += proto;
  sum += (uint32_t)seglen;
  sum = sum_words(seg, seglen, sum);
  return fold(sum);
}

// ---------------------------------------------------------------------------------------------
// Sending sockets, opened once and kept: closing a packet socket waits for an RCU grace period
// (tens of milliseconds on a busy host), which would stall the event loop on every send. None
// of them receives anything (protocol 0 / IPPROTO_RAW). They belong to the network namespace
// the process was in when they were first used.

enum { SEND_PACKET, SEND_RAW4, SEND_RAW6, SEND_KINDS };
static int send_fds[SEND_KINDS] = {-1, -1, -1};
static pthread_mutex_t send_lock = PTHREAD_MUTEX_INITIALIZER;

static int new_send_socket(int kind) {
  // Non-blocking: packets to a neighbour still being resolved sit in its queue charged to
  // the socket's send buffer, and a blocking send would then stall the event loop.
  int type = SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK;
  return kind == SEND_PACKET ? socket(AF_PACKET, type, 0)
         : kind == SEND_RAW4 ? socket(AF_INET, type, IPPROTO_RAW)
                             : socket(AF_INET6, type, IPPROTO_RAW);
}

// Returns the kept socket of a kind, or -1 with errno set.
static int send_socket(int kind) {
  pthread_mutex_lock(&send_lock);
  int s = send_fds[kind];
  if (s < 0) {
    s = new_send_socket(kind);
    if (s >= 0) send_fds[kind] = s;
  }
  int err = errno;
  pthread_mutex_unlock(&send_lock);
  errno = err;
  return s;
}

// sendto on the kept socket; if its send buffer is full, once more on a fresh socket (with an
// empty buffer), closed straight after.
static ssize_t send_with_fallback(int kind, int s, const void *buf, size_t len,
                                  const struct sockaddr *to, socklen_t tolen) {
  ssize_t n = sendto(s, buf, len, 0, to, tolen);
  if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)) return n;
  int t = new_send_socket(kind);
  if (t < 0) return -1;
  n = sendto(t, buf, len, 0, to, tolen);
  int err = errno;
  close(t);
  errno = err;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Link-layer sends (gratuitous ARP, neighbour advertisement)

struct link_info {
  int ifindex;
  uint8_t mac[ETH_ALEN];
  bool loopback;
};

// Looks up iface's index and MAC. Returns the packet socket to send on, or -1 after throwing.
static int open_link(napi_env env, const char *iface, struct link_info *li) {
  int s = send_socket(SEND_PACKET);
  if (s < 0) {
    throw_errno(env, errno, "socket(AF_PACKET)", iface);
    return -1;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.ifr_name, iface, strlen(iface));
  if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) {
    int err = errno;
    throw_errno(env, err, "SIOCGIFINDEX", iface);
    return -1;
  }
  li->ifindex = ifr.ifr_ifindex;
  if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
    int err = errno;
    throw_errno(env, err, "SIOCGIFHWADDR", iface);
    return -1;
  }
  li->loopback = ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK;
  if (!li->loopback && ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    throw_errno(env, EINVAL, "not an Ethernet interface", iface);
    return -1;
  }
  memcpy(li->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
  return s;
}

static bool send_frame(napi_env env, int s, const struct link_info *li, const uint8_t *frame,
                       size_t len, const char *iface) {
  struct sockaddr_ll to;
  memset(&to, 0, sizeof(to));
  to.sll_family = AF_PACKET;
  to.sll_ifindex = li->ifindex;
  to.sll_halen = ETH_ALEN;
  memcpy(to.sll_addr, frame, ETH_ALEN);         // the frame's destination MAC
  memcpy(&to.sll_protocol, frame + 12, 2);      // and its EtherType, already in network order
  ssize_t n = send_with_fallback(SEND_PACKET, s, frame, len, (struct sockaddr *)&to, sizeof(to));
  if (n < 0 || (size_t)n != len) {
    throw_errno(env, n < 0 ? errno : EIO, "sendto(AF_PACKET)", iface);
    return false;
  }
  return true;
}

static napi_value send_arp(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  char iface[IFNAMSIZ];
  uint8_t addr[16];
  size_t alen;
  bool reply;
  if (!get_args(env, info, 3, argv) || !get_iface(env, argv[0], iface) ||
      !get_addr(env, argv[1], 4, addr, &alen) || !get_bool(env, argv[2], "reply flag", &reply))
    return NULL;

  struct link_info li;
  int s = open_link(env, iface, &li);
  if (s < 0) return NULL;
  if (li.loopback) return js_bool(env, false);

  // Ethernet header (14) + ARP for IPv4 over Ethernet (28), padded to the 60-byte minimum.
  uint8_t f[60];
  memset(f, 0, sizeof(f));
  memset(f, 0xff, ETH_ALEN);
  memcpy(f + 6, li.mac, ETH_ALEN);
  f[12] = ETHERTYPE_ARP >> 8;
  f[13] = ETHERTYPE_ARP & 0xff;
  uint8_t *a = f + 14;
  a[0] = 0, a[1] = ARPHRD_ETHER;            // hardware type
  a[2] = ETHERTYPE_IP >> 8, a[3] = 0;       // protocol type 0x0800
  a[4] = ETH_ALEN, a[5] = 4;                // address lengths
  a[6] = 0, a[7] = reply ? ARPOP_REPLY : ARPOP_REQUEST;
  memcpy(a + 8, li.mac, ETH_ALEN);          // sender MAC
  memcpy(a + 14, addr, 4);                  // sender IP
  if (reply) memcpy(a + 18, li.mac, ETH_ALEN);  // target MAC: zero in a request, ours in a reply
  memcpy(a + 24, addr, 4);                  // target IP = sender IP: "gratuitous"

  bool ok = send_frame(env, s, &li, f, sizeof(f), iface);
  return ok ? js_bool(env, true) : NULL;
}

static napi_value send_neighbour_advert(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char iface[IFNAMSIZ];
  uint8_t addr[16];
  size_t alen;
  if (!get_args(env, info, 2, argv) || !get_iface(env, argv[0], iface) ||
      !get_addr(env, argv[1], 16, addr, &alen))
    return NULL;

  struct link_info li;
  int s = open_link(env, iface, &li);
  if (s < 0) return NULL;
  if (li.loopback) return js_bool(env, false);

  // Ethernet (14) + IPv6 (40) + NA (24) + target link-layer option (8) = 86 bytes.
  enum { ETH = 14, IP6 = 40, NA = 24, OPT = 8, PLEN = NA + OPT };
  uint8_t f[ETH + IP6 + PLEN];
  memset(f, 0, sizeof(f));
  static const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  // 33:33 + low 32 bits of ff02::1 (RFC 2464 section 7)
  f[0] = 0x33, f[1] = 0x33, f[5] = 0x01;
  memcpy(f + 6, li.mac, ETH_ALEN);
  f[12] = ETHERTYPE_IPV6 >> 8;
  f[13] = ETHERTYPE_IPV6 & 0xff;
  uint8_t *ip = f + ETH;
  ip[0] = 6 << 4;
  ip[4] = PLEN >> 8, ip[5] = PLEN & 0xff;
  ip[6] = IPPROTO_ICMPV6;
  ip[7] = 255;  // hop limit 255, or receivers drop it (RFC 4861 7.1.2)
  memcpy(ip + 8, addr, 16);
  memcpy(ip + 24, all_nodes, 16);
  uint8_t *na = ip + IP6;
  na[0] = ND_NEIGHBOR_ADVERT;
  na[4] = 0x20;  // flags: Override only (not Router, not Solicited)
  memcpy(na + 8, addr, 16);
  na[24] = ND_OPT_TARGET_LINKADDR;
  na[25] = 1;  // length in units of 8 octets
  memcpy(na + 26, li.mac, ETH_ALEN);
  uint16_t c = l4_checksum(addr, all_nodes, 16, IPPROTO_ICMPV6, na, PLEN);
  memcpy(na + 2, &c, 2);

  bool ok = send_frame(env, s, &li, f, sizeof(f), iface);
  return ok ? js_bool(env, true) : NULL;
}

// ---------------------------------------------------------------------------------------------
// Raw TCP segments (tickle ACKs and RSTs)

static void fill_tcp(uint8_t *t, uint32_t sport, uint32_t dport, uint32_t seq, uint32_t ack,
                     bool rst) {
  t[0] = (uint8_t)(sport >> 8), t[1] = (uint8_t)sport;
  t[2] = (uint8_t)(dport >> 8), t[3] = (uint8_t)dport;
  uint32_t nseq = htonl(seq), nack = htonl(ack);
  memcpy(t + 4, &nseq, 4);
  memcpy(t + 8, &nack, 4);
  t[12] = 5 << 4;  // data offset: 20 bytes, no options
  t[13] = TH_ACK | (rst ? TH_RST : 0);
  t[14] = TICKLE_WINDOW >> 8, t[15] = TICKLE_WINDOW & 0xff;
}

static napi_value send_tcp(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  uint8_t src[16], dst[16];
  size_t slen, dlen;
  uint32_t sport, dport, seq, ack;
  bool rst;
  if (!get_args(env, info, 7, argv) || !get_addr(env, argv[0], 0, src, &slen) ||
      !get_uint(env, argv[1], 65535, "source port (0-65535)", &sport) ||
      !get_addr(env, argv[2], slen, dst, &dlen) ||
      !get_uint(env, argv[3], 65535, "destination port (0-65535)", &dport) ||
      !get_uint(env, argv[4], 4294967295.0, "sequence number (uint32)", &seq) ||
      !get_uint(env, argv[5], 4294967295.0, "acknowledgement number (uint32)", &ack) ||
      !get_bool(env, argv[6], "rst flag", &rst))
    return NULL;

  char object[INET6_ADDRSTRLEN + 8];
  inet_ntop(dlen == 4 ? AF_INET : AF_INET6, dst, object, INET6_ADDRSTRLEN);
  snprintf(object + strlen(object), 8, ":%u", (unsigned)dport);

  uint8_t pkt[60];
  memset(pkt, 0, sizeof(pkt));
  size_t len;
  int s;
  struct sockaddr_storage to;
  socklen_t tolen;
  memset(&to, 0, sizeof(to));

  if (slen == 4) {
    // IPv4 header by hand (IP_HDRINCL); the kernel fills in the id and header checksum.
    len = 20 + 20;
    pkt[0] = 0x45;
    pkt[2] = 0, pkt[3] = (uint8_t)len;
    pkt[8] = 255;  // TTL
    pkt[9] = IPPROTO_TCP;
    memcpy(pkt + 12, src, 4);
    memcpy(pkt + 16, dst, 4);
    fill_tcp(pkt + 20, sport, dport, seq, ack, rst);
    uint16_t c = l4_checksum(src, dst, 4, IPPROTO_TCP, pkt + 20, 20);
    memcpy(pkt + 20 + 16, &c, 2);
    s = send_socket(SEND_RAW4);  // IPPROTO_RAW implies IP_HDRINCL
    struct sockaddr_in *sin = (struct sockaddr_in *)&to;
    sin->sin_family = AF_INET;
    memcpy(&sin->sin_addr, dst, 4);
    tolen = sizeof(*sin);
  } else {
    len = 40 + 20;
    pkt[0] = 6 << 4;
    pkt[4] = 0, pkt[5] = 20;  // payload length
    pkt[6] = IPPROTO_TCP;
    pkt[7] = 64;  // hop limit
    memcpy(pkt + 8, src, 16);
    memcpy(pkt + 24, dst, 16);
    fill_tcp(pkt + 40, sport, dport, seq, ack, rst);
    uint16_t c = l4_checksum(src, dst, 16, IPPROTO_TCP, pkt + 40, 20);
    memcpy(pkt + 40 + 16, &c, 2);
    // On Linux an AF_INET6 IPPROTO_RAW socket sends the header we give it.
    s = send_socket(SEND_RAW6);
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;
    sin6->sin6_family = AF_INET6;
    memcpy(&sin6->sin6_addr, dst, 16);  // port stays 0, as raw IPv6 sockets require
    tolen = sizeof(*sin6);
  }
  if (s < 0) {
    throw_errno(env, errno, "socket(SOCK_RAW)", object);
    return NULL;
  }
  ssize_t n = send_with_fallback(slen == 4 ? SEND_RAW4 : SEND_RAW6, s, pkt, len,
                                 (struct sockaddr *)&to, tolen);
  int err = errno;
  if (n < 0 || (size_t)n != len) {
    throw_errno(env, n < 0 ? err : EIO, "sendto(SOCK_RAW)", object);
    return NULL;
  }
  return NULL;  // undefined
}

// ---------------------------------------------------------------------------------------------
// Capture

struct capture_slot {
  int fd;     // -1 when free
  bool busy;  // a captureRead is in flight
};
// One table per process; the lock makes it safe when several Node environments (worker
// threads) use the addon at once. Calls and completions hold it only briefly.
static struct capture_slot captures[MAX_CAPTURES] = {[0 ... MAX_CAPTURES - 1] = {-1, false}};
static pthread_mutex_t captures_lock = PTHREAD_MUTEX_INITIALIZER;

static struct capture_slot *find_capture(int fd) {
  for (int i = 0; i < MAX_CAPTURES; i++)
    if (captures[i].fd == fd) return &captures[i];
  return NULL;
}

static napi_value capture_open(napi_env env, napi_callback_info info) {
  (void)info;
  int s = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (s < 0) {
    throw_errno(env, errno, "socket(AF_PACKET)", "capture");
    return NULL;
  }
  // Keep only TCP over IPv4/IPv6, cut to 128 bytes (headers), so a busy host does not fill
  // the queue with traffic we would drop anyway. Offsets are from the network header.
  static struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 2),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 3, 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 3),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 128),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
  if (setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
    int err = errno;
    close(s);
    throw_errno(env, err, "SO_ATTACH_FILTER", "capture");
    return NULL;
  }
  // Room for the answers to a whole batch of tickles (and the copies of our own sends) even
  // if the reading thread falls behind; FORCE needs CAP_NET_ADMIN, else the sysctl cap applies.
  int rcvbuf = 8 << 20;
  if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
    (void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  pthread_mutex_lock(&captures_lock);
  struct capture_slot *slot = find_capture(-1);
  if (slot != NULL) {
    slot->fd = s;
    slot->busy = false;
  }
  pthread_mutex_unlock(&captures_lock);
  if (slot == NULL) {
    close(s);
    throw_errno(env, EMFILE, "captureOpen", "too many open captures");
    return NULL;
  }
  napi_value v;
  napi_create_int32(env, s, &v);
  return v;
}

// Claims a descriptor from captureOpen that has no read in flight: with `start_read` the slot
// is marked busy (a read begins); otherwise the slot is freed and the caller closes the fd.
static bool claim_capture(napi_env env, napi_value v, bool start_read, int *fd_out) {
  uint32_t fd;
  if (!get_uint(env, v, 2147483647.0, "capture descriptor", &fd)) return false;
  int err = 0;
  pthread_mutex_lock(&captures_lock);
  struct capture_slot *slot = find_capture((int)fd);
  if (slot == NULL) {
    err = EBADF;
  } else if (slot->busy) {
    err = EBUSY;
  } else if (start_read) {
    slot->busy = true;
  } else {
    slot->fd = -1;
  }
  pthread_mutex_unlock(&captures_lock);
  if (err != 0) {
    throw_errno(env, err, "capture",
                err == EBADF ? "descriptor not opened by captureOpen"
                             : "a read is already pending on this descriptor");
    return false;
  }
  *fd_out = (int)fd;
  return true;
}

static void end_read(int fd) {
  pthread_mutex_lock(&captures_lock);
  struct capture_slot *slot = find_capture(fd);
  if (slot != NULL) slot->busy = false;
  pthread_mutex_unlock(&captures_lock);
}

struct close_work {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
};

// close() of a packet socket waits for an RCU grace period, so it runs in a worker thread.
static void close_execute(napi_env env, void *data) {
  (void)env;
  struct close_work *w = data;
  close(w->fd);
}

static void close_complete(napi_env env, napi_status status, void *data) {
  (void)status;
  struct close_work *w = data;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_resolve_deferred(env, w->deferred, undefined);
  napi_delete_async_work(env, w->work);
  free(w);
}

static napi_value capture_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv) || !claim_capture(env, argv[0], false, &fd)) return NULL;
  // The descriptor is out of the table now, so it cannot be read or closed again.
  struct close_work *w = calloc(1, sizeof(*w));
  napi_value promise, name;
  if (w == NULL) {
    close(fd);
    napi_get_undefined(env, &promise);
    return promise;
  }
  w->fd = fd;
  napi_create_promise(env, &w->deferred, &promise);
  napi_create_string_utf8(env, "rawnet.captureClose", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, close_execute, close_complete, w, &w->work) !=
          napi_ok ||
      napi_queue_async_work(env, w->work) != napi_ok) {
    close(fd);  // could not queue: close here instead, and settle the promise now
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, w->deferred, undefined);
    free(w);
  }
  return promise;
}

struct tcp_record {
  uint8_t family;  // 4 or 6
  uint8_t src[16], dst[16];
  uint16_t sport, dport, window;
  uint32_t seq, ack;
  uint8_t flags;
};

struct read_work {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  int timeout_ms;
  uint32_t max;
  struct tcp_record *records;
  uint32_t count;
  int err;  // errno of a failed poll/recv, 0 if none
};

// Parses one IP datagram (no link-layer header). Returns true for a TCP segment with enough
// header to read ports, sequence numbers, flags and window.
static bool parse_tcp(const uint8_t *p, size_t n, uint16_t ethertype, struct tcp_record *r) {
  const uint8_t *t;
  size_t tlen;
  if (ethertype == ETH_P_IP) {
    if (n < 20 || (p[0] >> 4) != 4) return false;
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    if (ihl < 20 || n < ihl) return false;
    if (((p[6] << 8 | p[7]) & 0x1fff) != 0) return false;  // a non-first fragment
    if (p[9] != IPPROTO_TCP) return false;
    r->family = 4;
    memcpy(r->src, p + 12, 4);
    memcpy(r->dst, p + 16, 4);
    t = p + ihl;
    tlen = n - ihl;
  } else if (ethertype == ETH_P_IPV6) {
    // Extension headers are not followed: tickle replies and plain ACKs do not carry them.
    if (n < 40 || (p[0] >> 4) != 6 || p[6] != IPPROTO_TCP) return false;
    r->family = 6;
    memcpy(r->src, p + 8, 16);
    memcpy(r->dst, p + 24, 16);
    t = p + 40;
    tlen = n - 40;
  } else {
    return false;
  }
  if (tlen < 16) return false;
  r->sport = (uint16_t)(t[0] << 8 | t[1]);
  r->dport = (uint16_t)(t[2] << 8 | t[3]);
  uint32_t v;
  memcpy(&v, t + 4, 4);
  r->seq = ntohl(v);
  memcpy(&v, t + 8, 4);
  r->ack = ntohl(v);
  r->flags = t[13];
  r->window = (uint16_t)(t[14] << 8 | t[15]);
  return true;
}

static void read_execute(napi_env env, void *data) {
  (void)env;
  struct read_work *w = data;
  struct pollfd pfd = {.fd = w->fd, .events = POLLIN, .revents = 0};
  int rc = poll(&pfd, 1, w->timeout_ms);
  if (rc < 0) {
    w->err = errno == EINTR ? 0 : errno;
    return;
  }
  if (rc == 0) return;
  uint8_t buf[128];  // headers only; MSG_TRUNC would report the real length
  for (uint32_t i = 0; i < w->max * 4 && w->count < w->max; i++) {
    struct sockaddr_ll from;
    socklen_t fromlen = sizeof(from);
    ssize_t n = recvfrom(w->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) w->err = errno;
      return;
    }
    if (parse_tcp(buf, (size_t)n, ntohs(from.sll_protocol), &w->records[w->count])) w->count++;
  }
}

static napi_value addr_buffer(napi_env env, const uint8_t *a, size_t len) {
  napi_value b;
  void *data;
  napi_create_buffer_copy(env, len, a, &data, &b);
  return b;
}

static void set_uint(napi_env env, napi_value obj, const char *name, uint32_t value) {
  napi_value v;
  napi_create_uint32(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

static void read_complete(napi_env env, napi_status status, void *data) {
  struct read_work *w = data;
  end_read(w->fd);
  if (status != napi_ok || (w->err != 0 && w->count == 0)) {
    int err = status != napi_ok ? ECANCELED : w->err;
    const char *name = strerrorname_np(err);
    char message[160];
    snprintf(message, sizeof(message), "recv capture: %s (%s)", strerror(err), name ? name : "?");
    napi_value msg, error, v;
    napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &error);
    napi_create_int32(env, err, &v);
    napi_set_named_property(env, error, "errno", v);
    napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, error, "code", v);
    napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, error, "description", v);
    napi_create_string_utf8(env, "recv", NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, error, "operation", v);
    napi_create_string_utf8(env, "capture", NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, error, "object", v);
    napi_reject_deferred(env, w->deferred, error);
  } else {
    napi_value arr;
    napi_create_array_with_length(env, w->count, &arr);
    for (uint32_t i = 0; i < w->count; i++) {
      const struct tcp_record *r = &w->records[i];
      size_t alen = r->family == 4 ? 4 : 16;
      napi_value o;
      napi_create_object(env, &o);
      napi_set_named_property(env, o, "src", addr_buffer(env, r->src, alen));
      napi_set_named_property(env, o, "dst", addr_buffer(env, r->dst, alen));
      set_uint(env, o, "sport", r->sport);
      set_uint(env, o, "dport", r->dport);
      set_uint(env, o, "seq", r->seq);
      set_uint(env, o, "ack", r->ack);
      set_uint(env, o, "flags", r->flags);
      set_uint(env, o, "window", r->window);
      napi_set_element(env, arr, i, o);
    }
    napi_resolve_deferred(env, w->deferred, arr);
  }
  napi_delete_async_work(env, w->work);
  free(w->records);
  free(w);
}

static napi_value capture_read(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint32_t timeout_ms, max;
  int fd;
  if (!get_args(env, info, 3, argv) ||
      !get_uint(env, argv[1], 60000, "timeout in ms (0-60000)", &timeout_ms) ||
      !get_uint(env, argv[2], MAX_BATCH, "max packets (1-4096)", &max))
    return NULL;
  if (max == 0) {
    throw_arg(env, "max packets (1-4096)");
    return NULL;
  }
  struct read_work *w = calloc(1, sizeof(*w));
  if (w != NULL) w->records = calloc(max, sizeof(struct tcp_record));
  if (w == NULL || w->records == NULL) {
    if (w != NULL) free(w);
    throw_errno(env, ENOMEM, "captureRead", "buffer");
    return NULL;
  }
  if (!claim_capture(env, argv[0], true, &fd)) {
    free(w->records);
    free(w);
    return NULL;
  }
  w->fd = fd;
  w->timeout_ms = (int)timeout_ms;
  w->max = max;
  napi_value promise, name;
  napi_create_promise(env, &w->deferred, &promise);
  napi_create_string_utf8(env, "rawnet.captureRead", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, read_execute, read_complete, w, &w->work) != napi_ok ||
      napi_queue_async_work(env, w->work) != napi_ok) {
    end_read(fd);
    free(w->records);
    free(w);
    throw_errno(env, EAGAIN, "captureRead", "queue");
    return NULL;
  }
  return promise;
}


// ---------------------------------------------------------------------------------------------
// Is an address on one of our interfaces?

// Walks one rtnetlink RTM_GETADDR dump of `family`; true when some interface holds `want`.
// Sets *err (an errno) when the dump fails.
static bool dump_has_address(int family, const uint8_t *want, size_t len, int *err) {
  *err = 0;
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) {
    *err = errno;
    return false;
  }
  struct {
    struct nlmsghdr nh;
    struct ifaddrmsg ifa;
  } req;
  memset(&req, 0, sizeof(req));
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  req.nh.nlmsg_type = RTM_GETADDR;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nh.nlmsg_seq = 1;
  req.ifa.ifa_family = (uint8_t)family;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(s, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
    *err = errno;
    close(s);
    return false;
  }
  // 32 KiB holds hundreds of addresses per read; the kernel sends the dump in several reads.
  static __thread uint8_t buf[32768];
  bool found = false;
  for (;;) {
    ssize_t n = recv(s, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      break;
    }
    if (n == 0) break;
    bool done = false;
    for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
         nh = NLMSG_NEXT(nh, n)) {
      if (nh->nlmsg_type == NLMSG_DONE) {
        done = true;
        break;
      }
      if (nh->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(nh);
        *err = e->error < 0 ? -e->error : EIO;
        done = true;
        break;
      }
      if (nh->nlmsg_type != RTM_NEWADDR || found) continue;
      const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
      if (ifa->ifa_family != family) continue;
      int alen = (int)IFA_PAYLOAD(nh);
      for (const struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
        // IFA_LOCAL is the interface's own address on point-to-point links, IFA_ADDRESS
        // elsewhere (where both are the same).
        if ((rta->rta_type == IFA_LOCAL || rta->rta_type == IFA_ADDRESS) &&
            RTA_PAYLOAD(rta) == len && memcmp(RTA_DATA(rta), want, len) == 0) {
          found = true;
          break;
        }
      }
    }
    if (done) break;
  }
  close(s);
  return found && *err == 0;
}

static napi_value has_address(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  uint8_t addr[16];
  size_t len;
  if (!get_addr(env, argv[0], 0, addr, &len)) return NULL;
  int err;
  bool found = dump_has_address(len == 4 ? AF_INET : AF_INET6, addr, len, &err);
  if (err != 0) {
    throw_errno(env, err, "address dump", len == 4 ? "IPv4" : "IPv6");
    return NULL;
  }
  return js_bool(env, found);
}

// ---------------------------------------------------------------------------------------------

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sendArp", NULL, send_arp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendNeighbourAdvert", NULL, send_neighbour_advert, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendTcp", NULL, send_tcp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"captureOpen", NULL, capture_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"captureRead", NULL, capture_read, NULL, NULL, NULL, napi_enumerable, NULL},
      {"captureClose", NULL, capture_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hasAddress", NULL, has_address, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
