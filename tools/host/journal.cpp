#include "tools/host/journal.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <thread>

#include "tools/host/atomic_file.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/pci_address.hpp"

namespace sfs = std::filesystem;

namespace vfiokit::host {
namespace {

constexpr int kJournalVersion = 1;
constexpr const char* kJournalName = "journal.json";
constexpr const char* kTmpName = "journal.json.tmp";
constexpr const char* kLockName = "journal.lock";
constexpr auto kLockPoll = std::chrono::milliseconds(50);

/// Files created while it lives get no group/other bits, whatever the caller's umask.
struct PrivateUmask {
  mode_t old = ::umask(077);
  PrivateUmask() = default;
  PrivateUmask(const PrivateUmask&) = delete;
  PrivateUmask& operator=(const PrivateUmask&) = delete;
  ~PrivateUmask() { ::umask(old); }
};

std::string who(uid_t uid) { return uid == 0 ? std::string("root") : fmt::format("uid {}", uid); }

/// What a state directory must be, for the hints.
std::string dir_fix() {
  return fmt::format(
      "use a directory owned by {} with mode 0700, such as the default /var/lib/vfiokit",
      who(::geteuid()));
}

void fsync_fd(int fd, const sfs::path& p) {
  if (::fsync(fd) != 0) throw_error("fsync", p.string(), errno);
}

std::string read_fd(int fd, const sfs::path& p) {
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw_error("read journal", p.string(), errno, "run as root, or fix its permissions");
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

/// A driver name as sysfs spells one (it becomes a path component under
/// /sys/bus/pci/drivers): letters, digits, '_', '.', '-', and not "." or "..".
bool is_driver_name(const std::string& s) {
  if (s.empty() || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

bool is_canonical_bdf(const std::string& s) {
  try {
    return normalize_bdf(s) == s;
  } catch (const Error&) {
    return false;
  }
}

nlohmann::json opt(const std::optional<std::string>& s) {
  return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
}

std::optional<std::string> opt_str(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<std::string>();
}

/// The PID a lock holder wrote into `fd`, or "unknown".
std::string holder_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string pid(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  if (pid.empty() ||
      !std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "unknown";
  return pid;
}

}  // namespace

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Journal::Journal(sfs::path dir, std::chrono::milliseconds lock_wait)
    : dir_(std::move(dir)), lock_wait_(lock_wait) {}

sfs::path Journal::default_dir() {
  if (const char* env = std::getenv("VFIOKIT_STATE_DIR"); env && *env) return env;
  return "/var/lib/vfiokit";
}

UniqueFd Journal::open_dir(bool create) const {
  constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd fd(::open(dir_.c_str(), kFlags));
  if (!fd && errno == ENOENT && create) {
    // Missing parents (a fresh root has no /var/lib) are made as `mkdir -p` would, with
    // the process's umask; the state directory itself is made 0700 and checked below.
    std::error_code ec;
    if (dir_.has_parent_path()) sfs::create_directories(dir_.parent_path(), ec);
    const PrivateUmask umask;
    if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST)
      throw_error("create state directory", dir_.string(), errno,
                  dir_fix() + " (vfiokit creates it and any missing parent)");
    fd.reset(::open(dir_.c_str(), kFlags));
  }
  if (!fd && errno == ENOENT && !create) return fd;
  if (!fd && (errno == ELOOP || errno == ENOTDIR))
    throw_error("open state directory", dir_.string(), errno,
                fmt::format("it is a symlink or not a directory; {}", dir_fix()));
  if (!fd) throw_error("open state directory", dir_.string(), errno, dir_fix());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_error("stat", dir_.string(), errno);
  if (st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    throw_error("check state directory", dir_.string(), EPERM,
                fmt::format("it is owned by {} with mode {:04o}; vfiokit acts as root on what it "
                            "holds, so no one else may write there: {}",
                            who(st.st_uid), st.st_mode & 07777, dir_fix()));
  return fd;
}

std::vector<JournalEntry> Journal::load() const {
  std::vector<JournalEntry> out;
  const UniqueFd dir = open_dir(false);
  if (!dir) return out;
  // O_NONBLOCK: a FIFO planted as the journal must not hang us in open(2).
  const UniqueFd fd(
      ::openat(dir.get(), kJournalName, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd && errno == ENOENT) return out;
  const std::string not_a_file =
      "the journal must be a regular file: move what is there aside, then rebind by hand "
      "(echo BDF > /sys/bus/pci/drivers/DRIVER/bind)";
  if (!fd && errno == ELOOP) throw_error("read journal", file().string(), ELOOP, not_a_file);
  if (!fd)
    throw_error("read journal", file().string(), errno, "run as root, or fix its permissions");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_error("stat", file().string(), errno);
  if (!S_ISREG(st.st_mode))
    throw_error("read journal", file().string(), S_ISDIR(st.st_mode) ? EISDIR : EINVAL, not_a_file);
  const std::string text = read_fd(fd.get(), file());
  const std::string hint = fmt::format(
      "the journal is damaged; inspect it, fix or remove it, then rebind by hand "
      "(echo BDF > /sys/bus/pci/drivers/DRIVER/bind)");
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (j.value("schema_version", 0) != kJournalVersion)
      throw_error("read journal", file().string(), EINVAL,
                  fmt::format("unknown schema_version (this vfiokit writes {})", kJournalVersion));
    for (const auto& e : j.at("entries"))
      out.push_back({e.at("bdf").get<std::string>(), opt_str(e, "driver"),
                     opt_str(e, "driver_override"), e.value("recorded_at", "")});
  } catch (const nlohmann::json::exception& ex) {
    throw_error("parse journal", file().string(), EINVAL, fmt::format("{}; {}", ex.what(), hint));
  }
  // Each value becomes a sysfs path component or is written there as root: refuse
  // what vfiokit never writes before anything acts on it.
  for (size_t i = 0; i < out.size(); ++i) {
    const auto bad = [&](const char* field, const std::string& value, const char* want) {
      throw_error("check journal", file().string(), EINVAL,
                  fmt::format("entries[{}].{} is \"{}\", not {}; the journal was altered or "
                              "damaged: inspect it, fix or remove it, then rebind by hand",
                              i, field, value, want));
    };
    const JournalEntry& e = out[i];
    if (!is_canonical_bdf(e.bdf))
      bad("bdf", e.bdf, "a PCI address as sysfs spells it (0000:01:00.0)");
    if (e.driver && !is_driver_name(*e.driver)) bad("driver", *e.driver, "a driver name");
    if (e.driver_override && !is_driver_name(*e.driver_override))
      bad("driver_override", *e.driver_override, "a driver name");
  }
  return out;
}

void Journal::save(const std::vector<JournalEntry>& entries) const {
  const UniqueFd dir = open_dir(true);
  if (entries.empty()) {
    // unlinkat removes a symlink itself, never what it points at.
    if (::unlinkat(dir.get(), kJournalName, 0) != 0) {
      if (errno != ENOENT) throw_error("remove", file().string(), errno);
      return;
    }
    fsync_fd(dir.get(), dir_);
    return;
  }
  nlohmann::json j = {{"schema_version", kJournalVersion}, {"entries", nlohmann::json::array()}};
  for (const auto& e : entries)
    j["entries"].push_back({{"bdf", e.bdf},
                            {"driver", opt(e.driver)},
                            {"driver_override", opt(e.driver_override)},
                            {"recorded_at", e.recorded_at}});
  const std::string text = j.dump(2) + "\n";
  const sfs::path tmp = dir_ / kTmpName;
  // A stale temp file (a crash mid-save) or something planted there goes first, so
  // O_EXCL below creates a fresh file and never opens what another user left.
  if (::unlinkat(dir.get(), kTmpName, 0) != 0 && errno != ENOENT)
    throw_error("remove", tmp.string(), errno, "move what is there aside");
  {
    const PrivateUmask umask;
    UniqueFd fd(
        ::openat(dir.get(), kTmpName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) throw_error("create", tmp.string(), errno);
    write_all(fd.get(), text, tmp.string());
    fsync_fd(fd.get(), tmp);
  }
  if (::renameat(dir.get(), kTmpName, dir.get(), kJournalName) != 0)
    throw_error("rename", file().string(), errno);
  fsync_fd(dir.get(), dir_);
}

UniqueFd Journal::lock() const {
  const UniqueFd dir = open_dir(true);
  const sfs::path p = dir_ / kLockName;
  UniqueFd fd;
  {
    const PrivateUmask umask;
    fd.reset(::openat(dir.get(), kLockName, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                      0600));
  }
  if (!fd)
    throw_error("open", p.string(), errno, errno == ELOOP ? "it is a symlink: remove it" : "");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_error("stat", p.string(), errno);
  if (!S_ISREG(st.st_mode))
    throw_error("open", p.string(), EINVAL,
                "the lock must be a regular file: remove what is there");
  const auto deadline = std::chrono::steady_clock::now() + lock_wait_;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) throw_error("flock", p.string(), errno);
    if (std::chrono::steady_clock::now() >= deadline) {
      const std::string pid = holder_pid(fd.get());
      throw_error("lock", p.string(), ETIMEDOUT,
                  fmt::format("another vfiokit (PID {}) still holds the journal after {} ms; "
                              "let it finish, or stop it if it hangs (it records every change in "
                              "the journal first), then retry",
                              pid, lock_wait_.count()));
    }
    std::this_thread::sleep_for(kLockPoll);
  }
  // Ours now: say who holds it, for the next one that waits.
  if (::ftruncate(fd.get(), 0) != 0) throw_error("truncate", p.string(), errno);
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) throw_error("seek", p.string(), errno);
  write_all(fd.get(), fmt::format("{}\n", ::getpid()), p.string());
  return fd;
}

}  // namespace vfiokit::host
