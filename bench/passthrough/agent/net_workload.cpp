#include "net_workload.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "pattern.hpp"

namespace vfiokit::passthrough {
namespace {

constexpr std::uint64_t kHelloMagic = 0x56464b4e45543031ULL;  // "VFKNET01"
constexpr std::uint64_t kModeSink = 1, kModeSource = 2, kModeEcho = 3;
constexpr std::size_t kBatch = 16 * kUnitSize;  // 64 KiB per send/recv call
constexpr std::size_t kMsgSize = 64;
constexpr std::uint64_t kEndSeq = ~0ULL;

struct Hello {
  std::uint64_t magic, mode, bytes, seed;
};
struct Reply {
  std::uint64_t status;  // 0: data check passed
  std::uint64_t verified;
  char detail[240];
};

bool read_all(int fd, void* buf, std::size_t len) {
  auto* p = static_cast<std::uint8_t*>(buf);
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= std::size_t(n);
  }
  return true;
}

bool write_all(int fd, const void* buf, std::size_t len) {
  const auto* p = static_cast<const std::uint8_t*>(buf);
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= std::size_t(n);
  }
  return true;
}

class Connection {
 public:
  explicit Connection(const NetConfig& c) : peer_(c.peer_ip + ":" + std::to_string(c.peer_port)) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(c.peer_port);
    if (inet_pton(AF_INET, c.peer_ip.c_str(), &sa.sin_addr) != 1)
      throw std::runtime_error("peer address '" + c.peer_ip + "' is not an IPv4 address");
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{30, 0};  // a peer that stops answering fails the run instead of hanging it
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
      fail("connect",
           "is the peer (vfiokit-passthrough-agent serve) running and reachable from the guest?");
  }
  ~Connection() { close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  int fd() const { return fd_; }
  [[noreturn]] void fail(const std::string& op, const std::string& hint = "") const {
    int err = errno;
    throw std::runtime_error(op + " with peer " + peer_ + ": " +
                             (err ? std::strerror(err) : "connection closed") +
                             (hint.empty() ? "" : " (" + hint + ")"));
  }
  void send(const void* p, std::size_t n) const {
    errno = 0;
    if (!write_all(fd_, p, n)) fail("send");
  }
  void recv(void* p, std::size_t n) const {
    errno = 0;
    if (!read_all(fd_, p, n)) fail("receive");
  }

 private:
  std::string peer_;
  int fd_ = -1;
};

void check_reply(const Reply& r, Measurement& m) {
  if (r.status != 0) m.fail("peer: " + std::string(r.detail, strnlen(r.detail, sizeof r.detail)));
}

void stream_tx(const NetConfig& c, Measurement& m) {
  Connection conn(c);
  const std::uint64_t total = c.stream_mib << 20;
  Hello h{kHelloMagic, kModeSink, total, c.seed};
  std::vector<std::uint8_t> buf(kBatch);
  std::uint64_t cpu0 = cpu_ns(), start = now_ns();
  conn.send(&h, sizeof h);
  for (std::uint64_t off = 0; off < total; off += kBatch) {
    for (std::size_t u = 0; u < kBatch / kUnitSize; ++u)
      fill_unit(buf.data() + u * kUnitSize, kUnitSize, c.seed, off / kUnitSize + u);
    std::uint64_t t0 = now_ns();
    conn.send(buf.data(), kBatch);
    m.latencies_ns.push_back(now_ns() - t0);
    m.ops++;
  }
  Reply r{};
  conn.recv(&r, sizeof r);
  m.busy_ns = now_ns() - start;
  m.cpu_ns = cpu_ns() - cpu0;
  m.bytes = total;
  m.bytes_verified = r.verified;
  check_reply(r, m);
  if (r.status == 0 && r.verified != total)
    m.fail("peer verified " + std::to_string(r.verified) + " of " + std::to_string(total) +
           " bytes");
  m.extra = {{"stream_bytes", total}, {"latency_of", "64KiB send call"}};
}

void stream_rx(const NetConfig& c, Measurement& m) {
  Connection conn(c);
  const std::uint64_t total = c.stream_mib << 20;
  Hello h{kHelloMagic, kModeSource, total, c.seed + 1};
  std::vector<std::uint8_t> buf(kBatch);
  std::uint64_t cpu0 = cpu_ns(), start = now_ns();
  conn.send(&h, sizeof h);
  for (std::uint64_t off = 0; off < total; off += kBatch) {
    std::uint64_t t0 = now_ns();
    conn.recv(buf.data(), kBatch);
    m.latencies_ns.push_back(now_ns() - t0);
    m.ops++;
    for (std::size_t u = 0; u < kBatch / kUnitSize; ++u)
      if (auto bad =
              verify_unit(buf.data() + u * kUnitSize, kUnitSize, c.seed + 1, off / kUnitSize + u))
        m.fail(*bad);
    m.bytes_verified += kBatch;
  }
  m.busy_ns = now_ns() - start;
  m.cpu_ns = cpu_ns() - cpu0;
  m.bytes = total;
  std::uint64_t ack = total;
  conn.send(&ack, sizeof ack);
  m.extra = {{"stream_bytes", total}, {"latency_of", "64KiB receive"}};
}

void round_trips(const NetConfig& c, Measurement& m) {
  Connection conn(c);
  Hello h{kHelloMagic, kModeEcho, kMsgSize, c.seed + 2};
  conn.send(&h, sizeof h);
  std::uint8_t msg[kMsgSize], back[kMsgSize];
  std::uint64_t cpu0 = cpu_ns(), start = now_ns(), budget = std::uint64_t(c.rr_seconds * 1e9);
  for (std::uint64_t seq = 0; m.ops < c.rr_max_ops && now_ns() - start < budget; ++seq) {
    fill_unit(msg, kMsgSize, c.seed + 2, seq);
    std::uint64_t t0 = now_ns();
    conn.send(msg, kMsgSize);
    conn.recv(back, kMsgSize);
    std::uint64_t dt = now_ns() - t0;
    m.busy_ns += dt;
    m.latencies_ns.push_back(dt);
    m.ops++;
    m.bytes += 2 * kMsgSize;
    if (auto bad = verify_unit(back, kMsgSize, c.seed + 2, seq)) m.fail("echo: " + *bad);
    m.bytes_verified += kMsgSize;
  }
  fill_unit(msg, kMsgSize, c.seed + 2, kEndSeq);
  conn.send(msg, kMsgSize);
  Reply r{};
  conn.recv(&r, sizeof r);
  m.cpu_ns = cpu_ns() - cpu0;
  check_reply(r, m);
  if (r.status == 0 && r.verified != m.ops * kMsgSize)
    m.fail("peer verified " + std::to_string(r.verified / kMsgSize) + " of " +
           std::to_string(m.ops) + " requests");
  m.bytes_verified += r.verified;
  m.extra = {{"message_bytes", kMsgSize}};
}

}  // namespace

void run_net_workloads(const NetConfig& c, const std::function<void(const Measurement&)>& report) {
  if (c.stream_mib == 0) throw std::runtime_error("stream size must be at least 1 MiB");
  Measurement tx;
  tx.name = "tcp_stream_tx";
  stream_tx(c, tx);
  report(tx);
  Measurement rx;
  rx.name = "tcp_stream_rx";
  stream_rx(c, rx);
  report(rx);
  Measurement rr;
  rr.name = "tcp_rr_64";
  round_trips(c, rr);
  report(rr);
}

bool serve_connection(int in, int out) {
  Hello h{};
  if (!read_all(in, &h, sizeof h) || h.magic != kHelloMagic) return false;
  Reply r{};
  auto mismatch = [&r](const std::string& why) {
    if (r.status == 0) {
      r.status = 1;
      std::snprintf(r.detail, sizeof r.detail, "%s", why.c_str());
    }
  };
  if (h.mode == kModeSink) {
    std::vector<std::uint8_t> buf(kUnitSize);
    for (std::uint64_t off = 0; off < h.bytes; off += kUnitSize) {
      if (!read_all(in, buf.data(), kUnitSize)) return false;
      if (auto bad = verify_unit(buf.data(), kUnitSize, h.seed, off / kUnitSize)) mismatch(*bad);
      r.verified += kUnitSize;
    }
    return write_all(out, &r, sizeof r) && r.status == 0;
  }
  if (h.mode == kModeSource) {
    std::vector<std::uint8_t> buf(kBatch);
    for (std::uint64_t off = 0; off < h.bytes; off += kBatch) {
      for (std::size_t u = 0; u < kBatch / kUnitSize; ++u)
        fill_unit(buf.data() + u * kUnitSize, kUnitSize, h.seed, off / kUnitSize + u);
      if (!write_all(out, buf.data(), kBatch)) return false;
    }
    std::uint64_t ack = 0;
    return read_all(in, &ack, sizeof ack) && ack == h.bytes;
  }
  if (h.mode == kModeEcho && h.bytes == kMsgSize) {
    std::uint8_t msg[kMsgSize];
    for (std::uint64_t seq = 0;; ++seq) {
      if (!read_all(in, msg, kMsgSize)) return false;
      std::uint64_t stamp;
      std::memcpy(&stamp, msg + 8, sizeof stamp);
      if (stamp == kEndSeq && !verify_unit(msg, kMsgSize, h.seed, kEndSeq)) break;
      if (auto bad = verify_unit(msg, kMsgSize, h.seed, seq)) mismatch("request: " + *bad);
      r.verified += kMsgSize;
      if (!write_all(out, msg, kMsgSize)) return false;
    }
    return write_all(out, &r, sizeof r) && r.status == 0;
  }
  return false;
}

void serve_forever(const std::string& address, std::uint16_t port) {
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1)
    throw std::runtime_error("listen address '" + address + "' is not an IPv4 address");
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ls < 0 || bind(ls, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(ls, 4) != 0)
    throw std::runtime_error("listen on " + address + ":" + std::to_string(port) + ": " +
                             std::strerror(errno) + " (pick another --port)");
  socklen_t len = sizeof sa;
  getsockname(ls, reinterpret_cast<sockaddr*>(&sa), &len);
  std::printf("listening on %s:%u\n", address.c_str(), unsigned(ntohs(sa.sin_port)));
  std::fflush(stdout);
  for (;;) {
    int c = accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bool ok = serve_connection(c, c);
    std::fprintf(stderr, "serve: connection %s\n", ok ? "ok" : "FAILED (data check or protocol)");
    close(c);
  }
}

}  // namespace vfiokit::passthrough
