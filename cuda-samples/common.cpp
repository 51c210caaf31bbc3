#include "common.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

namespace vfiokit::cuda {

Args::Args(std::string program, std::string description)
    : program_(std::move(program)), description_(std::move(description)) {}

void Args::flag(const std::string& name, bool* out, const std::string& help) {
  opts_.push_back({name, help, out, nullptr, nullptr});
}
void Args::number(const std::string& name, uint64_t* out, const std::string& help) {
  opts_.push_back({name, help, nullptr, out, nullptr});
}
void Args::text(const std::string& name, std::string* out, const std::string& help) {
  opts_.push_back({name, help, nullptr, nullptr, out});
}

namespace {
bool parse_number(const std::string& s, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno || end == s.c_str() || s[0] == '-') return false;
  uint64_t mult = 1;
  const std::string suffix(end);
  if (suffix == "K" || suffix == "k" || suffix == "KiB")
    mult = 1ull << 10;
  else if (suffix == "M" || suffix == "MiB")
    mult = 1ull << 20;
  else if (suffix == "G" || suffix == "GiB")
    mult = 1ull << 30;
  else if (!suffix.empty())
    return false;
  *out = v * mult;
  return true;
}
}  // namespace

void Args::parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf("%s: %s\n\noptions:\n", program_.c_str(), description_.c_str());
      for (const auto& o : opts_)
        std::printf("  %-22s %s\n", (o.name + (o.flag ? "" : " V")).c_str(), o.help.c_str());
      std::exit(0);
    }
    auto it = std::find_if(opts_.begin(), opts_.end(), [&](const Opt& o) { return o.name == a; });
    if (it == opts_.end()) {
      std::fprintf(stderr, "%s: unknown option '%s' (try --help)\n", program_.c_str(), a.c_str());
      std::exit(2);
    }
    if (it->flag) {
      *it->flag = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: option %s needs a value\n", program_.c_str(), a.c_str());
      std::exit(2);
    }
    const std::string v = argv[++i];
    if (it->text) {
      *it->text = v;
    } else if (!parse_number(v, it->number)) {
      std::fprintf(stderr, "%s: %s '%s': expected a non-negative number, optionally with K/M/G\n",
                   program_.c_str(), a.c_str(), v.c_str());
      std::exit(2);
    }
  }
}

void add_common(Args& args, CommonOptions& o) {
  args.flag("--json", &o.json, "print one JSON document (what vfiokit-guest-check reads)");
  args.flag("--quick", &o.quick, "smaller sizes, fewer repetitions");
  args.text("--device", &o.device, "GPU by PCI address (0000:01:00.0) or CUDA ordinal; default 0");
}

Report& report() {
  static Report r;
  return r;
}

void Report::begin(const std::string& name, const CommonOptions& o) {
  name_ = name;
  opts_ = o;
}
void Report::set_device(std::vector<std::pair<std::string, std::string>> f) {
  device_ = std::move(f);
}
void Report::add(Result r) {
  if (!opts_.json) {
    std::printf("%-34s %12.3f %-8s %s\n", r.name.c_str(), r.value, r.unit.c_str(),
                r.verified ? "verified" : "NOT VERIFIED");
    std::fflush(stdout);
  }
  results_.push_back(std::move(r));
}
void Report::add_job(Job j) { jobs_.push_back(std::move(j)); }
void Report::error(const std::string& message) {
  if (!opts_.json) std::fprintf(stderr, "%s: ERROR: %s\n", name_.c_str(), message.c_str());
  errors_.push_back(message);
}

int Report::finish() {
  if (opts_.json) {
    nlohmann::ordered_json j;
    j["sample"] = name_;
    j["version"] = 1;
    nlohmann::ordered_json dev = nlohmann::ordered_json::object();
    for (const auto& [k, v] : device_) dev[k] = v;
    j["device"] = dev;
    j["ok"] = errors_.empty();
    j["errors"] = errors_;
    j["results"] = nlohmann::ordered_json::array();
    for (const auto& r : results_) {
      nlohmann::ordered_json e = {
          {"name", r.name},         {"value", r.value},
          {"unit", r.unit},         {"higher_is_better", r.higher_is_better},
          {"verified", r.verified}, {"iterations", r.iterations},
          {"seconds", r.seconds}};
      if (r.bytes) e["bytes"] = r.bytes;
      for (const auto& [k, v] : r.tags) e[k] = v;
      for (const auto& [k, v] : r.numbers) e[k] = v;
      j["results"].push_back(e);
    }
    if (!jobs_.empty()) {
      j["jobs"] = nlohmann::ordered_json::array();
      for (const auto& b : jobs_)
        j["jobs"].push_back({{"id", b.id},
                             {"mode", b.mode},
                             {"verified", b.verified},
                             {"seconds", b.seconds},
                             {"error", b.error}});
    }
    std::printf("%s\n", j.dump(1).c_str());
  } else {
    for (const auto& b : jobs_)
      std::printf("job %2d %-8s %8.3f s %s %s\n", b.id, b.mode.c_str(), b.seconds,
                  b.verified ? "verified" : "FAILED", b.error.c_str());
    std::printf("%s: %s\n", name_.c_str(),
                errors_.empty() ? "ok, every result verified" : "FAILED");
  }
  std::fflush(stdout);
  return errors_.empty() ? 0 : 1;
}

void Report::fatal(const std::string& message) {
  error(message);
  finish();
  std::exit(1);
}

std::string size_label(uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30) && b % (1ull << 30) == 0)
    std::snprintf(buf, sizeof buf, "%lluGiB", static_cast<unsigned long long>(b >> 30));
  else if (b >= (1ull << 20) && b % (1ull << 20) == 0)
    std::snprintf(buf, sizeof buf, "%lluMiB", static_cast<unsigned long long>(b >> 20));
  else if (b >= (1ull << 10) && b % (1ull << 10) == 0)
    std::snprintf(buf, sizeof buf, "%lluKiB", static_cast<unsigned long long>(b >> 10));
  else
    std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(b));
  return buf;
}

void parallel_for(uint64_t n, const std::function<void(uint64_t, uint64_t)>& fn) {
  const uint64_t threads = std::clamp<uint64_t>(std::thread::hardware_concurrency(), 1, 16);
  if (n < (1u << 16) || threads == 1) {
    fn(0, n);
    return;
  }
  std::vector<std::thread> pool;
  const uint64_t chunk = (n + threads - 1) / threads;
  for (uint64_t t = 0; t < threads; ++t) {
    const uint64_t b = t * chunk, e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back(fn, b, e);
  }
  for (auto& th : pool) th.join();
}

}  // namespace vfiokit::cuda
