#include "vfio/kernel_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace vfiokit {

KernelLog::KernelLog() : fd_(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {
  if (fd_ >= 0)
    lseek(fd_, 0, SEEK_END);
  else
    why_ = std::string("/dev/kmsg: ") + std::strerror(errno);
}

KernelLog::~KernelLog() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

// Reads records from a /dev/kmsg descriptor opened O_NONBLOCK until none is left
// (EAGAIN), at most `max` of them; one read(2) returns one record.
void read_records(int fd, std::vector<KmsgRecord>& out, size_t max) {
  char rec[8192];
  while (fd >= 0 && out.size() < max) {
    const ssize_t n = ::read(fd, rec, sizeof(rec));
    if (n < 0 && errno == EPIPE) continue;  // overwritten records: skip ahead
    if (n <= 0) break;
    if (auto r = parse_kmsg_record(std::string_view(rec, static_cast<size_t>(n))))
      out.push_back(std::move(*r));
  }
}

}  // namespace

std::vector<KmsgRecord> KernelLog::records() {
  std::vector<KmsgRecord> out;
  read_records(fd_, out, SIZE_MAX);
  return out;
}

std::vector<KmsgRecord> read_kernel_log(const std::filesystem::path& path, size_t max_records) {
  std::vector<KmsgRecord> out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return out;
  struct stat st {};
  if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode)) {
    read_records(fd, out, max_records);
  } else if (S_ISREG(st.st_mode)) {
    // A saved log (a fixture): one record a line, continuation lines (" KEY=VALUE")
    // skipped; bounded like the device.
    std::string text(static_cast<size_t>(std::min<off_t>(st.st_size, 16 << 20)), '\0');
    const ssize_t n = ::read(fd, text.data(), text.size());
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
    for (size_t pos = 0; pos < text.size() && out.size() < max_records;) {
      const size_t eol = std::min(text.find('\n', pos), text.size());
      if (auto r = parse_kmsg_record(std::string_view(text).substr(pos, eol - pos)))
        out.push_back(std::move(*r));
      pos = eol + 1;
    }
  }
  ::close(fd);
  return out;
}

std::vector<std::string> KernelLog::lines() {
  std::vector<std::string> out;
  for (auto& r : records()) out.push_back(std::move(r.text));
  return out;
}

std::optional<KmsgRecord> KernelLog::wait_for_record(
    const std::function<bool(const KmsgRecord&)>& wanted, int timeout_ms) {
  for (int waited = 0;; waited += 100) {
    auto recs = records();
    if (const auto it = std::find_if(recs.begin(), recs.end(), wanted); it != recs.end())
      return std::move(*it);
    if (waited >= timeout_ms) return std::nullopt;
    usleep(100 * 1000);
  }
}

std::string KernelLog::wait_for(const std::string& needle, int timeout_ms) {
  const auto r = wait_for_record(
      [&](const KmsgRecord& rec) { return rec.text.find(needle) != std::string::npos; },
      timeout_ms);
  return r ? r->text : "";
}

std::optional<IommuFault> KernelLog::wait_for_fault(const std::string& bdf, uint64_t iova,
                                                    uint64_t size, int timeout_ms) {
  std::optional<IommuFault> fault;
  const auto rec = wait_for_record(
      [&](const KmsgRecord& r) {
        fault = fault_evidence(r, bdf, iova, size);
        return fault.has_value();
      },
      timeout_ms);
  if (!rec) return std::nullopt;
  return fault;
}

std::optional<KmsgRecord> parse_kmsg_record(std::string_view rec) {
  const auto semi = rec.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  const std::string_view prefix = rec.substr(0, semi);
  // PRI and SEQ are the first two comma-separated decimal fields.
  uint64_t pri = 0;
  KmsgRecord r;
  const char* end = prefix.data() + prefix.size();
  auto [p, ec] = std::from_chars(prefix.data(), end, pri);
  if (ec != std::errc() || p == end || *p != ',' || pri > 0xffffffffu) return std::nullopt;
  auto [q, ec2] = std::from_chars(p + 1, end, r.seq);
  if (ec2 != std::errc() || q == p + 1 || (q != end && *q != ',')) return std::nullopt;
  r.facility = static_cast<unsigned>(pri >> 3);
  r.level = static_cast<unsigned>(pri & 7);
  std::string_view msg = rec.substr(semi + 1);
  if (const auto nl = msg.find('\n'); nl != std::string_view::npos) msg = msg.substr(0, nl);
  r.text = std::string(msg);
  return r;
}

std::optional<IommuFault> fault_evidence(const KmsgRecord& record, const std::string& bdf,
                                         uint64_t iova, uint64_t size) {
  if (!record.from_kernel()) return std::nullopt;
  auto fault = parse_iommu_fault(record.text);
  if (!fault || !fault_matches(*fault, bdf, iova, size)) return std::nullopt;
  return fault;
}

}  // namespace vfiokit
