#include "guest_init.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "block_workload.hpp"
#include "net_workload.hpp"

namespace vfiokit::passthrough {
namespace {

FILE* g_out = stdout;

void emit(const std::string& line) {
  std::fprintf(g_out, "%s\n", line.c_str());
  std::fflush(g_out);
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::map<std::string, std::string> kernel_args() {
  std::map<std::string, std::string> args;
  std::istringstream in(read_text("/proc/cmdline"));
  std::string word;
  while (in >> word) {
    if (word.rfind("vfiokit.", 0) != 0) continue;
    auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    args[word.substr(8, eq - 8)] = word.substr(eq + 1);
  }
  return args;
}

std::string arg(const std::map<std::string, std::string>& a, const std::string& key,
                const std::string& def) {
  auto it = a.find(key);
  return it == a.end() ? def : it->second;
}

/// First entry of `dir` whose name starts with `prefix` (and is not `skip`),
/// waiting up to `seconds` for one to appear.
std::string wait_for_entry(const std::string& dir, const std::string& prefix,
                           const std::string& skip, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    std::string best;
    if (DIR* d = opendir(dir.c_str())) {
      while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == ".." || n == skip || n.rfind(prefix, 0) != 0) continue;
        if (best.empty() || n < best) best = n;
      }
      closedir(d);
    }
    if (!best.empty()) return best;
    if (std::chrono::steady_clock::now() > deadline) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

/// PCI identity of the device behind a sysfs class entry: BDF, vendor:device, driver.
nlohmann::json pci_info(const std::string& sys_path) {
  char real[PATH_MAX];
  nlohmann::json j = nlohmann::json::object();
  if (!realpath(sys_path.c_str(), real)) return j;
  std::string p = real;
  static const std::regex bdf_re("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");
  std::string bdf, dir;
  for (std::sregex_iterator it(p.begin(), p.end(), bdf_re), end; it != end; ++it) {
    bdf = it->str();
    dir = p.substr(0, std::size_t(it->position()) + bdf.size());
  }
  if (bdf.empty()) return j;
  j["bdf"] = bdf;
  j["pci_id"] = read_text(dir + "/vendor").substr(2) + ":" + read_text(dir + "/device").substr(2);
  char drv[PATH_MAX];
  ssize_t n = readlink((dir + "/driver").c_str(), drv, sizeof drv - 1);
  if (n > 0) {
    drv[n] = 0;
    j["driver"] = std::string(std::strrchr(drv, '/') + 1);
  }
  return j;
}

/// Interrupt lines the kernel set up as MSI/MSI-X (name column of /proc/interrupts).
nlohmann::json msi_vectors() {
  nlohmann::json v = nlohmann::json::array();
  std::ifstream f("/proc/interrupts");
  std::string line;
  while (std::getline(f, line)) {
    if (line.find("MSI") == std::string::npos) continue;
    std::istringstream in(line);
    std::string w, last;
    while (in >> w) last = w;
    v.push_back(last);
  }
  return v;
}

void ifreq_call(int s, unsigned long req, ifreq* ifr, const std::string& what) {
  if (ioctl(s, req, ifr) != 0)
    throw std::runtime_error(what + " on " + ifr->ifr_name + ": " + std::strerror(errno));
}

void set_up(int s, const std::string& name) {
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name.c_str());
  ifreq_call(s, SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  ifreq_call(s, SIOCSIFFLAGS, &ifr, "SIOCSIFFLAGS (up)");
}

void set_addr(int s, const std::string& name, unsigned long req, in_addr a,
              const std::string& what) {
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name.c_str());
  auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
  sin->sin_family = AF_INET;
  sin->sin_addr = a;
  ifreq_call(s, req, &ifr, what);
}

in_addr parse_ip(const std::string& text, const std::string& what) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1)
    throw std::runtime_error(what + " '" + text + "' is not an IPv4 address");
  return a;
}

/// Brings up lo and `name` with `cidr` (a.b.c.d/n) and, when `gw` is set, a default route.
void configure_net(const std::string& name, const std::string& cidr, const std::string& gw) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  set_up(s, "lo");
  auto slash = cidr.find('/');
  int prefix = slash == std::string::npos ? 24 : std::atoi(cidr.c_str() + slash + 1);
  if (prefix < 1 || prefix > 32)
    throw std::runtime_error("guest address '" + cidr + "': bad prefix length");
  in_addr ip = parse_ip(cidr.substr(0, slash), "guest address");
  in_addr mask{htonl(prefix == 32 ? 0xffffffffU : ~(0xffffffffU >> prefix))};
  set_addr(s, name, SIOCSIFADDR, ip, "SIOCSIFADDR");
  set_addr(s, name, SIOCSIFNETMASK, mask, "SIOCSIFNETMASK");
  set_up(s, name);
  if (!gw.empty()) {
    rtentry rt{};
    auto* dst = reinterpret_cast<sockaddr_in*>(&rt.rt_dst);
    auto* gwa = reinterpret_cast<sockaddr_in*>(&rt.rt_gateway);
    auto* msk = reinterpret_cast<sockaddr_in*>(&rt.rt_genmask);
    dst->sin_family = gwa->sin_family = msk->sin_family = AF_INET;
    gwa->sin_addr = parse_ip(gw, "gateway");
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    if (ioctl(s, SIOCADDRT, &rt) != 0 && errno != EEXIST)
      throw std::runtime_error("default route via " + gw + ": " + std::strerror(errno));
  }
  close(s);
}

void wait_carrier(const std::string& name, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (read_text("/sys/class/net/" + name + "/carrier") != "1") {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("no link on " + name + " after " + std::to_string(int(seconds)) +
                               " s (is the NIC connected on the host side?)");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

[[noreturn]] void power_off() {
  sync();
  reboot(RB_POWER_OFF);
  for (;;) pause();
}

void run(const std::map<std::string, std::string>& a) {
  const std::string workload = arg(a, "workload", "");
  const double wait_s = std::atof(arg(a, "wait", "60").c_str());
  const std::uint64_t seed = std::strtoull(arg(a, "seed", "1").c_str(), nullptr, 0);
  auto report = [](const Measurement& m) { emit("@@VFKPT-RESULT " + m.to_json().dump()); };
  struct utsname u {};
  uname(&u);
  if (workload == "probe") {
    emit("@@VFKPT-INFO " + nlohmann::json{{"kernel", u.release}}.dump());
    return;
  }
  if (workload == "block") {
    const std::string prefix = arg(a, "disk", "nvme");  // nvme -> nvme0n1, vd -> vda
    std::string name = wait_for_entry("/sys/block", prefix, "", wait_s);
    if (name.empty())
      throw std::runtime_error(
          "no disk /sys/block/" + prefix + "* appeared within " + std::to_string(int(wait_s)) +
          " s: the device is missing or its driver did not bind (see the guest kernel log)");
    nlohmann::json info = pci_info("/sys/block/" + name);
    info["disk"] = name;
    info["kernel"] = u.release;
    info["msi_vectors"] = msi_vectors();
    emit("@@VFKPT-INFO " + info.dump());
    BlockConfig c;
    c.device = "/dev/" + name;
    c.region_mib = std::strtoull(arg(a, "mib", "32").c_str(), nullptr, 0);
    c.block_kib = std::uint32_t(std::strtoul(arg(a, "bs_kib", "1024").c_str(), nullptr, 0));
    c.random_seconds = std::atof(arg(a, "secs", "3").c_str());
    c.random_max_ops = std::strtoull(arg(a, "maxops", "1000000").c_str(), nullptr, 0);
    c.queue_depth = std::uint32_t(std::strtoul(arg(a, "qd", "32").c_str(), nullptr, 0));
    c.seed = seed;
    run_block_workloads(c, report);
    return;
  }
  if (workload == "net") {
    std::string name = wait_for_entry("/sys/class/net", "", "lo", wait_s);
    if (name.empty())
      throw std::runtime_error(
          "no network interface appeared within " + std::to_string(int(wait_s)) +
          " s: the NIC is missing or its driver did not bind (see the guest kernel log)");
    configure_net(name, arg(a, "ip", "10.0.2.15/24"), arg(a, "gw", ""));
    wait_carrier(name, wait_s);
    nlohmann::json info = pci_info("/sys/class/net/" + name);
    info["interface"] = name;
    info["kernel"] = u.release;
    info["msi_vectors"] = msi_vectors();
    emit("@@VFKPT-INFO " + info.dump());
    NetConfig c;
    std::string peer = arg(a, "peer", "10.0.2.100:5201");
    auto colon = peer.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("peer '" + peer + "' is not IP:PORT");
    c.peer_ip = peer.substr(0, colon);
    c.peer_port = std::uint16_t(std::atoi(peer.c_str() + colon + 1));
    c.stream_mib = std::strtoull(arg(a, "mib", "16").c_str(), nullptr, 0);
    c.rr_seconds = std::atof(arg(a, "secs", "3").c_str());
    c.rr_max_ops = std::strtoull(arg(a, "maxops", "100000").c_str(), nullptr, 0);
    c.seed = seed;
    run_net_workloads(c, report);
    return;
  }
  throw std::runtime_error("vfiokit.workload='" + workload +
                           "' on the kernel command line: use block, net or probe");
}

}  // namespace

void guest_main() {
  mkdir("/proc", 0755);
  mkdir("/sys", 0755);
  mkdir("/dev", 0755);
  mount("proc", "/proc", "proc", 0, nullptr);
  mount("sysfs", "/sys", "sysfs", 0, nullptr);
  mount("devtmpfs", "/dev", "devtmpfs", 0, nullptr);
  // Results go to the second serial port; the first carries the kernel log.
  if (FILE* f = std::fopen("/dev/ttyS1", "w")) {
    termios t{};
    if (tcgetattr(fileno(f), &t) == 0) {
      cfmakeraw(&t);
      tcsetattr(fileno(f), TCSANOW, &t);
    }
    g_out = f;
  }
  emit("@@VFKPT-READY");
  try {
    run(kernel_args());
    emit("@@VFKPT-DONE");
  } catch (const std::exception& e) {
    emit(std::string("@@VFKPT-FAIL ") + e.what());
  }
  power_off();
}

}  // namespace vfiokit::passthrough
