#include "block_workload.hpp"

#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "pattern.hpp"

namespace vfiokit::passthrough {
namespace {

[[noreturn]] void fail_errno(const std::string& what, int err, const std::string& hint) {
  throw std::runtime_error(what + ": " + std::strerror(err) +
                           (hint.empty() ? "" : " (" + hint + ")"));
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<std::uint8_t, FreeDeleter>;

AlignedBuffer aligned(std::size_t size) {
  void* p = nullptr;
  if (posix_memalign(&p, 4096, size) != 0)
    throw std::runtime_error("out of memory for I/O buffers");
  return AlignedBuffer(static_cast<std::uint8_t*>(p));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// xorshift64* for random LBAs.
std::uint64_t next_random(std::uint64_t* s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ULL;
}

void full_io(bool write, int fd, std::uint8_t* buf, std::size_t len, off_t off,
             const std::string& dev) {
  ssize_t n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
  if (n < 0)
    fail_errno(
        std::string(write ? "write" : "read") + " at byte " + std::to_string(off) + " of " + dev,
        errno, "the device failed an I/O: check the guest kernel log");
  if (std::size_t(n) != len)
    throw std::runtime_error("short " + std::string(write ? "write" : "read") + " at byte " +
                             std::to_string(off) + " of " + dev + ": " + std::to_string(n) +
                             " of " + std::to_string(len) + " bytes");
}

void sequential(bool write, int fd, const BlockConfig& c, Measurement& m) {
  const std::size_t bs = std::size_t(c.block_kib) * 1024;
  const std::uint64_t total = c.region_mib << 20;
  const std::size_t units = bs / kUnitSize;
  auto buf = aligned(bs);
  std::uint64_t cpu0 = cpu_ns();
  for (std::uint64_t off = 0; off < total; off += bs) {
    std::uint64_t first = off / kUnitSize;
    if (write)
      for (std::size_t u = 0; u < units; ++u)
        fill_unit(buf.get() + u * kUnitSize, kUnitSize, c.seed, first + u);
    else
      std::memset(buf.get(), 0xa5, bs);  // a read that moves no data cannot pass
    std::uint64_t t0 = now_ns();
    full_io(write, fd, buf.get(), bs, off_t(off), c.device);
    std::uint64_t dt = now_ns() - t0;
    m.busy_ns += dt;
    m.latencies_ns.push_back(dt);
    m.ops++;
    m.bytes += bs;
    if (!write) {
      for (std::size_t u = 0; u < units; ++u)
        if (auto bad = verify_unit(buf.get() + u * kUnitSize, kUnitSize, c.seed, first + u))
          m.fail(*bad);
      m.bytes_verified += bs;
    }
  }
  if (write) {
    std::uint64_t t0 = now_ns();
    if (fdatasync(fd) != 0) fail_errno("fdatasync " + c.device, errno, "the device failed a flush");
    m.busy_ns += now_ns() - t0;
  }
  m.cpu_ns = cpu_ns() - cpu0;
  m.extra = {{"block_bytes", bs}, {"queue_depth", 1}, {"region_bytes", total}};
}

void random_qd1(int fd, const BlockConfig& c, Measurement& m) {
  const std::uint64_t blocks = (c.region_mib << 20) / kUnitSize;
  if (blocks == 0) throw std::runtime_error("the region holds no 4 KiB unit");
  auto buf = aligned(kUnitSize);
  std::uint64_t rng = c.seed * 0x9e3779b97f4a7c15ULL + 7;
  std::uint64_t cpu0 = cpu_ns(), start = now_ns(), budget = std::uint64_t(c.random_seconds * 1e9);
  while (m.ops < c.random_max_ops && now_ns() - start < budget) {
    std::uint64_t lba = next_random(&rng) % blocks;
    std::memset(buf.get(), 0xa5, 64);
    std::uint64_t t0 = now_ns();
    full_io(false, fd, buf.get(), kUnitSize, off_t(lba * kUnitSize), c.device);
    std::uint64_t dt = now_ns() - t0;
    m.busy_ns += dt;
    m.latencies_ns.push_back(dt);
    m.ops++;
    m.bytes += kUnitSize;
    if (auto bad = verify_unit(buf.get(), kUnitSize, c.seed, lba)) m.fail(*bad);
    m.bytes_verified += kUnitSize;
  }
  m.cpu_ns = cpu_ns() - cpu0;
  m.extra = {{"block_bytes", kUnitSize}, {"queue_depth", 1}, {"region_bytes", c.region_mib << 20}};
}

long sys_io_setup(unsigned n, aio_context_t* ctx) { return syscall(SYS_io_setup, n, ctx); }
long sys_io_destroy(aio_context_t ctx) { return syscall(SYS_io_destroy, ctx); }
long sys_io_submit(aio_context_t ctx, long n, iocb** iocbs) {
  return syscall(SYS_io_submit, ctx, n, iocbs);
}
long sys_io_getevents(aio_context_t ctx, long min, long max, io_event* ev) {
  return syscall(SYS_io_getevents, ctx, min, max, ev, nullptr);
}

void random_qdn(int fd, const BlockConfig& c, Measurement& m) {
  const std::uint32_t qd = c.queue_depth;
  const std::uint64_t blocks = (c.region_mib << 20) / kUnitSize;
  if (blocks == 0) throw std::runtime_error("the region holds no 4 KiB unit");
  aio_context_t ctx = 0;
  if (sys_io_setup(qd, &ctx) != 0)
    fail_errno("io_setup(" + std::to_string(qd) + ")", errno,
               "the kernel needs CONFIG_AIO; raise /proc/sys/fs/aio-max-nr if it is EAGAIN");
  struct Slot {
    iocb cb{};
    std::uint64_t lba = 0, t0 = 0;
  };
  std::vector<Slot> slots(qd);
  auto buf = aligned(std::size_t(qd) * kUnitSize);
  std::uint64_t rng = c.seed * 0xc2b2ae3d27d4eb4fULL + 11;
  std::uint64_t cpu0 = cpu_ns(), start = now_ns(), budget = std::uint64_t(c.random_seconds * 1e9);
  auto submit = [&](std::uint32_t i) {
    Slot& s = slots[i];
    s.lba = next_random(&rng) % blocks;
    s.cb = iocb{};
    s.cb.aio_data = i;
    s.cb.aio_lio_opcode = IOCB_CMD_PREAD;
    s.cb.aio_fildes = std::uint32_t(fd);
    s.cb.aio_buf = reinterpret_cast<std::uint64_t>(buf.get() + std::size_t(i) * kUnitSize);
    s.cb.aio_nbytes = kUnitSize;
    s.cb.aio_offset = std::int64_t(s.lba * kUnitSize);
    std::memset(buf.get() + std::size_t(i) * kUnitSize, 0xa5, 64);
    iocb* p = &s.cb;
    s.t0 = now_ns();
    if (sys_io_submit(ctx, 1, &p) != 1) {
      int err = errno;
      sys_io_destroy(ctx);
      fail_errno("io_submit to " + c.device, err, "Linux AIO refused the read");
    }
  };
  std::uint64_t submitted = 0, inflight = 0;
  for (std::uint32_t i = 0; i < qd && submitted < c.random_max_ops; ++i, ++submitted, ++inflight)
    submit(i);
  std::vector<io_event> events(qd);
  while (inflight > 0) {
    long n = sys_io_getevents(ctx, 1, qd, events.data());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      sys_io_destroy(ctx);
      fail_errno("io_getevents on " + c.device, err, "");
    }
    std::uint64_t t = now_ns();
    bool more = t - start < budget;
    for (long e = 0; e < n; ++e) {
      auto i = std::uint32_t(events[e].data);
      Slot& s = slots[i];
      inflight--;
      if (events[e].res != long(kUnitSize)) {
        sys_io_destroy(ctx);
        throw std::runtime_error("AIO read at LBA " + std::to_string(s.lba) + " of " + c.device +
                                 " returned " + std::to_string(events[e].res) +
                                 " (negative: an errno) instead of 4096 bytes");
      }
      m.latencies_ns.push_back(t - s.t0);
      m.ops++;
      m.bytes += kUnitSize;
      if (auto bad = verify_unit(buf.get() + std::size_t(i) * kUnitSize, kUnitSize, c.seed, s.lba))
        m.fail(*bad);
      m.bytes_verified += kUnitSize;
      if (more && submitted < c.random_max_ops) {
        submit(i);
        submitted++;
        inflight++;
      }
    }
  }
  m.busy_ns = now_ns() - start;
  m.cpu_ns = cpu_ns() - cpu0;
  sys_io_destroy(ctx);
  m.extra = {{"block_bytes", kUnitSize}, {"queue_depth", qd}, {"region_bytes", c.region_mib << 20}};
}

}  // namespace

void run_block_workloads(const BlockConfig& c,
                         const std::function<void(const Measurement&)>& report) {
  if (c.block_kib == 0 || (std::size_t(c.block_kib) * 1024) % kUnitSize != 0)
    throw std::runtime_error("block size " + std::to_string(c.block_kib) +
                             " KiB is not a multiple of 4 KiB");
  if (c.region_mib == 0 || (c.region_mib << 20) % (std::uint64_t(c.block_kib) * 1024) != 0)
    throw std::runtime_error("region of " + std::to_string(c.region_mib) +
                             " MiB is not a multiple of the block size");
  if (c.queue_depth == 0 || c.queue_depth > 1024)
    throw std::runtime_error("queue depth " + std::to_string(c.queue_depth) +
                             " is outside 1..1024");
  Fd fd(open(c.device.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC));
  if (fd.get() < 0) fail_errno("open " + c.device, errno, "is the disk there and not in use?");
  std::uint64_t size = 0;
  struct stat st {};
  if (fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode))
    size = std::uint64_t(st.st_size);  // a preallocated file (testing the agent by hand)
  else if (ioctl(fd.get(), BLKGETSIZE64, &size) != 0)
    fail_errno("BLKGETSIZE64 " + c.device, errno, "not a block device?");
  if (size < (c.region_mib << 20))
    throw std::runtime_error(c.device + " has " + std::to_string(size >> 20) +
                             " MiB, the workload needs " + std::to_string(c.region_mib) +
                             " MiB: lower the size (--mib)");
  const std::string bs = c.block_kib % 1024 == 0 ? std::to_string(c.block_kib / 1024) + "M"
                                                 : std::to_string(c.block_kib) + "K";
  Measurement w;
  w.name = "seq_write_" + bs;
  sequential(true, fd.get(), c, w);
  report(w);
  Measurement r;
  r.name = "seq_read_" + bs;
  sequential(false, fd.get(), c, r);
  report(r);
  Measurement q1;
  q1.name = "rand_read_4K_qd1";
  random_qd1(fd.get(), c, q1);
  report(q1);
  Measurement qn;
  qn.name = "rand_read_4K_qd" + std::to_string(c.queue_depth);
  random_qdn(fd.get(), c, qn);
  report(qn);
}

}  // namespace vfiokit::passthrough
