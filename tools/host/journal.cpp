#include "tools/host/journal.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "tools/host/atomic_file.hpp"
#include "vfiokit/vfio/error.hpp"

namespace sfs = std::filesystem;

namespace vfiokit::host {
namespace {

constexpr int kJournalVersion = 1;

void fsync_path(const sfs::path& p, int flags) {
  UniqueFd fd(::open(p.c_str(), flags | O_CLOEXEC));
  if (!fd) throw_error("open", p.string(), errno);
  if (::fsync(fd.get()) != 0) throw_error("fsync", p.string(), errno);
}

nlohmann::json opt(const std::optional<std::string>& s) {
  return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
}

std::optional<std::string> opt_str(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<std::string>();
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

Journal::Journal(sfs::path dir) : dir_(std::move(dir)) {}

sfs::path Journal::default_dir() {
  if (const char* env = std::getenv("VFIOKIT_STATE_DIR"); env && *env) return env;
  return "/var/lib/vfiokit";
}

std::vector<JournalEntry> Journal::load() const {
  std::vector<JournalEntry> out;
  std::error_code ec;
  const auto status = sfs::status(file(), ec);
  if (status.type() == sfs::file_type::not_found) return out;
  if (ec || status.type() != sfs::file_type::regular)
    throw_error("read journal", file().string(), ec ? ec.value() : EISDIR,
                "the journal must be a regular file: move what is there aside, then rebind "
                "by hand (echo BDF > /sys/bus/pci/drivers/DRIVER/bind)");
  std::ifstream in(file());
  if (!in) throw_error("read journal", file().string(), errno, "run as root, or fix its permissions");
  const std::string hint = fmt::format(
      "the journal is damaged; inspect it, fix or remove it, then rebind by hand "
      "(echo BDF > /sys/bus/pci/drivers/DRIVER/bind)");
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    if (j.value("schema_version", 0) != kJournalVersion)
      throw_error("read journal", file().string(), EINVAL,
                  fmt::format("unknown schema_version (this vfiokit writes {})", kJournalVersion));
    for (const auto& e : j.at("entries"))
      out.push_back({e.at("bdf").get<std::string>(), opt_str(e, "driver"),
                     opt_str(e, "driver_override"), e.value("recorded_at", "")});
  } catch (const nlohmann::json::exception& ex) {
    throw_error("parse journal", file().string(), EINVAL, fmt::format("{}; {}", ex.what(), hint));
  }
  return out;
}

void Journal::save(const std::vector<JournalEntry>& entries) const {
  std::error_code ec;
  sfs::create_directories(dir_, ec);
  if (ec)
    throw_error("create state directory", dir_.string(), ec.value(),
                "run as root, or point --state-dir / VFIOKIT_STATE_DIR at a writable directory");
  if (entries.empty()) {
    if (sfs::remove(file(), ec)) fsync_path(dir_, O_RDONLY | O_DIRECTORY);
    return;
  }
  nlohmann::json j = {{"schema_version", kJournalVersion}, {"entries", nlohmann::json::array()}};
  for (const auto& e : entries)
    j["entries"].push_back({{"bdf", e.bdf},
                            {"driver", opt(e.driver)},
                            {"driver_override", opt(e.driver_override)},
                            {"recorded_at", e.recorded_at}});
  const std::string text = j.dump(2) + "\n";
  const sfs::path tmp = dir_ / "journal.json.tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) throw_error("create", tmp.string(), errno);
    write_all(fd.get(), text, tmp.string());
    if (::fsync(fd.get()) != 0) throw_error("fsync", tmp.string(), errno);
  }
  if (::rename(tmp.c_str(), file().c_str()) != 0) throw_error("rename", file().string(), errno);
  fsync_path(dir_, O_RDONLY | O_DIRECTORY);
}

UniqueFd Journal::lock() const {
  std::error_code ec;
  sfs::create_directories(dir_, ec);
  if (ec)
    throw_error("create state directory", dir_.string(), ec.value(),
                "run as root, or point --state-dir / VFIOKIT_STATE_DIR at a writable directory");
  ::chmod(dir_.c_str(), 0700);
  const sfs::path p = dir_ / "journal.lock";
  UniqueFd fd(::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw_error("open", p.string(), errno);
  while (::flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw_error("flock", p.string(), errno);
  return fd;
}

}  // namespace vfiokit::host
